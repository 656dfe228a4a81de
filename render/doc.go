// Package render turns decoded packets and conversations into text and
// pictures written to an io.Writer: one line per packet, per-packet header
// tables, JSON for programs, and ladder diagrams of each conversation.
//
// render never opens a capture and never decides what to read: it takes
// decode's types as they stream past. Strings that come from packets or
// capture files are escaped before they are written, so a packet cannot
// send control sequences to a terminal.
//
// # Writers
//
// Every format is a Writer (see Formats). Writers that show socket calls
// are CallWriters; writers that hold conversations until they end are
// ConversationEnders, and a decode.Tracker's OnEnd should call
// EndConversation so that each diagram is written, and its memory freed,
// as soon as its conversation ends. Select wraps any Writer to keep only
// some conversations.
//
// # Ladder diagrams
//
// A Diagram is the model of one conversation's ladder, drawn the way RFC
// 9293 §3.5 draws connections: two Lanes (the client, which sent the first
// SYN, on the left; the server on the right) and Rows top to bottom. A Row
// is a packet (RowPacket: an Arrow from the sender's lane to the
// receiver's, with a copy of the decoded packet and its label parts from
// Arrow.Label), a socket call on its caller's lane (RowCall: just above the
// packet it put on the wire, else where it returned; a connect gets a row
// for its SYN and one for its return, see CallPart), a separator
// where the handshake, data transfer or teardown begins (RowSeparator), or
// a run of packets left out of the middle of a long conversation
// (RowElided). Every row carries both lanes' TCP states after it, which of
// them it changed, and its offset from the conversation's first packet.
//
// A Collector builds Diagrams from WritePacket, WriteCall and
// EndConversation and hands each finished one to a draw function, so a new
// drawing needs nothing but that function:
//
//	c := render.NewCollector(render.CollectorOptions{MaxRows: o.MaxRows},
//		func(d *render.Diagram) error {
//			for _, r := range d.Rows {
//				if r.Kind == render.RowPacket {
//					fmt.Fprintln(w, r.Offset, r.Arrow.From(), "→", r.Arrow.To(), r.States)
//				}
//			}
//			return nil
//		})
//
// Ladder (format "ladder") is the text drawing, WriteLadder its draw
// function; SVG, HTML, Mermaid and PlantUML (MermaidText, PlantUMLText) are
// the others. A Collector holds at most MaxRows packets per conversation (the
// first and the last half) and counts the rest into one RowElided row, so
// its memory does not grow with the length of a conversation.
//
// # Teaching
//
// Header draws each header as the RFC 9293 figure, RTT the RTT table of
// RFC 6298 (with decode.RTTEstimator), and an Explainer derives short notes
// from the packets (Options.Explain puts them into the formats).
package render
