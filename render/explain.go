package render

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/tcpshow/tcpshow/decode"
)

// Topic names what a teaching Note explains.
type Topic string

// The topics of teaching notes, each given at most once per conversation,
// on the first packet it applies to.
const (
	TopicRelative    Topic = "relative"       // relative versus raw sequence numbers
	TopicSynAck      Topic = "syn-ack"        // the SYN-ACK acknowledges ISN + 1
	TopicChecksum    Topic = "checksum"       // checksums shown as incorrect (offload)
	TopicMSS         Topic = "mss"            // where the MSS value comes from
	TopicWindowScale Topic = "window-scale"   // window scale arithmetic
	TopicSeqRange    Topic = "seq-range"      // end-exclusive seq a:b and the ACK that follows
	TopicFinAck      Topic = "fin-ack"        // a FIN takes one sequence number
	TopicHalfClose   Topic = "half-close"     // data after the peer's FIN
	TopicTimeWait    Topic = "time-wait"      // the side that closes first waits in TIME-WAIT
	TopicRefused     Topic = "refused"        // RST in reply to a SYN: ECONNREFUSED
	TopicReset       Topic = "reset"          // RST on an open connection: ECONNRESET
	TopicRetransmit  Topic = "retransmission" // a segment sent again: the RTO fired
	TopicZeroWindow  Topic = "zero-window"    // win 0: the receiver's buffer is full
	TopicUDP         Topic = "udp"            // UDP keeps message boundaries
	TopicSimOpen     Topic = "simultaneous-open"
	TopicDupAck      Topic = "dup-ack"      // a duplicate ACK: the receiver still waits for a missing segment
	TopicGap         Topic = "not-captured" // a segment after bytes the capture never saw
	TopicOutOfOrder  Topic = "out-of-order" // a segment that arrives after later ones
	TopicSpurious    Topic = "spurious"     // a retransmission of data already acknowledged
	TopicKeepAlive   Topic = "keep-alive"   // an empty probe one below the next sequence number
)

// Note is a short teaching note about a packet, derived from its values.
type Note struct {
	// Frame is the packet's frame number.
	Frame int
	Topic Topic
	// Text is one or two sentences of plain text (it may contain Unicode
	// such as × and →).
	Text string
}

// Explainer derives teaching notes from packets as they stream past: why
// the numbers in them are what they are. Each topic is explained once per
// conversation, on the first packet it applies to. An Explainer is not
// safe for concurrent use.
type Explainer struct {
	convs map[*decode.Conversation]*explained
}

// explained is what an Explainer remembers about one conversation.
type explained struct {
	done map[Topic]bool
	// isn holds each direction's initial sequence number, once its SYN was
	// seen; synSeen reports it.
	isn     [2]uint32
	synSeen [2]bool
	synAck  bool // a SYN-ACK was seen
	// pureSyn reports that each direction sent a SYN without ACK; simOpen
	// that both did before any SYN-ACK (a simultaneous open).
	pureSyn [2]bool
	simOpen bool
	// zeroWin reports that each direction's last ACK advertised a zero
	// window.
	zeroWin [2]bool
	synTime [2]time.Time // when each direction's last SYN was sent
	// finSeq is the relative sequence number of each direction's FIN;
	// finSent reports it was sent, and firstFin which side sent one first.
	finSeq   [2]uint32
	finSent  [2]bool
	firstFin decode.Dir
	// simultaneous reports that each side sent its FIN before it had
	// received the other's.
	simultaneous bool
	datagram     [2]int // UDP datagrams seen per direction
}

// NewExplainer returns an Explainer that has explained nothing yet.
func NewExplainer() *Explainer {
	return &Explainer{convs: make(map[*decode.Conversation]*explained)}
}

// Forget drops what e remembers about c, as writers do when c ends.
func (e *Explainer) Forget(c *decode.Conversation) { delete(e.convs, c) }

