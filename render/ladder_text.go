package render

import (
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-runewidth"

	"github.com/tcpshow/tcpshow/decode"
)

// Ladder writes each conversation's ladder diagram as text when the
// conversation ends (EndConversation) or at Close: two lanes headed by the
// endpoints, one arrow per packet, each endpoint's TCP state beside its
// lane on the row that changes it, socket calls on their lanes, and the
// milliseconds since the conversation's first packet. It fits Options.Width
// by abbreviating labels, never by breaking an arrow.
type Ladder struct {
	*Collector
	w io.Writer
	o Options
}

// NewLadder returns a Ladder writing to w. o.MaxRows bounds the packets
// held per conversation.
func NewLadder(w io.Writer, o Options) *Ladder {
	l := &Ladder{w: w, o: o}
	l.Collector = NewCollector(CollectorOptions{MaxRows: o.MaxRows}, l.draw)
	return l
}

func (l *Ladder) draw(d *Diagram) error {
	if err := WriteLadder(l.w, d, &l.o); err != nil || !l.o.Explain {
		return err
	}
	// --explain: the notes below the diagram, by frame number.
	_, err := l.w.Write(appendNumberedNotes(nil, DiagramNotes(d), &l.o))
	return err
}

// glyphs are the characters a text ladder is drawn with.
type glyphs struct {
	lane, elidedLane, shaft, right, left, sep, call, ellipsis, to string
}

var (
	unicodeGlyphs = glyphs{lane: "│", elidedLane: "┆", shaft: "─", right: "▶", left: "◀", sep: "┄", call: "●", ellipsis: "…", to: "→"}
	asciiGlyphs   = glyphs{lane: "|", elidedLane: ":", shaft: "-", right: ">", left: "<", sep: ".", call: "*", ellipsis: "...", to: "->"}
)

// Colours of a text ladder.
const (
	colorToServer = ansiCyan
	colorToClient = ansiGreen
	colorRST      = ansiRed
	colorMark     = ansiYellow
	colorState    = ansiBold
	colorQuiet    = ansiDim
)

// shortStates are the state names used when the lanes are too narrow for
// the full ones.
var shortStates = map[decode.State]string{
	decode.StateUnknown:     "?",
	decode.StateSynReceived: "SYN-RCVD",
	decode.StateEstablished: "ESTAB",
}

// textLayout is the column layout of one text ladder.
type textLayout struct {
	g                   glyphs
	o                   *Options
	numW, timeW, stateW int
	area                int // columns between the two lane lines
	width               int
	shortStates         bool
}

func (t *textLayout) state(s decode.State) string {
	if t.shortStates {
		if n, ok := shortStates[s]; ok {
			return n
		}
	}
	return s.String()
}

