package decode

// State is a TCP endpoint's state in the state machine of RFC 9293 §3.3.2,
// as inferred from the packets an endpoint sent and received.
type State uint8

// TCP states. StateUnknown means the capture does not tell.
const (
	StateUnknown State = iota
	StateClosed
	StateListen
	StateSynSent
	StateSynReceived
	StateEstablished
	StateFinWait1
	StateFinWait2
	StateCloseWait
	StateClosing
	StateLastAck
	StateTimeWait
)

var stateNames = [...]string{
	StateUnknown:     "UNKNOWN",
	StateClosed:      "CLOSED",
	StateListen:      "LISTEN",
	StateSynSent:     "SYN-SENT",
	StateSynReceived: "SYN-RECEIVED",
	StateEstablished: "ESTABLISHED",
	StateFinWait1:    "FIN-WAIT-1",
	StateFinWait2:    "FIN-WAIT-2",
	StateCloseWait:   "CLOSE-WAIT",
	StateClosing:     "CLOSING",
	StateLastAck:     "LAST-ACK",
	StateTimeWait:    "TIME-WAIT",
}

// String returns the state's name as RFC 9293 writes it ("SYN-SENT"), or
// "UNKNOWN".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "UNKNOWN"
}

// seqGT reports whether sequence number a is after b, modulo 2^32.
func seqGT(a, b uint32) bool { return int32(a-b) > 0 }

// seqGE reports whether sequence number a is b or after it, modulo 2^32.
func seqGE(a, b uint32) bool { return int32(a-b) >= 0 }

// seqLT reports whether sequence number a is before b, modulo 2^32.
func seqLT(a, b uint32) bool { return int32(a-b) < 0 }

// inferStates moves both endpoints of c through RFC 9293's state machine for
// the segment p sent in direction d: the sender as it sends it, the
// receiver as it processes it. Segments are taken as acceptable; the
// capture point is assumed to see what both ends see (as on loopback).
//
// Two choices follow from inferring states from packets alone, as they
// stream in. The receiver of a connection's first SYN is UNKNOWN until it
// answers, because the SYN does not tell whether anyone listens: its
// SYN-ACK shows it SYN-RECEIVED, its RST CLOSED, and a diagram drawn once
// the conversation is over can show it as LISTEN or CLOSED before the SYN.
// And an endpoint the capture met mid-connection is UNKNOWN until it sends
// a segment (ESTABLISHED, or a FIN state) or receives a FIN (CLOSE-WAIT).
func inferStates(c *Conversation, d Dir, p *Packet) {
	t := &p.TCP
	f := t.Flags
	s, r := &c.flows[d], &c.flows[1-d]
	ss, rs := &c.States[d], &c.States[1-d]

	// What the segment tells about each side's SYN and FIN.
	segEnd := t.Seq + uint32(p.Len)
	if f.Has(SYN) {
		if !s.synSeen {
			s.synSeen, s.iss = true, t.Seq
		}
		segEnd++
	}
	if f.Has(FIN) && !s.finSeen {
		s.finSeen, s.finSeq = true, segEnd
	}
	ackedSYN, ackedFIN := false, false
	if f.Has(ACK) {
		if r.synSeen && seqGT(t.Ack, r.iss) {
			ackedSYN = !r.synAcked
			r.synAcked = true
		}
		if r.finSeen && seqGT(t.Ack, r.finSeq) {
			ackedFIN = !r.finAcked
			r.finAcked = true
		}
	}
	// ackedPeerFIN: this segment acknowledges the receiver's FIN.
	ackedPeerFIN := r.finAcked

	if f.Has(RST) {
		*ss = StateClosed
		switch {
		case *rs == StateListen:
			// A listener ignores a RST.
		case *rs == StateSynReceived && d == ClientToServer:
			// A passive open returns to LISTEN (RFC 9293 §3.10.7.4).
			*rs = StateListen
		default:
			*rs = StateClosed
		}
		if c.EndedBy == EndOpen {
			c.EndedBy = EndRST
		}
		t.SrcState, t.DstState = *ss, *rs
		return
	}

	// The sender.
	switch {
	case f.Has(SYN) && !f.Has(ACK):
		switch *ss {
		case StateUnknown, StateClosed, StateListen, StateSynSent:
			*ss = StateSynSent
		}
	case f.Has(SYN):
		switch *ss {
		case StateUnknown, StateClosed, StateListen, StateSynSent:
			*ss = StateSynReceived
		}
	default:
		if *ss == StateUnknown {
			// A segment without SYN shows the sender synchronized.
			*ss = StateEstablished
			if r.finSeen {
				*ss = StateCloseWait
			}
		}
	}
	if f.Has(FIN) {
		switch *ss {
		case StateEstablished, StateSynReceived, StateCloseWait:
			switch {
			case !r.finSeen:
				*ss = StateFinWait1
			case ackedPeerFIN:
				*ss = StateLastAck
			default:
				// The FINs crossed: a simultaneous close.
				*ss = StateClosing
			}
		}
	}

	// The receiver.
	switch {
	case f.Has(SYN) && !f.Has(ACK):
		// A SYN does not tell whether its receiver listens: it stays
		// UNKNOWN until it answers, unless it sent a SYN itself.
		if *rs == StateSynSent {
			*rs = StateSynReceived // simultaneous open
		}
	case f.Has(SYN):
		switch *rs {
		case StateUnknown, StateClosed, StateSynSent, StateSynReceived, StateListen:
			*rs = StateEstablished
		}
	}
	if !f.Has(SYN) && f.Has(ACK) {
		switch *rs {
		case StateSynReceived:
			if ackedSYN || r.synAcked {
				*rs = StateEstablished
			}
		case StateFinWait1:
			if ackedFIN {
				*rs = StateFinWait2
			}
		case StateClosing:
			if ackedFIN {
				*rs = StateTimeWait
			}
		case StateLastAck:
			if ackedFIN {
				*rs = StateClosed
			}
		}
	}
	if f.Has(FIN) {
		switch *rs {
		case StateUnknown, StateEstablished, StateSynReceived:
			*rs = StateCloseWait
		case StateFinWait1:
			*rs = StateClosing
		case StateFinWait2:
			*rs = StateTimeWait
		}
	}

	if s.synSeen && r.synSeen && s.synAcked && r.synAcked {
		c.Handshake = true
	}
	if c.EndedBy == EndOpen && s.finAcked && r.finAcked {
		c.EndedBy = EndFIN
	}
	t.SrcState, t.DstState = *ss, *rs
}