// Notes returns the notes that first apply to p, appended to dst. p must
// have been through a decode.Tracker; packets of no conversation get none.
func (e *Explainer) Notes(dst []Note, p *decode.Packet) []Note {
	if p.Proto == decode.ProtoNone || p.Conv == nil {
		return dst
	}
	x := e.convs[p.Conv]
	if x == nil {
		x = &explained{done: make(map[Topic]bool)}
		e.convs[p.Conv] = x
	}
	add := func(t Topic, format string, args ...any) {
		if x.done[t] {
			return
		}
		x.done[t] = true
		dst = append(dst, Note{Frame: p.N, Topic: t, Text: fmt.Sprintf(format, args...)})
	}
	c := p.Conv
	d := c.Dir(p)
	side, peer := sideNames(d)
	if p.Proto == decode.ProtoUDP {
		x.datagram[d]++
		if x.datagram[d] == 1 {
			add(TopicUDP, "UDP: no handshake and no sequence numbers. This datagram is one send of %d bytes and "+
				"the receiver's read returns exactly those %d bytes: UDP keeps message boundaries, "+
				"where TCP delivers a stream of bytes that reads may split or join.", p.Len, p.Len)
		}
		if p.UDP.ChecksumStatus == decode.ChecksumIncorrect {
			add(TopicChecksum, "%s", checksumNote(p, p.UDP.Checksum))
		}
		return dst
	}

	t := &p.TCP
	syn, ack, fin, rst := t.Flags.Has(decode.SYN), t.Flags.Has(decode.ACK), t.Flags.Has(decode.FIN), t.Flags.Has(decode.RST)
	if syn && !ack {
		if x.pureSyn[1-d] && !x.synAck {
			x.simOpen = true
			add(TopicSimOpen, "Both sides sent a SYN before receiving the other's: a simultaneous open (RFC 9293 §3.5, "+
				"figure 8). Each goes SYN-SENT → SYN-RECEIVED and answers the other's SYN with a SYN,ACK that repeats its "+
				"own SYN's sequence number; Wireshark and tcpshow mark those as retransmissions of the SYNs, though no "+
				"timer expired.")
		}
		x.pureSyn[d] = true
	}
	if syn {
		if x.synSeen[d] && x.isn[d] == t.Seq && !x.synTime[d].IsZero() && !(x.simOpen && ack) {
			gap := p.Time.Sub(x.synTime[d])
			add(TopicRetransmit, "This %s repeats the one sent %s ms earlier, which got no answer: the %s's "+
				"retransmission timer (RTO) expired. Before any RTT is measured the RTO is 1 s (RFC 6298 §2.1), and "+
				"each further expiry doubles it (§5.5).", t.Flags.String(), formatMS(gap), side)
		}
		x.isn[d], x.synSeen[d], x.synTime[d] = t.Seq, true, p.Time
		if ack {
			x.synAck = true
		}
	}
	if !syn && t.Analysis&(decode.Retransmission|decode.FastRetransmission) != 0 && t.Rel {
		how := "no ACK came back before the sender's retransmission timer (RTO) expired"
		if t.Analysis.Has(decode.FastRetransmission) {
			how = "the receiver's duplicate ACKs told the sender it was lost (fast retransmit, without waiting for the RTO)"
		}
		add(TopicRetransmit, "seq %d:%d was sent before: %s. The copy carries the same sequence numbers, so the "+
			"receiver keeps only one.", t.RelSeq, t.RelSeq+uint32(p.Len), how)
	}
	if !syn && t.Rel {
		end := t.RelSeq + uint32(p.Len)
		switch {
		case t.Analysis.Has(decode.SpuriousRetransmission):
			add(TopicSpurious, "seq %d:%d had already been acknowledged when it was sent again: a spurious "+
				"retransmission. The sender's timer fired too soon or the ACK it waited for was lost; the %s answers "+
				"with a duplicate ACK, whose SACK block (a D-SACK, RFC 2883) names the bytes it got twice.",
				t.RelSeq, end, peer)
		case t.Analysis.Has(decode.OutOfOrder):
			add(TopicOutOfOrder, "seq %d:%d comes after data further on had already passed: the network delivered "+
				"it late (out of order). The %s's TCP puts the bytes back in sequence order before its application "+
				"reads them.", t.RelSeq, end, peer)
		}
		if t.Analysis.Has(decode.LostSegment) {
			add(TopicGap, "seq %d starts beyond the last byte seen from the %s: the segment before it never passed "+
				"the capture point, lost on the way or sent before the capture started. The %s will say so with "+
				"duplicate ACKs.", t.RelSeq, side, peer)
		}
		if t.Analysis.Has(decode.DupAck) && t.DupAckCount > 0 {
			add(TopicDupAck, "ack %d again (duplicate ACK #%d): the %s got a segment beyond a gap and says once more "+
				"which byte it still expects. After three duplicates the %s resends that segment at once, without "+
				"waiting for its timer (fast retransmit, RFC 5681 §3.2).", t.RelAck, t.DupAckCount, side, peer)
		}
		if t.Analysis.Has(decode.KeepAlive) {
			if x.zeroWin[1-d] {
				add(TopicKeepAlive, "An empty segment whose seq %d is one below the next byte: the %s's window is 0, "+
					"and this is how Linux probes it (tshark calls it a keep-alive). The %s must answer with an ACK, "+
					"and that ACK carries its current window: once it is above 0, sending resumes.", t.RelSeq, peer, peer)
			} else {
				add(TopicKeepAlive, "A keep-alive: an empty segment whose seq %d is one below the next byte, sent after "+
					"a silence (SO_KEEPALIVE). It carries nothing new, so the %s answers with an ACK of what it has, "+
					"which proves it is still there.", t.RelSeq, peer)
			}
		}
	}
	if ack {
		x.zeroWin[d] = !syn && !rst && t.Window == 0
	}
	if ack && x.zeroWin[d] {
		add(TopicZeroWindow, "win 0: the %s's receive buffer is full because its application is not reading. The %s "+
			"must stop sending data; it sends small zero-window probes until a window update (win > 0) reopens it.", side, peer)
	}

	// Relative numbers, on the conversation's first TCP packet.
	if t.Rel && !x.done[TopicRelative] {
		if syn {
			add(TopicRelative, "seq %d is relative: tcpshow (like Wireshark) subtracts this side's initial sequence number (ISN), "+
				"raw %d, which the kernel picks at random. Raw numbers are in --format table, header and json.", t.RelSeq, t.Seq)
		} else {
			add(TopicRelative, "The capture starts mid-connection, without the SYNs, so relative numbers count from this "+
				"segment (relative %d = raw %d); the states of both sides are unknown until packets show them.", t.RelSeq, t.Seq)
		}
	}
	if syn && ack && x.synSeen[1-d] && t.Ack == x.isn[1-d]+1 {
		add(TopicSynAck, "The SYN-ACK's ack %d (relative 1) is the %s's ISN %d + 1: a SYN takes up one sequence number, "+
			"though it carries no data, and ack names the next byte expected.", t.Ack, peer, x.isn[1-d])
	}
	if syn && t.Options.Set&decode.HasMSS != 0 {
		add(TopicMSS, "%s", mssNote(p))
	}
	if t.ChecksumStatus == decode.ChecksumIncorrect {
		add(TopicChecksum, "%s", checksumNote(p, t.Checksum))
	}
	if !syn && t.WindowScaled > 0 && t.Window > 0 && t.WindowScaled != int(t.Window) {
		shift := 0
		for int(t.Window)<<shift < t.WindowScaled {
			shift++
		}
		add(TopicWindowScale, "win %d is the window field %d shifted by the window scale %d that the %s's SYN announced: "+
			"%d × 2^%d = %d × %d = %d bytes. Scaling applies only after the handshake, and only if both SYNs offered it.",
			t.WindowScaled, t.Window, shift, side, t.Window, shift, t.Window, 1<<shift, t.WindowScaled)
	}
	if p.Len > 0 && t.Rel && !syn {
		end := t.RelSeq + uint32(p.Len)
		add(TopicSeqRange, "seq %d:%d is end-exclusive: %d bytes numbered %d to %d. The %s acknowledges them with ack %d, "+
			"the number of the next byte it expects.", t.RelSeq, end, p.Len, t.RelSeq, end-1, peer, end)
	}
	if fin && !x.finSent[d] {
		x.finSeq[d] = t.RelSeq + uint32(p.Len)
		if !x.finSent[1-d] {
			x.firstFin = d
		} else if !ack || t.RelAck != x.finSeq[1-d]+1 {
			x.simultaneous = true
		}
		x.finSent[d] = true
	}
	if p.Len > 0 && x.finSent[1-d] && !x.finSent[d] {
		add(TopicHalfClose, "The %s still sends data after the %s's FIN: a FIN closes only its sender's direction "+
			"(shutdown(SHUT_WR), a half-close). The %s can go on reading until the %s sends its own FIN.", side, peer, peer, side)
	}
	// TIME-WAIT: where the tracker's states show it, else on the ACK of
	// the second FIN by the side that sent the first.
	waiter, waiting := d, false
	switch {
	case t.SrcState == decode.StateTimeWait:
		waiting = true
	case t.DstState == decode.StateTimeWait:
		waiter, waiting = 1-d, true
	case ack && t.Rel && x.finSent[1-d] && x.finSent[d] && t.RelAck == x.finSeq[1-d]+1 && (x.firstFin == d || x.simultaneous):
		waiting = true
	}
	if ack && t.Rel && x.finSent[1-d] && t.RelAck == x.finSeq[1-d]+1 {
		add(TopicFinAck, "ack %d = the %s's FIN at seq %d + 1: like a SYN, a FIN takes up one sequence number, so that it "+
			"can be acknowledged.", t.RelAck, peer, x.finSeq[1-d])
	}
	if waiting {
		w, other := sideNames(waiter)
		if x.simultaneous {
			add(TopicTimeWait, "Both sides sent a FIN before receiving the other's (a simultaneous close): each goes "+
				"from FIN-WAIT-1 through CLOSING to TIME-WAIT, where it waits 2×MSL (60 s on Linux) before the "+
				"connection is gone.")
		} else {
			add(TopicTimeWait, "The %s is now in TIME-WAIT because it closed first (it sent the first FIN): having the "+
				"%s's FIN, it acknowledges it and waits 2×MSL (60 s on Linux), so that it can resend that last ACK if it "+
				"is lost and stray old segments die out. The %s, which closed second, goes to CLOSED as soon as the ACK "+
				"arrives.", w, other, other)
		}
	}
	if rst {
		switch {
		case !x.synAck && x.synSeen[1-d] && !x.synSeen[d]:
			add(TopicRefused, "RST in reply to the SYN: nothing listens on port %d, so the %s's kernel refuses the "+
				"connection. This RST is what makes connect() fail with ECONNREFUSED (\"Connection refused\").",
				p.Src.Port(), side)
		default:
			add(TopicReset, "RST aborts the connection at once: no FIN exchange, no TIME-WAIT, and data not yet read is "+
				"thrown away. The %s's next read or write fails with ECONNRESET (\"Connection reset by peer\").", peer)
		}
	}
	return dst
}