// WriteLadder draws d as a text ladder on w, fitted to o's width, in
// colour if o.Color and with plain ASCII if o.ASCII.
func WriteLadder(w io.Writer, d *Diagram, o *Options) error {
	t := &textLayout{g: unicodeGlyphs, o: o, width: o.width()}
	if o.ASCII {
		t.g = asciiGlyphs
	}
	t.numW, t.timeW = 1, 2
	for i := range d.Rows {
		r := &d.Rows[i]
		if r.Kind == RowPacket {
			t.numW = max(t.numW, len(strconv.Itoa(r.Arrow.Packet.N)))
		}
		t.timeW = max(t.timeW, len(formatMS(r.Offset)))
	}
	fixed := func() int { return t.numW + 1 + t.timeW + 2 + 2*t.stateW + 4 }
	if d.HasStates() {
		for _, short := range []bool{false, true} {
			t.shortStates = short
			t.stateW = 0
			for i := range d.Rows {
				for l := range 2 {
					t.stateW = max(t.stateW, runewidth.StringWidth(t.state(d.Rows[i].States[l])))
				}
			}
			for l := range 2 {
				t.stateW = max(t.stateW, runewidth.StringWidth(t.state(d.Lanes[l].Initial)))
			}
			if t.width-fixed() >= 36 {
				break
			}
		}
	}
	t.area = t.width - fixed()
	if t.area < 12 {
		// Only absurd frame numbers or times get here: give up the time.
		t.timeW = 0
		t.area = max(t.width-fixed(), 12)
	}

	var b []byte
	b = t.appendTitle(b, d)
	b = t.appendHeader(b, d)
	for i := range d.Rows {
		r := &d.Rows[i]
		switch r.Kind {
		case RowPacket:
			b = t.appendPacket(b, d, r)
		case RowCall:
			b = t.appendCall(b, r)
		case RowSeparator:
			b = t.appendSeparator(b, r)
		case RowElided:
			b = t.appendElided(b, r)
		}
	}
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

// formatMS formats an offset in milliseconds with microsecond precision.
func formatMS(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}

// endLine trims trailing spaces from the line that ends b and adds a
// newline.
func endLine(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return append(b, '\n')
}

func pad(b []byte, n int) []byte {
	for range n {
		b = append(b, ' ')
	}
	return b
}

func repeat(b []byte, s string, n int) []byte {
	for range n {
		b = append(b, s...)
	}
	return b
}

// fit cuts s to at most w columns, ending it with an ellipsis if cut.
func (t *textLayout) fit(s string, w int) string {
	if runewidth.StringWidth(s) <= w {
		return s
	}
	ew := runewidth.StringWidth(t.g.ellipsis)
	if w <= ew {
		return runewidth.Truncate(s, w, "")
	}
	return runewidth.Truncate(s, w, t.g.ellipsis)
}

func (t *textLayout) color(b []byte, c string) []byte {
	if t.o.Color {
		b = append(b, c...)
	}
	return b
}

func (t *textLayout) reset(b []byte) []byte {
	if t.o.Color {
		b = append(b, ansiReset...)
	}
	return b
}

// appendLeft appends the columns left of the left lane line: frame number,
// time and the left lane's state (padded).
func (t *textLayout) appendLeft(b []byte, num, ms, state string) []byte {
	b = pad(b, t.numW-len(num))
	b = append(b, num...)
	b = append(b, ' ')
	if t.timeW > 0 {
		ms = t.fit(ms, t.timeW)
		b = pad(b, t.timeW-len(ms))
		b = append(b, ms...)
	}
	b = append(b, "  "...)
	if state != "" {
		b = t.color(b, colorState)
		b = append(b, state...)
		b = t.reset(b)
	}
	b = pad(b, t.stateW-runewidth.StringWidth(state))
	return append(b, ' ')
}

// appendRight appends the right lane's state after the right lane line.
func (t *textLayout) appendRight(b []byte, state string) []byte {
	if state == "" {
		return b
	}
	b = append(b, ' ')
	b = t.color(b, colorState)
	b = append(b, state...)
	return t.reset(b)
}

func (t *textLayout) appendTitle(b []byte, d *Diagram) []byte {
	var s []byte
	s = append(s, "Conversation "...)
	s = strconv.AppendInt(s, int64(d.ID), 10)
	s = append(s, " ("...)
	s = append(s, strings.ToUpper(d.Proto.String())...)
	s = append(s, "): "...)
	s = appendCount(s, int64(d.Packets[0]+d.Packets[1]), "packet")
	s = append(s, ", "...)
	s = appendBytesSI(s, d.Bytes[0]+d.Bytes[1])
	s = append(s, " of payload, "...)
	s = append(s, formatMS(d.End.Sub(d.Start))...)
	s = append(s, " ms"...)
	b = append(b, t.fit(string(s), t.width)...)
	return endLine(b)
}

func (t *textLayout) appendHeader(b []byte, d *Diagram) []byte {
	left := d.Lanes[0].Endpoint.String()
	right := d.Lanes[1].Endpoint.String()
	// The left heading starts at the state column, the right one at the
	// right lane line; both shrink if they would run into each other.
	leftAt := t.numW + 1 + t.timeW + 2
	rightAt := leftAt + t.stateW + 1 + t.area + 1
	rw := runewidth.StringWidth(right)
	if rightAt+rw > t.width {
		rightAt = max(t.width-rw, leftAt+t.width/2-leftAt/2)
	}
	right = t.fit(right, t.width-rightAt)
	left = t.fit(left, rightAt-leftAt-1)
	head := "#"
	b = pad(b, t.numW-len(head))
	b = append(b, head...)
	b = append(b, ' ')
	if t.timeW > 0 {
		b = pad(b, t.timeW-2)
		b = append(b, "ms"...)
	}
	b = append(b, "  "...)
	b = append(b, left...)
	b = pad(b, rightAt-leftAt-runewidth.StringWidth(left))
	b = append(b, right...)
	b = endLine(b)
	if d.HasStates() {
		b = t.appendLeft(b, "", "", t.state(d.Lanes[0].Initial))
		b = append(b, t.g.lane...)
		b = pad(b, t.area)
		b = append(b, t.g.lane...)
		b = t.appendRight(b, t.state(d.Lanes[1].Initial))
		b = endLine(b)
	}
	return b
}

// label joins the parts of an arrow's label that fit in w columns,
// dropping the least important parts first, then abbreviating, then
// cutting. marks is the part holding analysis and capture marks.
func (t *textLayout) label(parts []LabelPart, w int) (main, marks string) {
	build := func(level int, short, shortMarks bool) (string, string) {
		var m, k []string
		for _, p := range parts {
			text := p.Text
			if short {
				text = p.Short
			}
			switch {
			case p.Kind == PartAnalysis || p.Kind == PartMark:
				if shortMarks {
					k = append(k, p.Short)
				} else {
					k = append(k, p.Text)
				}
			case p.Level <= level:
				m = append(m, text)
			}
		}
		ks := ""
		if len(k) > 0 {
			ks = " [" + strings.Join(k, ", ") + "]"
		}
		return strings.Join(m, " "), ks
	}
	// Give up the least important parts first, abbreviating before
	// dropping; marks are abbreviated before the sequence numbers go.
	type try struct {
		level             int
		short, shortMarks bool
	}
	var tries []try
	for level := 4; level >= 1; level-- {
		tries = append(tries, try{level, false, false}, try{level, true, false})
	}
	tries = append(tries, try{2, true, true}, try{1, true, true}, try{0, true, false}, try{0, true, true})
	for _, tr := range tries {
		main, marks = build(tr.level, tr.short, tr.shortMarks)
		if runewidth.StringWidth(main)+runewidth.StringWidth(marks) <= w {
			return main, marks
		}
	}
	mw := runewidth.StringWidth(main)
	if mw >= w {
		return t.fit(main, w), ""
	}
	return main, t.fit(marks, w-mw)
}

func (t *textLayout) appendPacket(b []byte, d *Diagram, r *Row) []byte {
	a := &r.Arrow
	var ls, rs string
	if d.HasStates() {
		if r.Changed[0] {
			ls = t.state(r.States[0])
		}
		if r.Changed[1] {
			rs = t.state(r.States[1])
		}
	}
	b = t.appendLeft(b, strconv.Itoa(a.Packet.N), formatMS(r.Offset), ls)
	b = append(b, t.g.lane...)

	// An arrow is area columns: tail, space, label, space, shaft, head.
	main, marks := t.label(a.Label(t.o.Raw), t.area-5)
	lw := runewidth.StringWidth(main) + runewidth.StringWidth(marks)
	shaft := t.area - lw - 4
	c := colorToServer
	if a.Dir == decode.ServerToClient {
		c = colorToClient
	}
	if a.Packet.Proto == decode.ProtoTCP && a.Packet.TCP.Flags.Has(decode.RST) {
		c = colorRST
	}
	b = t.color(b, c)
	writeLabel := func(b []byte) []byte {
		b = append(b, ' ')
		b = append(b, main...)
		if marks != "" {
			b = t.color(b, colorMark)
			b = append(b, marks...)
			b = t.reset(b)
			b = t.color(b, c)
		}
		return append(b, ' ')
	}
	if a.Dir == decode.ClientToServer {
		b = append(b, t.g.shaft...)
		b = writeLabel(b)
		b = repeat(b, t.g.shaft, shaft)
		b = append(b, t.g.right...)
	} else {
		b = append(b, t.g.left...)
		b = repeat(b, t.g.shaft, shaft)
		b = writeLabel(b)
		b = append(b, t.g.shaft...)
	}
	b = t.reset(b)
	b = append(b, t.g.lane...)
	b = t.appendRight(b, rs)
	return endLine(b)
}

func (t *textLayout) appendCall(b []byte, r *Row) []byte {
	c := &r.Call
	text := func(s string) string { return string(appendCallLaneText(nil, s, t.o.ASCII)) }
	name, args, tail := text(c.Name), "", ""
	if r.Part != CallReturn {
		args = text(c.Args)
	}
	switch {
	case r.Part == CallStart && t.o.ASCII:
		tail = " ..."
	case r.Part == CallStart:
		tail = " …"
	case c.Result != "":
		tail = " " + t.g.to + " " + text(c.Result)
	}
	s := name + "(" + args + ")" + tail
	avail := t.area - 2 - runewidth.StringWidth(t.g.call)
	if runewidth.StringWidth(s) > avail && args != "" {
		// Shorten the arguments rather than the result: the result
		// (ECONNREFUSED, fd 5) is what the row is there to show.
		if room := avail - runewidth.StringWidth(name+"()"+tail); room >= 4 {
			s = name + "(" + t.fit(args, room) + ")" + tail
		}
	}
	fitted := t.fit(s, avail)
	tw := runewidth.StringWidth(fitted) + 1 + runewidth.StringWidth(t.g.call)
	ms := formatMS(r.Offset)
	if r.Part == CallStart {
		// When the call began is not recorded, only when it returned.
		ms = ""
	}
	b = t.appendLeft(b, "", ms, "")
	b = append(b, t.g.lane...)
	if r.Lane == 1 {
		b = pad(b, t.area-tw)
	}
	b = t.color(b, ansiBold)
	if r.Lane == 0 {
		b = append(b, t.g.call...)
		b = append(b, ' ')
		b = append(b, fitted...)
	} else {
		b = append(b, fitted...)
		b = append(b, ' ')
		b = append(b, t.g.call...)
	}
	b = t.reset(b)
	if r.Lane == 0 {
		b = pad(b, t.area-tw)
	}
	b = append(b, t.g.lane...)
	return endLine(b)
}

func (t *textLayout) appendSeparator(b []byte, r *Row) []byte {
	name := t.fit(r.Phase.String(), t.area-4)
	fill := t.area - runewidth.StringWidth(name) - 2
	b = t.appendLeft(b, "", "", "")
	b = append(b, t.g.lane...)
	b = t.color(b, colorQuiet)
	b = repeat(b, t.g.sep, fill/2)
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, ' ')
	b = repeat(b, t.g.sep, fill-fill/2)
	b = t.reset(b)
	b = append(b, t.g.lane...)
	return endLine(b)
}

