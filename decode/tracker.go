package decode

import (
	"net/netip"
	"time"
)

// Dir is the direction of a packet within its conversation.
type Dir uint8

// Directions: from the client (the sender of the first SYN) to the server,
// and back.
const (
	ClientToServer Dir = 0
	ServerToClient Dir = 1
)

// Window-scale shifts that are not shifts, as Wireshark keeps them.
const (
	wscaleUnknown = -1 // the handshake was not seen
	wscaleNone    = -2 // the handshake was seen and one side did not offer scaling
)

// flow is what a Tracker keeps about one direction of a TCP conversation.
type flow struct {
	baseSet bool
	base    uint32 // the initial sequence number (relative 0)
	wscale  int8   // announced shift, or wscaleUnknown / wscaleNone
}

// Conversation is a TCP connection or a UDP exchange between two endpoints.
type Conversation struct {
	// ID numbers conversations from 1 in the order their first packet
	// appears.
	ID    int
	Proto Proto
	// Client is the endpoint that sent the first SYN (for UDP and for TCP
	// captures that miss the handshake, the sender of the first packet);
	// Server is the other one.
	Client, Server netip.AddrPort
	// First and Last are the times of the first and last packet.
	First, Last time.Time
	// Packets and Bytes (transport payload bytes) count each direction,
	// indexed by Dir.
	Packets [2]int
	Bytes   [2]int64

	flows [2]flow
}

// Dir returns the direction of p within c.
func (c *Conversation) Dir(p *Packet) Dir {
	if p.Src == c.Client {
		return ClientToServer
	}
	return ServerToClient
}

// convKey identifies a conversation regardless of direction: the two
// endpoints in a fixed order.
type convKey struct {
	proto Proto
	a, b  netip.AddrPort
}

// keyOf returns the conversation key of p.
func keyOf(p *Packet) convKey {
	a, b := p.Src, p.Dst
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return convKey{proto: p.Proto, a: a, b: b}
}

// Tracker follows conversations as packets stream in. It is not safe for
// concurrent use.
type Tracker struct {
	convs  map[convKey]*Conversation
	nextID int
	order  []*Conversation
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker {
	return &Tracker{convs: make(map[convKey]*Conversation)}
}

// Conversations returns every conversation seen so far, in ID order.
func (t *Tracker) Conversations() []*Conversation { return t.order }

// Track adds p to its conversation and fills in what depends on the
// packets before it: p.Conv, relative sequence numbers and the scaled
// window. Packets without TCP or UDP are left alone.
func (t *Tracker) Track(p *Packet) {
	if p.Proto == ProtoNone {
		return
	}
	k := keyOf(p)
	c := t.convs[k]
	if c == nil {
		t.nextID++
		c = &Conversation{ID: t.nextID, Proto: p.Proto, Client: p.Src, Server: p.Dst, First: p.Time}
		if p.Proto == ProtoTCP {
			c.flows[0].wscale, c.flows[1].wscale = wscaleUnknown, wscaleUnknown
			if p.TCP.Flags&(SYN|ACK) == SYN|ACK {
				// The capture starts with the SYN-ACK: its receiver is the client.
				c.Client, c.Server = p.Dst, p.Src
			}
		}
		t.convs[k] = c
		t.order = append(t.order, c)
	}
	p.Conv = c
	d := c.Dir(p)
	c.Packets[d]++
	c.Bytes[d] += int64(p.Len)
	c.Last = p.Time
	if p.Proto == ProtoTCP {
		trackTCP(c, d, p)
	}
}

// trackTCP fills relative numbers and the scaled window of a TCP packet.
func trackTCP(c *Conversation, d Dir, p *Packet) {
	t := &p.TCP
	fwd, rev := &c.flows[d], &c.flows[1-d]
	if t.Flags.Has(SYN) {
		fwd.base, fwd.baseSet = t.Seq, true
		shift := int8(wscaleNone)
		switch {
		case t.Options.Set&HasWScale != 0:
			shift = int8(min(t.Options.WScale, 14))
		case t.Options.Truncated || t.HdrCaptured < t.HdrLen():
			// The capture cut the options short: the option may be there.
			shift = wscaleUnknown
		}
		fwd.wscale = shift
		if t.Flags.Has(ACK) {
			// The SYN-ACK settles scaling for both sides: it is used only if
			// both offered it.
			if shift == wscaleNone || rev.wscale == wscaleNone {
				fwd.wscale, rev.wscale = wscaleNone, wscaleNone
			}
		}
	}
	if !fwd.baseSet {
		// The capture missed this side's SYN: count from the first segment
		// seen, as if the SYN had come just before it.
		fwd.base, fwd.baseSet = t.Seq-1, true
	}
	if !rev.baseSet && t.Flags.Has(ACK) {
		rev.base, rev.baseSet = t.Ack-1, true
	}
	t.RelSeq = t.Seq - fwd.base
	// Without the ACK flag the field means nothing; Wireshark then shows
	// it as it is, and so does tcpshow.
	t.RelAck = t.Ack
	if t.Flags.Has(ACK) {
		t.RelAck = t.Ack - rev.base
	}
	t.Rel = true
	switch {
	case t.Flags.Has(SYN):
		t.WindowScaled = int(t.Window) // windows in SYNs are never scaled
	case fwd.wscale >= 0:
		t.WindowScaled = int(t.Window) << fwd.wscale
	case fwd.wscale == wscaleNone:
		t.WindowScaled = int(t.Window)
	default:
		t.WindowScaled = -1
	}
}