// sideNames returns the names of the sender and the receiver of a packet
// in direction d.
func sideNames(d decode.Dir) (sender, receiver string) {
	if d == decode.ClientToServer {
		return "client", "server"
	}
	return "server", "client"
}

// checksumNote explains a checksum that does not verify.
func checksumNote(p *decode.Packet, sum uint16) string {
	if isLoopback(p.Src) && isLoopback(p.Dst) {
		return fmt.Sprintf("Checksum 0x%04x shows as incorrect, and that is normal on loopback: the kernel leaves the "+
			"checksum to the network card (checksum offload), the loopback device has none and the data never leaves "+
			"memory, so the field keeps the partial sum the kernel put there.", sum)
	}
	return fmt.Sprintf("Checksum 0x%04x does not verify. On the capturing host this usually means checksum offload "+
		"(the card fills it in after the capture point); on other hosts, a damaged packet.", sum)
}

func isLoopback(ap netip.AddrPort) bool { return ap.Addr().Unmap().IsLoopback() }

// mssNote explains the MSS a SYN announces.
func mssNote(p *decode.Packet) string {
	mss := int(p.TCP.Options.MSS)
	ipHdr, ipName := 20, "IPv4"
	if p.IP.Version == 6 {
		ipHdr, ipName = 40, "IPv6"
	}
	pkt := mss + ipHdr + 20
	s := fmt.Sprintf("MSS %d is the largest segment payload the sender will accept: a packet of %d bytes − %d (%s header) − 20 "+
		"(TCP header without options).", mss, pkt, ipHdr, ipName)
	switch {
	case isLoopback(p.Src) && p.IP.Version == 4 && pkt == 65535:
		s += " On loopback the MTU is 65536, but an IPv4 packet can be at most 65535 bytes long."
	case isLoopback(p.Src) && pkt == 65536:
		s += " 65536 is the loopback device's MTU."
	case pkt == 1500:
		s += " 1500 is Ethernet's MTU."
	}
	return s
}

