package render

import (
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"

	"github.com/tcpshow/tcpshow/decode"
)

// maxSVGConversations bounds the conversations one SVG document draws: an
// SVG is one picture, held until Close so that its height is known. The
// document says how many it left out; --conv selects others.
const maxSVGConversations = 64

// SVG writes one standalone SVG document with the ladder diagram of every
// conversation, one below the other: lanes headed by the endpoints, an
// arrow per packet labelled as in the text ladder, both sides' TCP states
// where they change, socket calls on their lanes, separators between the
// phases, analysis marks, elided runs and, with Options.Explain, the
// teaching notes. It is valid XML with no external references (no fonts,
// images, scripts or links), sized for slides. Since one picture's height
// must be known before it is drawn, SVG holds the drawn conversations
// until Close (at most 64; see Selection to pick others).
type SVG struct {
	*Collector
	w       io.Writer
	o       Options
	parts   []string // each drawn conversation's <g>
	height  int      // total height of parts
	omitted int      // conversations not drawn past maxSVGConversations
}

// NewSVG returns an SVG writer; o.MaxRows bounds the packets held per
// conversation.
func NewSVG(w io.Writer, o Options) *SVG {
	s := &SVG{w: w, o: o}
	s.Collector = NewCollector(CollectorOptions{MaxRows: o.MaxRows}, s.draw)
	return s
}

func (s *SVG) draw(d *Diagram) error {
	if len(s.parts) >= maxSVGConversations {
		s.omitted++
		return nil
	}
	var b strings.Builder
	h := drawSVGDiagram(&b, d, &s.o, svgIDs{prefix: "c" + strconv.Itoa(d.ID)}, s.height)
	s.parts = append(s.parts, b.String())
	s.height += h
	return nil
}

