package decode

import "time"

// Analysis is the set of conditions a Tracker found on a TCP segment, as
// Wireshark's tcp.analysis flags name them.
type Analysis uint16

// Analysis conditions.
const (
	Retransmission Analysis = 1 << iota
	FastRetransmission
	SpuriousRetransmission
	DupAck
	OutOfOrder
	LostSegment
	ZeroWindow
	WindowFull
	WindowUpdate
	KeepAlive
	ZeroWindowProbe
	KeepAliveAck
	ZeroWindowProbeAck
)

// analysisNames gives each condition its snake_case name, in print order.
var analysisNames = [...]struct {
	a    Analysis
	name string
}{
	{Retransmission, "retransmission"},
	{FastRetransmission, "fast_retransmission"},
	{SpuriousRetransmission, "spurious_retransmission"},
	{DupAck, "dup_ack"},
	{OutOfOrder, "out_of_order"},
	{LostSegment, "lost_segment"},
	{ZeroWindow, "zero_window"},
	{WindowFull, "window_full"},
	{WindowUpdate, "window_update"},
	{KeepAlive, "keep_alive"},
	{ZeroWindowProbe, "zero_window_probe"},
	{KeepAliveAck, "keep_alive_ack"},
	{ZeroWindowProbeAck, "zero_window_probe_ack"},
}

// Has reports whether every condition in x is set.
func (a Analysis) Has(x Analysis) bool { return a&x == x }

// Names returns the snake_case names of the conditions set, in a fixed order.
func (a Analysis) Names() []string {
	var names []string
	for _, an := range analysisNames {
		if a&an.a != 0 {
			names = append(names, an.name)
		}
	}
	return names
}

// AppendNames appends the names of the conditions set, separated by sep.
func (a Analysis) AppendNames(b []byte, sep string) []byte {
	first := true
	for _, an := range analysisNames {
		if a&an.a == 0 {
			continue
		}
		if !first {
			b = append(b, sep...)
		}
		first = false
		b = append(b, an.name...)
	}
	return b
}

// maxUnacked bounds the segments per direction a Tracker remembers for
// matching ACKs to the segments they acknowledge (Wireshark keeps 10000).
// Past it, new segments are not remembered until ACKs free room.
const maxUnacked = 512

// unacked is a segment waiting for its ACK.
type unacked struct {
	frame   uint32
	seq     uint32 // first sequence number not yet acknowledged
	nextSeq uint32 // sequence number after the segment (SYN and FIN count one)
	at      int64  // capture time, Unix nanoseconds
}

// seqInfo is one direction's sequence analysis state, as Wireshark's
// tcp_analyze_seq_info and the flow fields next to it.
type seqInfo struct {
	nextSeqTime int64
	lastAckTime int64
	nextSeq     uint32 // highest sequence number sent so far, plus one
	lastAck     uint32 // the last acknowledgment number sent
	window      uint32 // the last window sent, scaled when the scale is known
	dupAcks     int32
	lastFlags   Analysis
	nextSeqSet  bool
	lastAckSet  bool
	windowSet   bool
	unacked     []unacked
}