// explainWriter adds the notes of an Explainer after each packet that a
// streaming format writes (lines, table, header).
type explainWriter struct {
	Writer
	w     io.Writer
	o     Options
	ex    *Explainer
	notes []Note
	buf   []byte
}

// withNotes wraps w, which writes each packet to out as it comes, so that
// each packet's notes follow it.
func withNotes(w Writer, out io.Writer, o Options) Writer {
	return &explainWriter{Writer: w, w: out, o: o, ex: NewExplainer()}
}

// WritePacket writes p, then its notes.
func (x *explainWriter) WritePacket(p *decode.Packet) error {
	if err := x.Writer.WritePacket(p); err != nil {
		return err
	}
	x.notes = x.ex.Notes(x.notes[:0], p)
	if len(x.notes) == 0 {
		return nil
	}
	x.buf = AppendNotes(x.buf[:0], x.notes, &x.o)
	_, err := x.w.Write(x.buf)
	return err
}

// WriteCall passes c on to the wrapped writer if it shows calls.
func (x *explainWriter) WriteCall(c Call) error {
	if cw, ok := x.Writer.(CallWriter); ok {
		return cw.WriteCall(c)
	}
	return nil
}

// EndConversation forgets c's notes and passes c on to the wrapped writer
// if it holds conversations.
func (x *explainWriter) EndConversation(c *decode.Conversation) error {
	x.ex.Forget(c)
	if ce, ok := x.Writer.(interface {
		EndConversation(*decode.Conversation) error
	}); ok {
		return ce.EndConversation(c)
	}
	return nil
}

