package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/tcpshow/tcpshow/decode"
)

// Writer is an output format. It sees every decoded frame in capture order,
// frames without TCP or UDP included (most formats skip those), and is
// closed at the end of the input, when formats that hold conversations
// write what they hold.
type Writer interface {
	// WritePacket renders or records p. p and the bytes it points into are
	// valid only during the call.
	WritePacket(p *decode.Packet) error
	// Close writes anything still held. It does not close the io.Writer.
	Close() error
}

// ConversationEnder is implemented by the Writers that hold conversations
// (the ladder and the drawings built on it). A tracker's
// decode.TrackerOptions.OnEnd calls EndConversation when it forgets a
// conversation, so that its diagram is written as soon as it ends and its
// memory freed; Close writes whatever is still held.
type ConversationEnder interface {
	EndConversation(c *decode.Conversation) error
}

// Format describes an output format.
type Format struct {
	Name string
	Help string
	New  func(w io.Writer, o Options) Writer
	// Notes reports that the format writes each packet as it comes, so
	// that New can put the --explain notes (Options.Explain) after it.
	// Formats that show notes themselves, or cannot, leave it false.
	Notes bool
	// DrawsNotes reports that the format places the --explain notes
	// itself (the ladder and the pictures drawn from it).
	DrawsNotes bool
}

// Explains reports whether the format shows the --explain notes.
func (f *Format) Explains() bool { return f.Notes || f.DrawsNotes }

// Formats lists the output formats, in the order help shows them.
func Formats() []Format {
	return []Format{
		{Name: "ladder", Help: "a ladder diagram per conversation, with both sides' TCP states", New: func(w io.Writer, o Options) Writer { return NewLadder(w, o) }, DrawsNotes: true},
		{Name: "lines", Help: "one line per packet, like tcpdump -nn", New: func(w io.Writer, o Options) Writer { return NewLines(w, o) }, Notes: true},
		{Name: "table", Help: "a table of every header field of each packet", New: func(w io.Writer, o Options) Writer { return NewTable(w, o) }, Notes: true},
		{Name: "header", Help: "each packet's TCP or UDP header drawn as the RFC's 32-bit figure", New: func(w io.Writer, o Options) Writer { return NewHeader(w, o) }, Notes: true},
		{Name: "summary", Help: "one table row per conversation, written as it ends: handshake, how it ended, final states, packets, bytes, iRTT, retransmissions", New: func(w io.Writer, o Options) Writer { return NewSummary(w, o) }},
		{Name: "rtt", Help: "per conversation, each data segment's SampleRTT with RFC 6298's EstimatedRTT, DevRTT and RTO", New: func(w io.Writer, o Options) Writer { return NewRTT(w, o) }},
		{Name: "svg", Help: "a standalone SVG picture of every conversation's ladder, for slides", New: func(w io.Writer, o Options) Writer { return NewSVG(w, o) }, DrawsNotes: true},
		{Name: "html", Help: "one offline web page: the SVG ladders, each packet's header table on a click", New: func(w io.Writer, o Options) Writer { return NewHTML(w, o) }, DrawsNotes: true},
		{Name: "mermaid", Help: "a Mermaid sequenceDiagram per conversation in a ```mermaid block, for Markdown on GitHub and GitLab", New: func(w io.Writer, o Options) Writer { return NewMermaid(w, o) }, DrawsNotes: true},
		{Name: "plantuml", Help: "a PlantUML sequence diagram per conversation", New: func(w io.Writer, o Options) Writer { return NewPlantUML(w, o) }, DrawsNotes: true},
		{Name: "json", Help: "one JSON object per packet and line (see README)", New: func(w io.Writer, o Options) Writer { return NewJSON(w, o) }},
	}
}

// New returns the Writer for the named format.
func New(format string, w io.Writer, o Options) (Writer, error) {
	var names []string
	for _, f := range Formats() {
		if f.Name == format {
			fw := f.New(w, o)
			if o.Explain && f.Notes {
				fw = withNotes(fw, w, o)
			}
			return fw, nil
		}
		names = append(names, f.Name)
	}
	return nil, fmt.Errorf("unknown format %q (choose %s)", format, strings.Join(names, ", "))
}