func (t *textLayout) appendElided(b []byte, r *Row) []byte {
	var text string
	for _, s := range []string{r.Elided.Text(), r.Elided.Short()} {
		text = s
		if t.o.ASCII {
			text = strings.ReplaceAll(text, "…", "...")
		}
		if runewidth.StringWidth(text) <= t.area-2 {
			break
		}
	}
	text = t.fit(text, t.area)
	fill := t.area - runewidth.StringWidth(text)
	b = t.appendLeft(b, "", formatMS(r.Offset), "")
	b = append(b, t.g.elidedLane...)
	b = pad(b, fill/2)
	b = t.color(b, colorQuiet)
	b = append(b, text...)
	b = t.reset(b)
	b = pad(b, fill-fill/2)
	b = append(b, t.g.elidedLane...)
	return endLine(b)
}

// appendCallLaneText appends a call's text for a lane: the generator has
// already quoted it C-style ("one\n"), so its backslashes stay as they
// are; everything else is escaped as appendLaneText does.
func appendCallLaneText(b []byte, s string, ascii bool) []byte {
	for {
		i := strings.IndexByte(s, '\\')
		if i < 0 {
			return appendLaneText(b, s, ascii)
		}
		b = appendLaneText(b, s[:i], ascii)
		b = append(b, '\\')
		s = s[i+1:]
	}
}

// appendLaneText appends s escaped for a terminal (see appendEscaped), with
// combining and zero-width runes escaped too: they would join the
// characters around them and move the lane lines. With ascii set every rune
// beyond ASCII is escaped.
func appendLaneText(b []byte, s string, ascii bool) []byte {
	esc := appendEscaped(nil, s)
	for _, r := range string(esc) {
		if r >= utf8.RuneSelf && (ascii || unicode.In(r, unicode.M) || runewidth.RuneWidth(r) == 0) {
			b = appendUEscape(b, r)
			continue
		}
		b = utf8.AppendRune(b, r)
	}
	return b
}
