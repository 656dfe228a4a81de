package render

import (
	"net/netip"
	"strconv"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// Diagram is the ladder diagram of one conversation, the model every
// drawing (text, SVG, HTML, Mermaid, PlantUML) draws from. A Collector
// builds it; a draw function reads it and may keep it.
//
// Time flows down the Rows. Lanes[0] is the client (the sender of the first
// SYN, or of the first packet where there was none), drawn on the left;
// Lanes[1] is the server. Arrows go from the sender's lane to the
// receiver's.
type Diagram struct {
	// ID is the conversation's number, as decode.Conversation.ID and the
	// summary number it.
	ID int
	// Proto is decode.ProtoTCP or decode.ProtoUDP. UDP diagrams have no
	// states (every state is decode.StateUnknown) and no separators.
	Proto decode.Proto
	// Lanes are the two endpoints, client first.
	Lanes [2]Lane
	// Start is the time of the conversation's first packet; every Row's
	// Offset is measured from it.
	Start time.Time
	// End is the time of the conversation's last packet.
	End time.Time
	// Rows are the packets, socket calls, separators and elided runs in the
	// order they are drawn.
	Rows []Row
	// Packets counts every packet of the conversation the collector saw,
	// drawn or elided, and Bytes the transport payload bytes, both indexed
	// by decode.Dir.
	Packets [2]int
	Bytes   [2]int64
	// Conv is the tracker's conversation, for summary facts (IRTT, how it
	// ended). It may be nil for diagrams built without a tracker's
	// EndConversation call. Draw functions must not change it.
	Conv *decode.Conversation
}

// HasStates reports whether the diagram's lanes carry TCP states.
func (d *Diagram) HasStates() bool { return d.Proto == decode.ProtoTCP }

// Lane is one endpoint of a Diagram.
type Lane struct {
	// Endpoint is the lane's IP address and port, its heading.
	Endpoint netip.AddrPort
	// Role is "client" or "server".
	Role string
	// Initial is the endpoint's TCP state before the first row: CLOSED and
	// LISTEN for a connection that starts with a SYN (CLOSED for a server
	// that answers the SYN with a RST or with a SYN of its own),
	// decode.StateUnknown for a capture that starts mid-connection, and for
	// UDP.
	Initial decode.State
}

// RowKind says what a Row shows.
type RowKind uint8

// Kinds of Row.
const (
	// RowPacket is an arrow from one lane to the other: Row.Arrow.
	RowPacket RowKind = iota
	// RowCall is a socket call on the caller's lane: Row.Call, Row.Lane.
	RowCall
	// RowSeparator is a light line across the lanes where a new phase of
	// the connection begins: Row.Phase.
	RowSeparator
	// RowElided stands for packets left out of the middle of a long
	// conversation: Row.Elided.
	RowElided
)

// String returns "packet", "call", "separator" or "elided".
func (k RowKind) String() string {
	switch k {
	case RowPacket:
		return "packet"
	case RowCall:
		return "call"
	case RowSeparator:
		return "separator"
	case RowElided:
		return "elided"
	}
	return "unknown"
}

// Phase is a stage of a TCP connection that separators divide.
type Phase uint8

// Phases, in the order a connection goes through them.
const (
	PhaseHandshake Phase = iota
	PhaseData
	PhaseTeardown
)

// String returns "handshake", "data transfer" or "teardown".
func (p Phase) String() string {
	switch p {
	case PhaseHandshake:
		return "handshake"
	case PhaseData:
		return "data transfer"
	case PhaseTeardown:
		return "teardown"
	}
	return "unknown"
}

// Row is one line of a ladder, top to bottom.
type Row struct {
	Kind RowKind
	// Time is when the row happened: the packet's capture time, the call's
	// return time, the first elided packet's time, or for a separator the
	// time of the row after it. Offset is Time minus Diagram.Start (negative
	// for calls made before the first packet).
	Time   time.Time
	Offset time.Duration
	// States are the TCP states of the two lanes after this row, indexed by
	// lane (decode.Dir of the sender is the lane an arrow starts from). Where
	// a packet's state is decode.StateUnknown the lane keeps the state it
	// had, so a row shows the last state known.
	// Changed reports which lanes' states differ from the row before (or
	// from Lane.Initial on the first row): the row that causes a change is
	// where a drawing writes the new state.
	States  [2]decode.State
	Changed [2]bool
	// Phase is the phase a packet belongs to, or that a separator begins.
	Phase Phase
	// Arrow is the packet. Valid iff Kind == RowPacket.
	Arrow Arrow
	// Call is the socket call and Lane the lane (0 client, 1 server) of the
	// socket that made it; Part says whether the row shows the whole call or
	// one end of a call split over two rows. Valid iff Kind == RowCall.
	Call Call
	Lane int
	Part CallPart
	// Elided summarises the packets left out. Valid iff Kind == RowElided.
	Elided Elided
}

// CallPart says which part of a socket call a row shows. A call that puts a
// packet on the wire sits just above that packet; a connect, which waits
// for the answer to its SYN, gets two rows when packets pass before it
// returns: CallStart above the SYN (Row.Time is the SYN's time) and
// CallReturn with its result where it returned, beside the SYN-ACK or the
// RST that refused it.
type CallPart uint8

// Parts of a call.
const (
	CallWhole CallPart = iota
	CallStart
	CallReturn
)

// Arrow is a packet drawn from its sender's lane to its receiver's.
type Arrow struct {
	// Dir is decode.ClientToServer for an arrow from the left lane to the
	// right, decode.ServerToClient for the way back.
	Dir decode.Dir
	// Packet is a copy of the decoded packet with every field (raw and
	// relative numbers, options, analysis, states), for drawings that show
	// header tables. Its Payload holds at most MaxPayload bytes, copied;
	// Conv is nil (see Diagram.Conv).
	Packet decode.Packet
}

// MaxPayload is how many payload bytes an Arrow keeps of its packet.
const MaxPayload = 64

// From returns the lane the arrow starts from (0 or 1), To the lane it
// points at.
func (a *Arrow) From() int { return int(a.Dir) }

// To returns the lane the arrow points at.
func (a *Arrow) To() int { return 1 - int(a.Dir) }

// Elided is a run of packets a Collector left out of the middle of a long
// conversation to keep its memory bounded.
type Elided struct {
	// Packets counts the packets left out, Data those of them that carry
	// payload, Bytes their payload bytes; Calls counts socket calls whose
	// time fell into the run.
	Packets, Data int
	Bytes         int64
	Calls         int
	// First and Last are the frame numbers of the first and last packet
	// left out, and End the capture time of the last.
	First, Last int
	End         time.Time
}

// Text describes the run in a few words: "… 12,345 data segments, 18.2 MB …"
// (with the count of other packets and calls when there are some).
func (e *Elided) Text() string {
	b := []byte("… ")
	if e.Data > 0 {
		b = appendCount(b, int64(e.Data), "data segment")
		b = append(b, ", "...)
		b = appendBytesSI(b, e.Bytes)
	}
	if other := e.Packets - e.Data; other > 0 {
		noun := "packet"
		if e.Data > 0 {
			b = append(b, ", "...)
			noun = "other packet"
		}
		b = appendCount(b, int64(other), noun)
	}
	if e.Calls > 0 {
		b = append(b, ", "...)
		b = appendCount(b, int64(e.Calls), "call")
	}
	b = append(b, " …"...)
	return string(b)
}

// Short describes the run in fewer words: "… 12,345 packets, 18.2 MB …".
func (e *Elided) Short() string {
	b := appendCount([]byte("… "), int64(e.Packets), "packet")
	b = append(b, ", "...)
	b = appendBytesSI(b, e.Bytes)
	return string(append(b, " …"...))
}

// appendCount appends n with thousands separators and noun after it, with
// an s unless n is 1: "12,345 packets", "1 call".
func appendCount(b []byte, n int64, noun string) []byte {
	b = appendThousands(b, n)
	b = append(b, ' ')
	b = append(b, noun...)
	if n != 1 {
		b = append(b, 's')
	}
	return b
}

// appendThousands appends n with commas between groups of three digits.
func appendThousands(b []byte, n int64) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	s := strconv.AppendInt(nil, n, 10)
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, c)
	}
	return b
}

