package render

import (
	"io"
	"strconv"
	"strings"

	"github.com/tcpshow/tcpshow/decode"
)

// Mermaid writes each conversation's ladder as a Mermaid sequenceDiagram,
// each in a ```mermaid block that GitHub, GitLab and most Markdown tools
// draw as a picture: the two endpoints as participants, one message
// per packet, the TCP states as notes over the lane that changes state,
// socket calls as notes, separators between the phases and elided runs.
// With Options.Explain the teaching notes stand beside the packets they
// are about.
type Mermaid struct {
	*Collector
	w io.Writer
	o Options
}

// NewMermaid returns a Mermaid writer; o.MaxRows bounds the packets held
// per conversation.
func NewMermaid(w io.Writer, o Options) *Mermaid {
	m := &Mermaid{w: w, o: o}
	m.Collector = NewCollector(CollectorOptions{MaxRows: o.MaxRows}, m.draw)
	return m
}

func (m *Mermaid) draw(d *Diagram) error {
	_, err := io.WriteString(m.w, MermaidText(d, &m.o))
	return err
}

// PlantUML writes each conversation's ladder as a PlantUML sequence
// diagram (@startuml … @enduml), with the same content as Mermaid:
// participants, messages, states, calls, separators (== … ==) and elided
// runs (... … ...).
type PlantUML struct {
	*Collector
	w io.Writer
	o Options
}

// NewPlantUML returns a PlantUML writer; o.MaxRows bounds the packets held
// per conversation.
func NewPlantUML(w io.Writer, o Options) *PlantUML {
	p := &PlantUML{w: w, o: o}
	p.Collector = NewCollector(CollectorOptions{MaxRows: o.MaxRows}, p.draw)
	return p
}

func (p *PlantUML) draw(d *Diagram) error {
	_, err := io.WriteString(p.w, PlantUMLText(d, &p.o))
	return err
}

// seqDialect is what differs between the sequence-diagram languages.
type seqDialect struct {
	begin, end func(b *strings.Builder, d *Diagram)
	// participant declares lane i (alias "C" or "S").
	participant func(b *strings.Builder, alias, name string)
	// message draws an arrow; rst marks a reset, dgram a UDP datagram.
	message func(b *strings.Builder, from, to, text string, rst, dgram bool)
	// note puts text over the lanes (one alias, or "C,S" for both).
	note func(b *strings.Builder, over []string, text string)
	// separator starts a phase; elided stands for left-out packets.
	separator func(b *strings.Builder, text string)
	elided    func(b *strings.Builder, text string)
	// explain shows a teaching note (already escaped, in lines) beside
	// the packet before it.
	explain func(b *strings.Builder, lines []string)
	// text makes a string safe inside a message or a note.
	text func(s string) string
}

// laneAlias is the short name of lane i in a sequence diagram's source.
func laneAlias(i int) string {
	if i == 0 {
		return "C"
	}
	return "S"
}

// MermaidText returns d as a Mermaid sequenceDiagram in a ```mermaid
// fenced block, ready to paste into Markdown. Every string from a packet or capture is escaped so that it
// cannot end a statement or inject markup.
func MermaidText(d *Diagram, o *Options) string {
	return seqText(d, o, &seqDialect{
		begin: func(b *strings.Builder, d *Diagram) {
			b.WriteString("```mermaid\nsequenceDiagram\n")
			b.WriteString("    title " + mermaidText(diagramTitle(d)) + "\n")
		},
		end: func(b *strings.Builder, d *Diagram) { b.WriteString("```\n") },
		participant: func(b *strings.Builder, alias, name string) {
			b.WriteString("    participant " + alias + " as " + mermaidText(name) + "\n")
		},
		message: func(b *strings.Builder, from, to, text string, rst, dgram bool) {
			arrow := "->>"
			switch {
			case rst:
				arrow = "-x"
			case dgram:
				arrow = "-)"
			}
			b.WriteString("    " + from + arrow + to + ": " + text + "\n")
		},
		note: func(b *strings.Builder, over []string, text string) {
			b.WriteString("    Note over " + strings.Join(over, ",") + ": " + text + "\n")
		},
		separator: func(b *strings.Builder, text string) {
			b.WriteString("    Note over C,S: " + text + "\n")
		},
		elided: func(b *strings.Builder, text string) {
			b.WriteString("    Note over C,S: " + text + "\n")
		},
		explain: func(b *strings.Builder, lines []string) {
			b.WriteString("    Note right of S: " + strings.Join(lines, "<br/>") + "\n")
		},
		text: mermaidText,
	})
}

// PlantUMLText returns d as a PlantUML sequence diagram, from @startuml to
// @enduml.
func PlantUMLText(d *Diagram, o *Options) string {
	return seqText(d, o, &seqDialect{
		begin: func(b *strings.Builder, d *Diagram) {
			b.WriteString("@startuml\n")
			b.WriteString("title " + plantText(diagramTitle(d)) + "\n")
			b.WriteString("skinparam monochrome true\n")
		},
		end: func(b *strings.Builder, d *Diagram) { b.WriteString("@enduml\n") },
		participant: func(b *strings.Builder, alias, name string) {
			b.WriteString("participant \"" + strings.ReplaceAll(plantText(name), `"`, "'") + "\" as " + alias + "\n")
		},
		message: func(b *strings.Builder, from, to, text string, rst, dgram bool) {
			arrow := "->"
			switch {
			case rst:
				arrow = "->x"
			case dgram:
				arrow = "->>"
			}
			b.WriteString(from + " " + arrow + " " + to + " : " + text + "\n")
		},
		note: func(b *strings.Builder, over []string, text string) {
			b.WriteString("hnote over " + strings.Join(over, ", ") + " : " + text + "\n")
		},
		separator: func(b *strings.Builder, text string) { b.WriteString("== " + text + " ==\n") },
		elided:    func(b *strings.Builder, text string) { b.WriteString("... " + text + " ...\n") },
		explain: func(b *strings.Builder, lines []string) {
			b.WriteString("note right\n")
			for _, l := range lines {
				b.WriteString(l + "\n")
			}
			b.WriteString("end note\n")
		},
		text: plantText,
	})
}

