package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/tcpshow/tcpshow/decode"
)

// Header writes, for each TCP packet, the header figure of RFC 9293 §3.1
// (the 32-bit-wide box drawing the tutorials use) with this packet's values
// in its fields, and for each UDP packet the UDP header (RFC 768) drawn the
// same way. Options are laid out byte by byte where they sit in the header.
// With Options.ASCII the figure is drawn exactly in the RFC's characters;
// otherwise with Unicode box drawing.
type Header struct {
	w io.Writer
	o Options
}

// NewHeader returns a Header renderer writing to w.
func NewHeader(w io.Writer, o Options) *Header {
	return &Header{w: w, o: o}
}

// WritePacket writes p's title line and header figure. Frames without TCP
// or UDP are not written.
func (h *Header) WritePacket(p *decode.Packet) error {
	if p.Proto == decode.ProtoNone {
		return nil
	}
	var b strings.Builder
	b.WriteString(packetTitle(p, &h.o))
	b.WriteByte('\n')
	var rows []figRow
	if p.Proto == decode.ProtoTCP {
		rows = tcpFigure(p)
	} else {
		rows = udpFigure(p)
	}
	drawFigure(&b, rows, h.o.ASCII)
	b.WriteByte('\n')
	_, err := io.WriteString(h.w, b.String())
	return err
}

// Close does nothing: every figure is written as it comes.
func (h *Header) Close() error { return nil }

// figField is one field of a header figure: its width in bits and the
// lines of text drawn inside it.
type figField struct {
	bits  int
	lines []string
}

// figRow is one 32-bit row of a header figure. Its fields' bits add up to 32.
type figRow []figField

// cell builds a field of a figure.
func cell(bits int, lines ...string) figField { return figField{bits: bits, lines: lines} }

// notCaptured is the value shown in a field the capture does not hold.
const notCaptured = "(not captured)"

// tcpFigure lays out p's TCP header as rows of the RFC 9293 figure.
func tcpFigure(p *decode.Packet) []figRow {
	t := &p.TCP
	have := func(end int) bool { return t.HdrCaptured >= end }
	val := func(end int, v string) string {
		if !have(end) {
			return "?"
		}
		return v
	}
	rows := []figRow{
		{cell(16, "Source Port", val(2, strconv.Itoa(int(t.SrcPort)))), cell(16, "Destination Port", val(4, strconv.Itoa(int(t.DstPort))))},
	}
	seq := notCaptured
	if have(8) {
		seq = strconv.FormatUint(uint64(t.Seq), 10)
		if t.Rel {
			seq += " (relative " + strconv.FormatUint(uint64(t.RelSeq), 10) + ")"
		}
	}
	rows = append(rows, figRow{cell(32, "Sequence Number", seq)})
	ack := notCaptured
	if have(12) {
		ack = strconv.FormatUint(uint64(t.Ack), 10)
		switch {
		case !t.Flags.Has(decode.ACK):
			ack += " (not in use: ACK is not set)"
		case t.Rel:
			ack += " (relative " + strconv.FormatUint(uint64(t.RelAck), 10) + ")"
		}
	}
	rows = append(rows, figRow{cell(32, "Acknowledgment Number", ack)})

	// The fourth row: data offset, the reserved bits (tcpshow keeps the
	// historic NS bit as the last of them), the eight flags and the window.
	off, offBytes, rsv := "?", "", "? ? ? ?"
	if have(13) {
		off = strconv.Itoa(int(t.DataOffset))
		offBytes = strconv.Itoa(t.HdrLen()) + " B"
		bits := t.Reserved<<1 | b2u(t.Flags.Has(decode.NS))
		rsv = fmt.Sprintf("%d %d %d %d", bits>>3&1, bits>>2&1, bits>>1&1, bits&1)
	}
	row := figRow{cell(4, "Data", "Offset", "", off, offBytes), cell(4, "", "Rsrvd", "", rsv)}
	for _, fl := range [...]struct {
		f    decode.Flags
		name string
	}{{decode.CWR, "CWR"}, {decode.ECE, "ECE"}, {decode.URG, "URG"}, {decode.ACK, "ACK"},
		{decode.PSH, "PSH"}, {decode.RST, "RST"}, {decode.SYN, "SYN"}, {decode.FIN, "FIN"}} {
		v := "?"
		if have(14) {
			v = strconv.Itoa(int(b2u(t.Flags.Has(fl.f))))
		}
		row = append(row, cell(1, fl.name[:1], fl.name[1:2], fl.name[2:], v))
	}
	win, scaled := "?", ""
	if have(16) {
		win = strconv.Itoa(int(t.Window))
		switch {
		case t.Flags.Has(decode.SYN):
			scaled = "(never scaled in a SYN)"
		case t.WindowScaled >= 0 && t.WindowScaled != int(t.Window) && t.Window != 0:
			scaled = fmt.Sprintf("× %d = %d bytes", t.WindowScaled/int(t.Window), t.WindowScaled)
		case t.WindowScaled < 0:
			scaled = "(scale not captured)"
		}
	}
	row = append(row, cell(16, "", "Window", "", win, scaled))
	rows = append(rows, row)

	sum := "?"
	if have(18) {
		sum = fmt.Sprintf("0x%04x %s", t.Checksum, checksumWords(t.ChecksumStatus))
		if t.ChecksumStatus == decode.ChecksumAbsent || t.ChecksumStatus == decode.ChecksumUnverified {
			sum = fmt.Sprintf("0x%04x", t.Checksum)
		}
	}
	rows = append(rows, figRow{cell(16, "Checksum", sum), cell(16, "Urgent Pointer", val(20, strconv.Itoa(int(t.Urgent))))})
	if have(20) {
		rows = append(rows, optionRows(&t.Options, t.HdrLen()-20)...)
	}
	if t.HdrCaptured < t.HdrLen() || t.Options.Truncated {
		rows = append(rows, figRow{cell(32, fmt.Sprintf("(the capture holds %d of the header's %d bytes)", min(t.HdrCaptured, t.HdrLen()), t.HdrLen()))})
	}
	if t.Options.Malformed {
		rows = append(rows, figRow{cell(32, "(an option's length is impossible: the rest is not decoded)")})
	}
	return appendData(rows, p)
}