// appendBytesSI appends a byte count in decimal units: "17 B", "1.5 kB",
// "18.2 MB".
func appendBytesSI(b []byte, n int64) []byte {
	if n < 1000 {
		b = strconv.AppendInt(b, n, 10)
		return append(b, " B"...)
	}
	units := []string{"kB", "MB", "GB", "TB", "PB", "EB"}
	f := float64(n) / 1000
	u := 0
	for f >= 999.95 && u < len(units)-1 {
		f /= 1000
		u++
	}
	b = strconv.AppendFloat(b, f, 'f', 1, 64)
	b = append(b, ' ')
	return append(b, units[u]...)
}

// PartKind says what a LabelPart shows.
type PartKind uint8

// Kinds of label part, in the order they appear in a label.
const (
	PartFlags    PartKind = iota // "SYN,ACK", or "UDP" for a datagram
	PartSeq                      // "seq 1:18"
	PartAck                      // "ack 18"
	PartLen                      // "len 17"
	PartWindow                   // "win 65536"
	PartOption                   // "mss 65495", "wscale 10", "sackOK", "TS"
	PartAnalysis                 // "retransmission", "dup ack #2", …
	PartMark                     // "truncated", "malformed"
)

// LabelPart is one piece of an arrow's label. Drawings that lack room drop
// the parts of the highest Level first and use Short where they must.
type LabelPart struct {
	Kind PartKind
	// Text is the part in full, Short an abbreviation (equal to Text when
	// there is none).
	Text, Short string
	// Level orders parts by how much they matter: 0 is never dropped
	// (flags, analysis marks), 1 the sequence numbers, 2 the length (and
	// the ack of a data segment), 3 the window, 4 the handshake options (on
	// a SYN the options are 3 and the window 4).
	Level int
}