// AppendNotes appends notes as indented paragraphs, each marked with a
// pointer (plain ASCII with o.ASCII) and wrapped to o's width.
func AppendNotes(b []byte, notes []Note, o *Options) []byte {
	mark, text := "  ▸ ", ""
	if o.ASCII {
		mark = "  > "
	}
	for _, n := range notes {
		text = n.Text
		if o.ASCII {
			text = asciiIf(true, text)
		}
		for i, line := range wrapWords(text, o.width()-4) {
			if i == 0 {
				b = append(b, mark...)
			} else {
				b = append(b, "    "...)
			}
			if o.Color {
				b = append(b, ansiDim...)
			}
			b = append(b, line...)
			if o.Color {
				b = append(b, ansiReset...)
			}
			b = append(b, '\n')
		}
	}
	return b
}

// wrapWords breaks s into lines of at most width columns at spaces; a
// word wider than width gets a line of its own.
func wrapWords(s string, width int) []string {
	var lines []string
	line, w := "", 0
	for _, word := range strings.Fields(s) {
		ww := runewidth.StringWidth(word)
		if w > 0 && w+1+ww > width {
			lines = append(lines, line)
			line, w = "", 0
		}
		if w > 0 {
			line += " "
			w++
		}
		line += word
		w += ww
	}
	if w > 0 {
		lines = append(lines, line)
	}
	return lines
}

// DiagramNotes returns the teaching notes of d's packets, as an Explainer
// gives them while the packets stream past, in row order. Packets elided
// from a long conversation get none.
func DiagramNotes(d *Diagram) []Note {
	conv := decode.Conversation{ID: d.ID, Proto: d.Proto, Client: d.Lanes[0].Endpoint, Server: d.Lanes[1].Endpoint}
	ex := NewExplainer()
	var notes []Note
	for i := range d.Rows {
		r := &d.Rows[i]
		if r.Kind != RowPacket {
			continue
		}
		p := r.Arrow.Packet
		p.Conv = &conv
		notes = ex.Notes(notes, &p)
	}
	return notes
}

// appendNumberedNotes appends notes under a "Notes" heading, each led by
// its frame number and wrapped to o's width, as the drawings of whole
// conversations list them below the diagram.
func appendNumberedNotes(b []byte, notes []Note, o *Options) []byte {
	if len(notes) == 0 {
		return b
	}
	b = append(b, "Notes (by frame number):\n"...)
	for _, n := range notes {
		text := n.Text
		if o.ASCII {
			text = asciiIf(true, text)
		}
		num := strconv.Itoa(n.Frame)
		for i, line := range wrapWords(text, o.width()-7) {
			if i == 0 {
				b = append(b, strings.Repeat(" ", max(5-len(num), 1))...)
				b = append(b, num...)
				b = append(b, "  "...)
			} else {
				b = append(b, "       "...)
			}
			b = append(b, line...)
			b = append(b, '\n')
		}
	}
	return b
}