// udpFigure lays out p's UDP header in the same 32-bit rows.
func udpFigure(p *decode.Packet) []figRow {
	u := &p.UDP
	sum := fmt.Sprintf("0x%04x %s", u.Checksum, checksumWords(u.ChecksumStatus))
	switch u.ChecksumStatus {
	case decode.ChecksumAbsent:
		sum = "0 (none computed)"
	case decode.ChecksumUnverified:
		sum = fmt.Sprintf("0x%04x", u.Checksum)
	}
	rows := []figRow{
		{cell(16, "Source Port", strconv.Itoa(int(u.SrcPort))), cell(16, "Destination Port", strconv.Itoa(int(u.DstPort)))},
		{cell(16, "Length", fmt.Sprintf("%d = 8 + %d", u.Length, max(int(u.Length)-8, 0))), cell(16, "Checksum", sum)},
	}
	return appendData(rows, p)
}

// appendData adds the payload row, if p carries data.
func appendData(rows []figRow, p *decode.Packet) []figRow {
	if p.Len == 0 {
		return rows
	}
	v := fmt.Sprintf("%d bytes", p.Len)
	if len(p.Payload) > 0 {
		v += ": " + payloadPreview(p.Payload, 40)
	}
	if len(p.Payload) < p.Len {
		v += fmt.Sprintf(" (%d captured)", len(p.Payload))
	}
	return append(rows, figRow{cell(32, "Data", v)})
}

// optSub is one part of an option as it lies in the header: the kind
// byte, the length byte, or a piece of the value.
type optSub struct {
	off, n int // byte offset in the option area, length in bytes
	lines  []string
}