// Label returns the parts of the arrow's label. With raw set the sequence
// and acknowledgment numbers are the raw ones from the header rather than
// relative ones.
func (a *Arrow) Label(raw bool) []LabelPart {
	p := &a.Packet
	var parts []LabelPart
	add := func(k PartKind, level int, text, short string) {
		if short == "" {
			short = text
		}
		parts = append(parts, LabelPart{Kind: k, Text: text, Short: short, Level: level})
	}
	if p.Proto == decode.ProtoUDP {
		add(PartFlags, 0, "UDP", "")
		add(PartLen, 0, "len "+strconv.Itoa(p.Len), strconv.Itoa(p.Len)+"B")
		return a.appendMarks(parts)
	}
	t := &p.TCP
	flags := "none"
	if t.Flags != 0 {
		flags = string(t.Flags.AppendNames(nil, ","))
	}
	add(PartFlags, 0, flags, "")
	seq, ack := t.Seq, t.Ack
	if t.Rel && !raw {
		seq, ack = t.RelSeq, t.RelAck
	}
	// An empty segment's seq matters when it is what the analysis is
	// about: a keep-alive sits one below the next sequence number, a probe
	// or resent segment repeats an earlier one.
	const seqMarks = decode.KeepAlive | decode.ZeroWindowProbe | decode.Retransmission |
		decode.FastRetransmission | decode.SpuriousRetransmission | decode.OutOfOrder | decode.LostSegment
	if p.Len > 0 || t.Flags&(decode.SYN|decode.FIN|decode.RST) != 0 || t.Analysis&seqMarks != 0 {
		s := "seq " + strconv.FormatUint(uint64(seq), 10)
		if p.Len > 0 {
			s += ":" + strconv.FormatUint(uint64(seq+uint32(p.Len)), 10)
		}
		add(PartSeq, 1, s, "")
	}
	if t.Flags.Has(decode.ACK) {
		// On a data segment the ack usually repeats itself; on a SYN-ACK,
		// FIN, RST or pure ACK it is the point.
		level := 1
		if p.Len > 0 {
			level = 2
		}
		add(PartAck, level, "ack "+strconv.FormatUint(uint64(ack), 10), "")
	}
	if p.Len > 0 {
		add(PartLen, 2, "len "+strconv.Itoa(p.Len), "")
	}
	win, winText, winShort := t.WindowScaled, "", ""
	if win < 0 {
		// The capture missed the handshake that announced the scale (a
		// zero window is zero at any scale).
		win = int(t.Window)
		if win != 0 {
			winText, winShort = " (unscaled)", "?"
		}
	}
	// On a SYN the options say more than the window, which is never
	// scaled there: they are dropped last.
	winLevel, optLevel := 3, 4
	if t.Flags.Has(decode.SYN) {
		winLevel, optLevel = 4, 3
	}
	if t.Analysis&(decode.ZeroWindow|decode.WindowUpdate) != 0 {
		// The window is what the mark is about.
		winLevel = 1
	}
	add(PartWindow, winLevel, "win "+strconv.Itoa(win)+winText, "win "+strconv.Itoa(win)+winShort)
	if t.Flags.Has(decode.SYN) {
		o := &t.Options
		if o.Set&decode.HasMSS != 0 {
			add(PartOption, optLevel, "mss "+strconv.Itoa(int(o.MSS)), "")
		}
		if o.Set&decode.HasWScale != 0 {
			add(PartOption, optLevel, "wscale "+strconv.Itoa(int(o.WScale)), "ws "+strconv.Itoa(int(o.WScale)))
		}
		if o.Set&decode.HasSACKPerm != 0 {
			add(PartOption, optLevel, "sackOK", "sack")
		}
		if o.Set&decode.HasTimestamps != 0 {
			add(PartOption, optLevel, "TS", "")
		}
	}
	return a.appendMarks(parts)
}