// Close draws the conversations still open and writes the document.
func (s *SVG) Close() error {
	if err := s.Collector.Close(); err != nil {
		return err
	}
	var b strings.Builder
	height := s.height + svgPad
	if s.omitted > 0 || len(s.parts) == 0 {
		height += 30
	}
	writeSVGOpen(&b, svgWidth, height)
	b.WriteString(`<rect width="100%" height="100%" fill="#ffffff"/>` + "\n")
	for _, p := range s.parts {
		b.WriteString(p)
	}
	switch {
	case len(s.parts) == 0:
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="note">no TCP or UDP conversations</text>`+"\n", svgPad, s.height+30)
	case s.omitted > 0:
		fmt.Fprintf(&b, `<text x="%d" y="%d" class="note">… %d more conversations not drawn: choose them with --conv</text>`+"\n", svgPad, s.height+30, s.omitted)
	}
	b.WriteString("</svg>\n")
	s.parts = nil
	_, err := io.WriteString(s.w, b.String())
	return err
}

// The geometry of an SVG ladder, in pixels.
const (
	svgWidth     = 860
	svgPad       = 16
	svgNumX      = 16  // frame number (start)
	svgMSX       = 112 // milliseconds (end)
	svgStateL    = 250 // left lane's state (end)
	svgLaneL     = 262
	svgLaneR     = 712
	svgStateR    = 724 // right lane's state (start)
	svgHeadH     = 92  // title, lane headings and initial states
	svgPacketH   = 40
	svgCallH     = 24
	svgSepH      = 26
	svgElidedH   = 30
	svgNoteLineH = 16
	svgCharW     = 7.3 // advance of one character at the label font size
)

// svgStyle is the embedded style sheet: no external fonts.
const svgStyle = `text{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12px;fill:#222}
.title{font-size:16px;font-weight:bold}
.lane-head{font-size:13px;font-weight:bold}
.role{fill:#666}
.lane{stroke:#444;stroke-width:2}
.state{font-weight:bold;fill:#5a3d99}
.num,.ms{fill:#777}
.c2s line.arrow{stroke:#1f5fa8}
.s2c line.arrow{stroke:#2b7a2b}
.c2s text.label{fill:#1f5fa8}
.s2c text.label{fill:#2b7a2b}
.rst line.arrow{stroke:#c0392b}
.rst text.label{fill:#c0392b}
.mark{fill:#b35900;font-weight:bold}
.hit{stroke:transparent;stroke-width:14;fill:none}
.call{fill:#000;font-weight:bold}
.sep{stroke:#aaa;stroke-dasharray:4 4}
.sep-text{fill:#888;font-style:italic}
.elided{fill:#888}
.note{fill:#444}
.note-num{fill:#5a3d99;font-weight:bold}
`

// writeSVGOpen writes the <svg> start tag, the style and the markers.
func writeSVGOpen(b *strings.Builder, width, height int) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="monospace">`+"\n", width, height, width, height)
	b.WriteString("<style>\n" + svgStyle + "</style>\n")
	b.WriteString(`<defs>` +
		`<marker id="head-c2s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#1f5fa8"/></marker>` +
		`<marker id="head-s2c" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#2b7a2b"/></marker>` +
		`<marker id="head-rst" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c0392b"/></marker>` +
		"</defs>\n")
}

// svgIDs makes the ids of a diagram's elements unique in a document.
type svgIDs struct{ prefix string }

// packet returns the id of the arrow of frame n.
func (s svgIDs) packet(n int) string { return s.prefix + "-f" + strconv.Itoa(n) }

// xmlText escapes s for XML text and attributes, after making it safe to
// show (control characters as Go escapes).
func xmlText(s string) string { return html.EscapeString(Escape(s)) }

// svgLabelWidth estimates the width of s in the label font.
func svgLabelWidth(s string) float64 { return float64(runewidth.StringWidth(s)) * svgCharW }

// drawSVGDiagram draws d as a <g> translated to y0 and returns its height.
func drawSVGDiagram(b *strings.Builder, d *Diagram, o *Options, ids svgIDs, y0 int) int {
	var notes map[int][]Note
	var noteList []Note
	if o.Explain {
		noteList = DiagramNotes(d)
		notes = make(map[int][]Note)
		for _, n := range noteList {
			notes[n.Frame] = append(notes[n.Frame], n)
		}
	}
	var body strings.Builder
	y := svgHeadH
	for i := range d.Rows {
		r := &d.Rows[i]
		switch r.Kind {
		case RowPacket:
			drawSVGPacket(&body, d, r, o, ids, y, len(notes[r.Arrow.Packet.N]) > 0)
			y += svgPacketH
		case RowCall:
			drawSVGCall(&body, r, y)
			y += svgCallH
		case RowSeparator:
			fmt.Fprintf(&body, `<line class="sep" x1="%d" y1="%d" x2="%d" y2="%d"/>`, svgLaneL, y+13, svgLaneR, y+13)
			name := xmlText(r.Phase.String())
			w := int(svgLabelWidth(r.Phase.String())) + 12
			mid := (svgLaneL + svgLaneR) / 2
			fmt.Fprintf(&body, `<rect x="%d" y="%d" width="%d" height="16" fill="#ffffff"/>`, mid-w/2, y+5, w)
			fmt.Fprintf(&body, `<text class="sep-text" x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", mid, y+17, name)
			y += svgSepH
		case RowElided:
			mid := (svgLaneL + svgLaneR) / 2
			fmt.Fprintf(&body, `<text class="ms" x="%d" y="%d" text-anchor="end">%s</text>`, svgMSX, y+19, formatMS(r.Offset))
			fmt.Fprintf(&body, `<rect x="%d" y="%d" width="%d" height="%d" fill="#f4f4f4"/>`, svgLaneL+2, y+4, svgLaneR-svgLaneL-4, svgElidedH-8)
			fmt.Fprintf(&body, `<text class="elided" x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", mid, y+19, xmlText(r.Elided.Text()))
			y += svgElidedH
		}
		if d.HasStates() && (r.Kind == RowPacket || r.Kind == RowElided) {
			for l := range 2 {
				if r.Changed[l] && r.States[l] != decode.StateUnknown {
					drawSVGState(&body, l, r.States[l].String(), y-svgPacketH/2+8)
				}
			}
		}
	}
	bottom := y + 8
	if len(noteList) > 0 {
		y += 12
		fmt.Fprintf(&body, `<text class="lane-head" x="%d" y="%d">Notes</text>`+"\n", svgPad, y+12)
		y += 22
		for _, n := range noteList {
			for i, line := range wrapWords(n.Text, 102) {
				if i == 0 {
					fmt.Fprintf(&body, `<text class="note-num" x="%d" y="%d" text-anchor="end">%d</text>`, svgPad+44, y+12, n.Frame)
				}
				fmt.Fprintf(&body, `<text class="note" x="%d" y="%d">%s</text>`+"\n", svgPad+56, y+12, xmlText(line))
				y += svgNoteLineH
			}
			y += 4
		}
	}
	height := y + svgPad

	fmt.Fprintf(b, `<g id="%s" transform="translate(0,%d)">`+"\n", ids.prefix, y0)
	title := diagramTitle(d) + ": " + diagramSummary(d)
	fmt.Fprintf(b, `<text class="title" x="%d" y="24">%s</text>`+"\n", svgPad, xmlText(title))
	for l := range 2 {
		x := svgLaneL
		if l == 1 {
			x = svgLaneR
		}
		fmt.Fprintf(b, `<text class="lane-head" x="%d" y="48" text-anchor="middle">%s</text>`, x, xmlText(d.Lanes[l].Endpoint.String()))
		fmt.Fprintf(b, `<text class="role" x="%d" y="63" text-anchor="middle">%s</text>`+"\n", x, xmlText(d.Lanes[l].Role))
		fmt.Fprintf(b, `<line class="lane" x1="%d" y1="%d" x2="%d" y2="%d"/>`+"\n", x, svgHeadH-12, x, bottom)
		if d.HasStates() && d.Lanes[l].Initial != decode.StateUnknown {
			drawSVGState(b, l, d.Lanes[l].Initial.String(), svgHeadH-4)
		}
	}
	fmt.Fprintf(b, `<text class="num" x="%d" y="%d">#</text><text class="ms" x="%d" y="%d" text-anchor="end">ms</text>`+"\n", svgNumX, svgHeadH-16, svgMSX, svgHeadH-16)
	b.WriteString(body.String())
	b.WriteString("</g>\n")
	return height
}

// diagramSummary says how many packets and bytes a diagram covers.
func diagramSummary(d *Diagram) string {
	n := d.Packets[0] + d.Packets[1]
	by := d.Bytes[0] + d.Bytes[1]
	noun := "packets"
	if n == 1 {
		noun = "packet"
	}
	return fmt.Sprintf("%d %s, %s of payload, %s ms", n, noun, string(appendBytesSI(nil, by)), formatMS(d.End.Sub(d.Start)))
}

// drawSVGState writes a state name beside lane l at baseline y.
func drawSVGState(b *strings.Builder, l int, name string, y int) {
	if l == 0 {
		fmt.Fprintf(b, `<text class="state" x="%d" y="%d" text-anchor="end">%s</text>`+"\n", svgStateL, y, xmlText(name))
	} else {
		fmt.Fprintf(b, `<text class="state" x="%d" y="%d">%s</text>`+"\n", svgStateR, y, xmlText(name))
	}
}

// drawSVGPacket draws a packet row at y: frame number, time, the arrow
// and its label, with an invisible wider line that is easier to click.
func drawSVGPacket(b *strings.Builder, d *Diagram, r *Row, o *Options, ids svgIDs, y int, noted bool) {
	a := &r.Arrow
	p := &a.Packet
	cls, head := "pkt c2s", "head-c2s"
	x1, x2 := svgLaneL, svgLaneR
	if a.Dir == decode.ServerToClient {
		cls, head = "pkt s2c", "head-s2c"
		x1, x2 = svgLaneR, svgLaneL
	}
	if p.Proto == decode.ProtoTCP && p.TCP.Flags.Has(decode.RST) {
		cls += " rst"
		head = "head-rst"
	}
	var main, marks []string
	for _, part := range a.Label(o.Raw) {
		if part.Kind == PartAnalysis || part.Kind == PartMark {
			marks = append(marks, part.Text)
		} else {
			main = append(main, part.Text)
		}
	}
	label := strings.Join(main, " ")
	ya, yb := y+20, y+32
	fmt.Fprintf(b, `<g class="%s" id="%s" data-frame="%d" tabindex="0">`, cls, ids.packet(p.N), p.N)
	fmt.Fprintf(b, `<title>%s</title>`, xmlText(string(AppendLine(nil, p, &Options{Location: o.loc()}))))
	fmt.Fprintf(b, `<text class="num" x="%d" y="%d">%d</text>`, svgNumX, yb-2, p.N)
	fmt.Fprintf(b, `<text class="ms" x="%d" y="%d" text-anchor="end">%s</text>`, svgMSX, yb-2, formatMS(r.Offset))
	fmt.Fprintf(b, `<line class="hit" x1="%d" y1="%d" x2="%d" y2="%d"/>`, x1, ya, x2, yb)
	fmt.Fprintf(b, `<line class="arrow" x1="%d" y1="%d" x2="%d" y2="%d" stroke-width="2" marker-end="url(#%s)"/>`, x1, ya, x2, yb, head)
	extra := ""
	if len(marks) > 0 {
		extra = " [" + strings.Join(marks, ", ") + "]"
	}
	if noted {
		extra += " ◆"
	}
	mid := (svgLaneL + svgLaneR) / 2
	room := float64(svgLaneR - svgLaneL - 16)
	fit := ""
	if w := svgLabelWidth(label + extra); w > room {
		fit = fmt.Sprintf(` textLength="%d" lengthAdjust="spacingAndGlyphs"`, int(room))
	}
	fmt.Fprintf(b, `<text class="label" x="%d" y="%d" text-anchor="middle"%s>%s`, mid, y+15, fit, xmlText(label))
	if extra != "" {
		fmt.Fprintf(b, `<tspan class="mark">%s</tspan>`, xmlText(extra))
	}
	b.WriteString("</text>")
	b.WriteString("</g>\n")
}

// drawSVGCall draws a socket call on its lane at y.
func drawSVGCall(b *strings.Builder, r *Row, y int) {
	text := callText(r)
	fmt.Fprintf(b, `<text class="ms" x="%d" y="%d" text-anchor="end">%s</text>`, svgMSX, y+16, formatMS(r.Offset))
	if r.Lane == 0 {
		fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="4" fill="#000"/>`, svgLaneL, y+12)
		fmt.Fprintf(b, `<text class="call" x="%d" y="%d">%s</text>`+"\n", svgLaneL+10, y+16, xmlText(text))
	} else {
		fmt.Fprintf(b, `<circle cx="%d" cy="%d" r="4" fill="#000"/>`, svgLaneR, y+12)
		fmt.Fprintf(b, `<text class="call" x="%d" y="%d" text-anchor="end">%s</text>`+"\n", svgLaneR-10, y+16, xmlText(text))
	}
}