// analyze runs Wireshark's sequence analysis (epan/dissectors/packet-tcp.c,
// tcp_analyze_sequence_number) on p, sent in direction d of c, as a single
// pass sees it: every mark depends only on the packets before it.
func analyze(c *Conversation, d Dir, p *Packet) {
	t := &p.TCP
	fwd, rev := &c.flows[d].seq, &c.flows[1-d].seq
	revScale := c.flows[1-d].wscale
	now := p.Time.UnixNano()
	seq := t.Seq
	var ack uint32
	if t.Flags.Has(ACK) {
		ack = t.Ack
	}
	seglen := uint32(max(p.Len, 0))
	window := uint32(t.Window)
	if t.WindowScaled >= 0 {
		window = uint32(t.WindowScaled)
	}
	sfr := t.Flags&(SYN|FIN|RST) != 0
	var a Analysis
	t.DupAckCount, t.AckRTT, t.AckedFrame = 0, 0, 0

	// ZeroWindowProbe skips the checks up to the ACK bookkeeping.
	if seglen == 1 && fwd.nextSeqSet && seq == fwd.nextSeq && rev.windowSet && rev.window == 0 {
		a |= ZeroWindowProbe
	} else {
		if window == 0 && !sfr {
			a |= ZeroWindow
		}
		if fwd.nextSeqSet && seqGT(seq, fwd.nextSeq) && !t.Flags.Has(RST) {
			a |= LostSegment
		}
		if seglen <= 1 && fwd.nextSeqSet && seq == fwd.nextSeq-1 && !sfr {
			a |= KeepAlive
		}
		same := seglen == 0 && fwd.nextSeqSet && seq == fwd.nextSeq && fwd.lastAckSet && ack == fwd.lastAck && !sfr
		if same && window != 0 && fwd.windowSet && window != fwd.window {
			a |= WindowUpdate
		}
		if seglen > 0 && revScale != wscaleUnknown && rev.lastAckSet && rev.windowSet &&
			seq+seglen == rev.lastAck+rev.window && !sfr {
			a |= WindowFull
		}
		switch {
		case same && window != 0 && window == fwd.window && rev.lastFlags.Has(KeepAlive):
			a |= KeepAliveAck
		case seglen == 0 && window == 0 && fwd.windowSet && window == fwd.window && fwd.nextSeqSet && seq == fwd.nextSeq &&
			fwd.lastAckSet && (ack == fwd.lastAck || ack == fwd.lastAck+1) && rev.lastFlags.Has(ZeroWindowProbe) && !sfr:
			a |= ZeroWindowProbeAck
			if ack == fwd.lastAck+1 {
				// The receiver took the probe's byte.
				rev.nextSeq = ack
			}
		case same && window != 0 && window == fwd.window:
			fwd.dupAcks++
			a |= DupAck
			t.DupAckCount = int(fwd.dupAcks)
		}
	}
	if !fwd.lastAckSet || ack != fwd.lastAck {
		fwd.dupAcks = 0
	}

	next := seq + seglen
	if t.Flags&(SYN|FIN) != 0 {
		next++
	}

	// Retransmission, fast retransmission, spurious retransmission or out
	// of order: a segment with data, SYN or FIN that does not advance the
	// sequence number.
	if (seglen > 0 || t.Flags&(SYN|FIN) != 0) && !a.Has(KeepAlive) {
		notAdvanced := fwd.nextSeqSet && seqLT(seq, fwd.nextSeq)
		if seglen > 1 && fwd.nextSeqSet && seq == fwd.nextSeq-1 {
			// New data starting one byte early, after what may have been a
			// zero-window probe: not resent, as Wireshark sees it.
			notAdvanced = false
		}
		ooo := int64(3 * time.Millisecond)
		if c.IRTT > 0 {
			ooo = int64(c.IRTT)
		}
		switch {
		case notAdvanced && rev.dupAcks >= 2 && rev.lastAckSet && rev.lastAck == seq && now-rev.lastAckTime < int64(20*time.Millisecond):
			a |= FastRetransmission
		case notAdvanced && now-fwd.nextSeqTime < ooo && fwd.nextSeq != next:
			a |= OutOfOrder
		case seglen > 0 && rev.lastAckSet && rev.lastAck != 0 && seqGE(rev.lastAck, seq+seglen):
			a |= SpuriousRetransmission
		case notAdvanced:
			a |= Retransmission
		}
	}

	if (seglen > 0 || t.Flags&(SYN|FIN) != 0) && len(fwd.unacked) < maxUnacked {
		if fwd.unacked == nil {
			fwd.unacked = make([]unacked, 0, 2)
		}
		fwd.unacked = append(fwd.unacked, unacked{frame: uint32(p.N), seq: seq, nextSeq: next, at: now})
	}
	if (!fwd.nextSeqSet || seqGT(next, fwd.nextSeq)) && !a.Has(ZeroWindowProbe) {
		fwd.nextSeq, fwd.nextSeqSet, fwd.nextSeqTime = next, true, now
	}
	fwd.window, fwd.windowSet = window, true
	fwd.lastAck, fwd.lastAckSet, fwd.lastAckTime = ack, true, now
	fwd.lastFlags = a

	// Match the ACK to the oldest remembered segment it ends, and forget the
	// segments it covers.
	if t.Flags.Has(ACK) && len(rev.unacked) > 0 {
		kept := rev.unacked[:0]
		for _, u := range rev.unacked {
			switch {
			case ack == u.nextSeq:
				if t.AckedFrame == 0 {
					t.AckedFrame, t.AckRTT = int(u.frame), time.Duration(now-u.at)
				}
				continue
			case seqGT(ack, u.seq) && seqLT(ack, u.nextSeq):
				u.seq = ack
			case seqGT(ack, u.nextSeq):
				continue
			}
			kept = append(kept, u)
		}
		rev.unacked = kept
	}

	// The handshake's round trip: from the last SYN to the first ACK.
	if t.Flags&(SYN|ACK) == SYN {
		c.lastSYN = now
	} else if t.Flags&(SYN|ACK) == ACK && c.lastSYN != 0 && c.IRTT == 0 {
		c.IRTT = time.Duration(now - c.lastSYN)
	}

	t.Analysis = a
	if a&(Retransmission|FastRetransmission|SpuriousRetransmission) != 0 {
		c.Retransmissions[d]++
	}
	if a.Has(ZeroWindow) {
		c.ZeroWindows[d]++
	}
}