// analysisLabels gives each analysis condition its label and abbreviation.
var analysisLabels = [...]struct {
	a           decode.Analysis
	text, short string
}{
	{decode.Retransmission, "retransmission", "rexmit"},
	{decode.FastRetransmission, "fast retransmission", "fast rexmit"},
	{decode.SpuriousRetransmission, "spurious retransmission", "spurious"},
	{decode.DupAck, "dup ack", "dup"},
	{decode.OutOfOrder, "out of order", "ooo"},
	{decode.LostSegment, "previous segment not captured", "prev lost"},
	{decode.ZeroWindow, "zero window", "zero win"},
	{decode.WindowFull, "window full", "win full"},
	{decode.WindowUpdate, "window update", "win upd"},
	{decode.KeepAlive, "keep-alive", "ka"},
	{decode.ZeroWindowProbe, "zero window probe", "zwp"},
	{decode.KeepAliveAck, "keep-alive ack", "ka ack"},
	{decode.ZeroWindowProbeAck, "zero window probe ack", "zwp ack"},
}

// appendMarks appends the analysis and capture marks of the arrow's packet.
func (a *Arrow) appendMarks(parts []LabelPart) []LabelPart {
	p := &a.Packet
	if p.Proto == decode.ProtoTCP {
		for _, al := range analysisLabels {
			if !p.TCP.Analysis.Has(al.a) {
				continue
			}
			text, short := al.text, al.short
			if al.a == decode.DupAck && p.TCP.DupAckCount > 0 {
				n := " #" + strconv.Itoa(p.TCP.DupAckCount)
				text, short = text+n, short+n
			}
			parts = append(parts, LabelPart{Kind: PartAnalysis, Text: text, Short: short})
		}
	}
	if p.Truncated {
		parts = append(parts, LabelPart{Kind: PartMark, Text: "truncated", Short: "trunc"})
	}
	if p.Malformed {
		parts = append(parts, LabelPart{Kind: PartMark, Text: "malformed", Short: "bad"})
	}
	return parts
}