// diagramTitle is the title of a conversation's picture.
func diagramTitle(d *Diagram) string {
	return "Conversation " + strconv.Itoa(d.ID) + " (" + strings.ToUpper(d.Proto.String()) + ")"
}

// seqText writes d in the dialect sd.
func seqText(d *Diagram, o *Options, sd *seqDialect) string {
	var b strings.Builder
	sd.begin(&b, d)
	for i, l := range d.Lanes {
		sd.participant(&b, laneAlias(i), l.Endpoint.String()+" ("+l.Role+")")
	}
	var notes map[int][]Note
	if o.Explain {
		notes = make(map[int][]Note)
		for _, n := range DiagramNotes(d) {
			notes[n.Frame] = append(notes[n.Frame], n)
		}
	}
	if d.HasStates() {
		for i, l := range d.Lanes {
			if l.Initial != decode.StateUnknown {
				sd.note(&b, []string{laneAlias(i)}, l.Initial.String())
			}
		}
	}
	for i := range d.Rows {
		r := &d.Rows[i]
		switch r.Kind {
		case RowPacket:
			text := "[" + strconv.Itoa(r.Arrow.Packet.N) + "] " + labelText(r.Arrow.Label(o.Raw)) + " (" + formatMS(r.Offset) + " ms)"
			rst := r.Arrow.Packet.Proto == decode.ProtoTCP && r.Arrow.Packet.TCP.Flags.Has(decode.RST)
			sd.message(&b, laneAlias(r.Arrow.From()), laneAlias(r.Arrow.To()), sd.text(text), rst, d.Proto == decode.ProtoUDP)
		case RowCall:
			sd.note(&b, []string{laneAlias(r.Lane)}, sd.text(callText(r)))
		case RowSeparator:
			sd.separator(&b, sd.text(r.Phase.String()))
		case RowElided:
			sd.elided(&b, sd.text(r.Elided.Text()))
		}
		if d.HasStates() && (r.Kind == RowPacket || r.Kind == RowElided) {
			var changed []string
			var names []string
			first := 0
			if r.Kind == RowPacket {
				first = r.Arrow.From() // the sender's state first
			}
			for _, l := range [2]int{first, 1 - first} {
				if r.Changed[l] && r.States[l] != decode.StateUnknown {
					changed = append(changed, laneAlias(l))
					names = append(names, r.States[l].String())
				}
			}
			for k := range changed {
				sd.note(&b, changed[k:k+1], names[k])
			}
		}
		if r.Kind == RowPacket {
			for _, n := range notes[r.Arrow.Packet.N] {
				var lines []string
				for _, l := range wrapWords(n.Text, 60) {
					lines = append(lines, sd.text(l))
				}
				sd.explain(&b, lines)
			}
		}
	}
	sd.end(&b, d)
	b.WriteString("\n")
	return b.String()
}

// labelText joins an arrow's label parts in full.
func labelText(parts []LabelPart) string {
	var b strings.Builder
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(' ')
		}
		if p.Kind == PartAnalysis || p.Kind == PartMark {
			b.WriteString("[" + p.Text + "]")
			continue
		}
		b.WriteString(p.Text)
	}
	return b.String()
}

// callText is a socket call as the tutorials write it: "connect(fd 3,
// 127.0.0.1:18080) → 0", or the end of it a row shows (see CallPart).
func callText(r *Row) string {
	c := &r.Call
	switch r.Part {
	case CallStart:
		return Escape(c.Name) + "(" + Escape(c.Args) + ") …"
	case CallReturn:
		return Escape(c.Name) + "() → " + Escape(c.Result)
	}
	s := Escape(c.Name) + "(" + Escape(c.Args) + ")"
	if c.Result != "" {
		s += " → " + Escape(c.Result)
	}
	return s
}

// mermaidText escapes s for Mermaid message and note text: control
// characters as Go escapes, and the characters Mermaid would read as
// syntax (statement ends, entity codes, markup) as its #code; entities.
func mermaidText(s string) string {
	s = Escape(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '#':
			b.WriteString("#35;")
		case ';':
			b.WriteString("#59;")
		case '<':
			b.WriteString("#lt;")
		case '>':
			b.WriteString("#gt;")
		case '%':
			b.WriteString("#37;")
		case '{', '}':
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// plantText escapes s for PlantUML message and note text: control
// characters as Go escapes, whose backslashes are then drawn as U+29F5
// (⧵, which looks the same) because PlantUML reads "\n" as a line break;
// creole markup (a doubled *, /, -, _, ~ or ", or a < that could open a
// tag) is defused with PlantUML's escape character ~.
func plantText(s string) string {
	s = Escape(s)
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '\\':
			b.WriteRune('⧵')
			continue
		case r == '<':
			b.WriteRune('~')
		case strings.ContainsRune("*/-_~\"", r) && i+1 < len(rs) && rs[i+1] == r:
			b.WriteRune('~')
		}
		b.WriteRune(r)
	}
	return b.String()
}