// optionRows lays the option area (n bytes) out in 32-bit rows, each
// option split into its kind, length and value bytes.
func optionRows(o *decode.Options, n int) []figRow {
	if n <= 0 {
		return nil
	}
	var subs []optSub
	add := func(off, n int, lines ...string) {
		if n > 0 {
			subs = append(subs, optSub{off: off, n: n, lines: lines})
		}
	}
	for i := 0; i < o.N; i++ {
		opt := o.List[i]
		off := int(opt.Off)
		name := optShortName(opt.Kind)
		add(off, 1, name, "kind "+strconv.Itoa(int(opt.Kind)))
		if opt.Kind == decode.OptEOL || opt.Kind == decode.OptNOP {
			continue
		}
		l := int(opt.Len)
		if off+1 >= n {
			continue
		}
		add(off+1, 1, "length", strconv.Itoa(l))
		d := o.Data(opt)
		full := l >= 2 && len(d) == l-2
		vals := off + 2
		switch {
		case opt.Kind == decode.OptMSS && full && len(d) == 2:
			add(vals, 2, "MSS", strconv.Itoa(int(o.MSS)))
		case opt.Kind == decode.OptWScale && full && len(d) == 1:
			add(vals, 1, "shift", fmt.Sprintf("%d (×%d)", o.WScale, 1<<min(o.WScale, 14)))
		case opt.Kind == decode.OptTimestamp && full && len(d) == 8:
			add(vals, 4, "TSval", strconv.FormatUint(uint64(o.TSVal), 10))
			add(vals+4, 4, "TSecr", strconv.FormatUint(uint64(o.TSEcr), 10))
		case opt.Kind == decode.OptSACK && full && len(d)%8 == 0:
			for j := 0; j+8 <= len(d); j += 8 {
				add(vals+j, 4, "left edge", strconv.FormatUint(uint64(be32(d[j:])), 10))
				add(vals+j+4, 4, "right edge", strconv.FormatUint(uint64(be32(d[j+4:])), 10))
			}
		default:
			add(vals, min(l-2, n-vals), "data", hexBytes(d, 16))
		}
	}
	end := 0
	if o.N > 0 {
		last := o.List[o.N-1]
		end = int(last.Off) + max(int(last.Len), 1)
	}
	if o.Padding > 0 {
		add(end, min(o.Padding, n-end), "padding", "0")
		end += o.Padding
	}
	if end < n {
		what := "(not decoded)"
		if o.Truncated {
			what = notCaptured
		}
		add(end, n-end, what, "")
	}
	// Cut the parts at 32-bit boundaries into rows; a part that crosses a
	// boundary is drawn in each row it touches.
	var rows []figRow
	row := figRow{}
	at := 0 // byte offset where the current row's next field starts
	for _, s := range subs {
		s.off, s.n = max(s.off, at), min(s.off+s.n, n)-max(s.off, at)
		if s.n <= 0 {
			continue
		}
		if s.off > at {
			// A gap the option walk did not cover.
			row, at = placeSub(&rows, row, at, optSub{off: at, n: s.off - at, lines: []string{"?"}})
		}
		row, at = placeSub(&rows, row, at, s)
	}
	if at%4 != 0 {
		row = append(row, cell((4-at%4)*8, "(beyond the header)"))
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// placeSub adds s (starting at byte at) to row, breaking rows at every
// 32-bit boundary, and returns the row being filled and the new offset.
func placeSub(rows *[]figRow, row figRow, at int, s optSub) (figRow, int) {
	left := s.n
	first := true
	for left > 0 {
		room := 4 - at%4
		k := min(left, room)
		lines := s.lines
		if !first && len(lines) > 0 {
			lines = append([]string{lines[0] + " (cont.)"}, lines[1:]...)
		}
		row = append(row, figField{bits: k * 8, lines: lines})
		first = false
		left -= k
		at += k
		if at%4 == 0 {
			*rows = append(*rows, row)
			row = figRow{}
		}
	}
	return row, at
}

// optShortName is the option's name as the figure's cells show it.
func optShortName(kind uint8) string {
	switch kind {
	case decode.OptEOL:
		return "EOL"
	case decode.OptNOP:
		return "NOP"
	case decode.OptMSS:
		return "MSS"
	case decode.OptWScale:
		return "WScale"
	case decode.OptSACKPerm:
		return "SACK-perm"
	case decode.OptSACK:
		return "SACK"
	case decode.OptTimestamp:
		return "Timestamps"
	}
	if n := decode.OptionName(kind); n != "" {
		return n
	}
	return "option"
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// drawFigure draws rows as the RFC's figure: a bit ruler, then each row
// between borders, every bit two characters wide.
func drawFigure(b *strings.Builder, rows []figRow, ascii bool) {
	b.WriteString(" 0                   1                   2                   3\n")
	b.WriteString(" 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1\n")
	var prev figRow
	bar := "│"
	var asciiText *strings.Replacer
	if ascii {
		bar = "|"
		// The non-ASCII characters tcpshow itself writes.
		asciiText = strings.NewReplacer("×", "x", "…", "...", "·", "-", "→", "->")
	}
	for _, r := range rows {
		drawBorder(b, prev, r, ascii)
		h := 0
		for _, fd := range r {
			h = max(h, len(fd.lines))
		}
		for i := 0; i < h; i++ {
			b.WriteString(bar)
			for _, fd := range r {
				text := ""
				if i < len(fd.lines) {
					text = fd.lines[i]
				}
				if ascii {
					text = asciiText.Replace(text)
				}
				b.WriteString(center(text, fd.bits*2-1))
				b.WriteString(bar)
			}
			b.WriteByte('\n')
		}
		prev = r
	}
	drawBorder(b, prev, nil, ascii)
}

// bounds returns which of the 33 bit boundaries of r have a field edge.
func bounds(r figRow) (edges [33]bool) {
	if len(r) == 0 {
		return edges
	}
	at := 0
	edges[0] = true
	for _, fd := range r {
		at += fd.bits
		if at <= 32 {
			edges[at] = true
		}
	}
	return edges
}

// drawBorder draws the line between row above and row below (either may be
// nil at the figure's top and bottom).
func drawBorder(b *strings.Builder, above, below figRow, ascii bool) {
	if ascii {
		b.WriteString(strings.Repeat("+-", 32))
		b.WriteString("+\n")
		return
	}
	up, down := bounds(above), bounds(below)
	for k := 0; k <= 32; k++ {
		b.WriteString(junction(up[k], down[k], k > 0, k < 32))
		if k < 32 {
			b.WriteString("─")
		}
	}
	b.WriteByte('\n')
}

// junction returns the box-drawing character joining lines that go up,
// down, left and right.
func junction(u, d, l, r bool) string {
	switch {
	case u && d && l && r:
		return "┼"
	case u && d && r:
		return "├"
	case u && d && l:
		return "┤"
	case d && l && r:
		return "┬"
	case u && l && r:
		return "┴"
	case d && r:
		return "┌"
	case d && l:
		return "┐"
	case u && r:
		return "└"
	case u && l:
		return "┘"
	}
	return "─"
}

// center centres s in width columns, cutting it with an ellipsis if it is
// wider.
func center(s string, width int) string {
	w := runewidth.StringWidth(s)
	if w > width {
		s = runewidth.Truncate(s, width, "…")
		w = runewidth.StringWidth(s)
	}
	left := (width - w) / 2
	return strings.Repeat(" ", left) + s + strings.Repeat(" ", width-w-left)
}
