package decode

import (
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
	"net/netip"
	"slices"
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

// End says how a conversation ended.
type End uint8

// Ways a conversation ends. UDP conversations stay EndOpen.
const (
	// EndOpen: neither a FIN exchange nor a RST has closed it (yet).
	EndOpen End = iota
	// EndFIN: both sides sent a FIN and both FINs were acknowledged.
	EndFIN
	// EndRST: a RST closed it.
	EndRST
)

// String returns "open", "FIN" or "RST".
func (e End) String() string {
	switch e {
	case EndFIN:
		return "FIN"
	case EndRST:
		return "RST"
	}
	return "open"
}

// flow is what a Tracker keeps about one direction of a TCP conversation:
// the sender's sequence space as seen in its segments, and what it
// acknowledged of the other direction.
type flow struct {
	base   uint32 // the initial sequence number (relative 0)
	iss    uint32 // sequence number of the SYN, for state inference
	finSeq uint32 // sequence number the FIN occupies
	wscale int8   // announced shift, or wscaleUnknown / wscaleNone

	baseSet           bool
	synSeen, synAcked bool
	finSeen, finAcked bool

	seq seqInfo // sequence analysis, as Wireshark's tcp_analyze_seq_info
}

// Conversation is a TCP connection or a UDP exchange between two endpoints.
//
// A Tracker updates a Conversation as its packets stream in, until it
// forgets it (see TrackerOptions.OnEnd); after that the Tracker never
// touches it again and the caller may keep it as long as it likes.
type Conversation struct {
	// ID numbers conversations from 1 in the order their first packet
	// appears.
	ID int
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
	// IRTT is the handshake's round-trip time, from the last SYN to the
	// first ACK after it, as Wireshark's tcp.analysis.initial_rtt; 0 until
	// known.
	IRTT time.Duration
	// Retransmissions counts the segments of each direction marked as
	// retransmission, fast or spurious retransmission; ZeroWindows the
	// segments that advertised a zero window.
	Retransmissions, ZeroWindows [2]int

	Proto Proto
	// States are the current TCP states of the client and the server,
	// indexed by Dir (ClientToServer is the client). StateUnknown until the
	// packets tell; always StateUnknown for UDP.
	States [2]State
	// Handshake reports that both SYNs were seen and acknowledged.
	Handshake bool
	// EndedBy says how the conversation ended, EndOpen while it has not.
	EndedBy End

	// The fields below are the tracker's, grouped to keep a conversation
	// small: a tracker may hold a hundred thousand.
	onEnded, trackerGone bool
	flows                [2]flow
	lastSYN              int64 // time of the last SYN without ACK, Unix nanoseconds
	// hash is the hash of the endpoints; hashNext chains conversations
	// whose hashes collide.
	hash     uint64
	hashNext *Conversation
	// lru links every tracked conversation, least recently active first;
	// ended links the ended ones, by the time of their last packet.
	lruPrev, lruNext *Conversation
	endPrev, endNext *Conversation
}

// Dir returns the direction of p within c.
func (c *Conversation) Dir(p *Packet) Dir {
	if p.Src == c.Client {
		return ClientToServer
	}
	return ServerToClient
}

// Ended reports whether the conversation was closed by a FIN exchange or a
// RST.
func (c *Conversation) Ended() bool { return c.EndedBy != EndOpen }

// convKey identifies a conversation regardless of direction: the two
// endpoints in a fixed order.
type convKey struct {
	proto Proto
	a, b  netip.AddrPort
}

// makeKey returns the key of a conversation of proto between a and b.
func makeKey(proto Proto, a, b netip.AddrPort) convKey {
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return convKey{proto: proto, a: a, b: b}
}

// between reports whether c is the conversation of proto between a and b,
// in either direction.
func (c *Conversation) between(proto Proto, a, b netip.AddrPort) bool {
	return c.Proto == proto && (a == c.Client && b == c.Server || a == c.Server && b == c.Client)
}

// Defaults for TrackerOptions.
const (
	// DefaultMaxConversations is the number of conversations a Tracker
	// follows at once unless told otherwise.
	DefaultMaxConversations = 50000
	// DefaultQuietPeriod is how long, in capture time, a Tracker keeps an
	// ended conversation for late packets unless told otherwise.
	DefaultQuietPeriod = time.Second
)

// TrackerOptions configure a Tracker. The zero value gives the defaults.
type TrackerOptions struct {
	// MaxConversations bounds the conversations followed at once: past it,
	// the least recently active one is forgotten. 0 means
	// DefaultMaxConversations.
	MaxConversations int
	// QuietPeriod is how long, in capture time, an ended conversation is
	// kept after its last packet for late ones (a retransmitted FIN, the
	// final ACK) before it is forgotten. 0 means DefaultQuietPeriod; a
	// negative period forgets ended conversations on their next packet
	// from any conversation.
	QuietPeriod time.Duration
	// OnEnd, if not nil, is called exactly once for each conversation, when
	// the tracker forgets it: evicted past MaxConversations, replaced by a
	// new SYN reusing its ports after it ended, QuietPeriod after it
	// ended, or at Close. It is called from within Track or Close.
	OnEnd func(*Conversation)
}

// Tracker follows conversations as packets stream in: it numbers them,
// derives relative sequence numbers, scaled windows, TCP states and
// Wireshark's sequence analysis. Its memory is bounded by the
// conversations it follows at once (TrackerOptions.MaxConversations), never
// by the packet count. It is not safe for concurrent use.
type Tracker struct {
	o TrackerOptions
	// convs holds the conversations by the hash of their key, colliding
	// ones chained through Conversation.hashNext: a map keyed by the
	// 72-byte key itself costs a hundred bytes more per conversation.
	convs map[uint64]*Conversation
	seed  uint64
	// keyHash, if not nil, replaces the hash (tests force collisions).
	keyHash func(convKey) uint64
	n       int // conversations followed
	nextID  int
	// lruHead is the least recently active conversation, lruTail the most.
	lruHead, lruTail *Conversation
	endHead, endTail *Conversation
	// last is the conversation of the previous packet: consecutive packets
	// mostly share one, and comparing keys is cheaper than hashing them.
	last *Conversation
}

// NewTracker returns an empty Tracker with the default options.
func NewTracker() *Tracker { return NewTrackerWith(TrackerOptions{}) }

// NewTrackerWith returns an empty Tracker with options o.
func NewTrackerWith(o TrackerOptions) *Tracker {
	if o.MaxConversations <= 0 {
		o.MaxConversations = DefaultMaxConversations
	}
	if o.QuietPeriod == 0 {
		o.QuietPeriod = DefaultQuietPeriod
	}
	return &Tracker{o: o, convs: make(map[uint64]*Conversation), seed: new(maphash.Hash).Sum64() | 1}
}

// Conversations returns the conversations the tracker still follows, in ID
// order, in a new slice. Conversations already forgotten (see
// TrackerOptions.OnEnd) are not in it.
func (t *Tracker) Conversations() []*Conversation {
	out := make([]*Conversation, 0, t.n)
	for c := t.lruHead; c != nil; c = c.lruNext {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *Conversation) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Open returns how many conversations the tracker follows now.
func (t *Tracker) Open() int { return t.n }

// Close forgets every conversation still followed, calling OnEnd for each
// in ID order. Call it at the end of the input. The Tracker can be used
// again afterwards; IDs keep counting.
func (t *Tracker) Close() {
	for _, c := range t.Conversations() {
		t.forget(c)
	}
}

// Track adds p to its conversation and fills in what depends on the
// packets before it: p.Conv, relative sequence numbers, the scaled window,
// the TCP states and the analysis. Packets without TCP or UDP are left
// alone.
func (t *Tracker) Track(p *Packet) {
	if p.Proto == ProtoNone {
		return
	}
	c := t.last
	var h uint64
	if c == nil || !c.between(p.Proto, p.Src, p.Dst) {
		h = t.hash(p.Proto, p.Src, p.Dst)
		c = t.lookup(h, p)
	} else {
		h = c.hash
	}
	if c != nil && p.Proto == ProtoTCP && startsNew(c, p) {
		t.forget(c)
		c = nil
	}
	if c == nil {
		c = t.open(h, p)
	} else {
		t.touch(c)
	}
	p.Conv = c
	t.last = c
	d := c.Dir(p)
	c.Packets[d]++
	c.Bytes[d] += int64(p.Len)
	c.Last = p.Time
	if p.Proto == ProtoTCP {
		trackTCP(c, d, p)
		if c.Ended() {
			t.markEnded(c)
		}
	}
	t.expire(p.Time)
}

// lookup returns the conversation of p, whose endpoints hash to h, or nil.
func (t *Tracker) lookup(h uint64, p *Packet) *Conversation {
	c := t.convs[h]
	for c != nil && !c.between(p.Proto, p.Src, p.Dst) {
		c = c.hashNext
	}
	return c
}

// hash returns the hash of the conversation of proto between a and b,
// the same in either direction: the sum of the endpoints' hashes.
func (t *Tracker) hash(proto Proto, a, b netip.AddrPort) uint64 {
	if t.keyHash != nil {
		return t.keyHash(makeKey(proto, a, b))
	}
	return (t.endpointHash(a) + t.endpointHash(b)) ^ uint64(proto)
}

// endpointHash hashes an address and port, seeded per Tracker so that a
// capture cannot be crafted to make its conversations collide. The zone of
// an IPv6 address is left out: conversations that differ only in it share
// a hash chain, where between tells them apart.
func (t *Tracker) endpointHash(ap netip.AddrPort) uint64 {
	a := ap.Addr().As16()
	hi, lo := binary.LittleEndian.Uint64(a[:8]), binary.LittleEndian.Uint64(a[8:])
	x := mix(hi^t.seed, lo^0x9e3779b97f4a7c15)
	return mix(x^uint64(ap.Port()), t.seed^0xbf58476d1ce4e5b9)
}

// mix folds the 128-bit product of x and y into 64 bits, the mixing step
// of wyhash.
func mix(x, y uint64) uint64 {
	hi, lo := bits.Mul64(x, y)
	return hi ^ lo
}

// startsNew reports whether p, a TCP packet of c, opens a new connection
// on the same ports: a SYN without ACK from either side, after c ended or
// after its client reached a state the SYN cannot belong to, whose
// sequence number is not that of a SYN c already saw.
func startsNew(c *Conversation, p *Packet) bool {
	if p.TCP.Flags&(SYN|ACK|RST) != SYN {
		return false
	}
	d := c.Dir(p)
	f := &c.flows[d]
	if f.synSeen && f.iss == p.TCP.Seq {
		return false // a retransmitted SYN
	}
	if c.Ended() {
		return true
	}
	switch c.States[d] {
	case StateTimeWait, StateClosed:
		return true
	}
	return false
}

// open starts following a new conversation for p.
func (t *Tracker) open(h uint64, p *Packet) *Conversation {
	t.nextID++
	c := &Conversation{ID: t.nextID, Proto: p.Proto, Client: p.Src, Server: p.Dst, First: p.Time, hash: h}
	if p.Proto == ProtoTCP {
		c.flows[0].wscale, c.flows[1].wscale = wscaleUnknown, wscaleUnknown
		if p.TCP.Flags&(SYN|ACK) == SYN|ACK {
			// The capture starts with the SYN-ACK: its receiver is the client.
			c.Client, c.Server = p.Dst, p.Src
		}
	}
	c.hashNext = t.convs[h]
	t.convs[h] = c
	t.n++
	t.pushLRU(c)
	if t.n > t.o.MaxConversations {
		t.forget(t.lruHead)
	}
	return c
}

// touch marks c as the most recently active conversation.
func (t *Tracker) touch(c *Conversation) {
	if t.lruTail == c {
		return
	}
	t.unlinkLRU(c)
	t.pushLRU(c)
}

func (t *Tracker) pushLRU(c *Conversation) {
	c.lruPrev, c.lruNext = t.lruTail, nil
	if t.lruTail != nil {
		t.lruTail.lruNext = c
	} else {
		t.lruHead = c
	}
	t.lruTail = c
}

func (t *Tracker) unlinkLRU(c *Conversation) {
	if c.lruPrev != nil {
		c.lruPrev.lruNext = c.lruNext
	} else {
		t.lruHead = c.lruNext
	}
	if c.lruNext != nil {
		c.lruNext.lruPrev = c.lruPrev
	} else {
		t.lruTail = c.lruPrev
	}
	c.lruPrev, c.lruNext = nil, nil
}

// markEnded puts c at the back of the ended list, ordered by last packet.
func (t *Tracker) markEnded(c *Conversation) {
	// An ended conversation is kept a while for late packets only: let the
	// empty lists of segments awaiting their ACK go, which are most of
	// what it holds.
	for i := range c.flows {
		if f := &c.flows[i].seq; len(f.unacked) == 0 && f.unacked != nil {
			f.unacked = nil
		}
	}
	if c.onEnded {
		if t.endTail == c {
			return
		}
		t.unlinkEnded(c)
	}
	c.onEnded = true
	c.endPrev, c.endNext = t.endTail, nil
	if t.endTail != nil {
		t.endTail.endNext = c
	} else {
		t.endHead = c
	}
	t.endTail = c
}

func (t *Tracker) unlinkEnded(c *Conversation) {
	if c.endPrev != nil {
		c.endPrev.endNext = c.endNext
	} else {
		t.endHead = c.endNext
	}
	if c.endNext != nil {
		c.endNext.endPrev = c.endPrev
	} else {
		t.endTail = c.endPrev
	}
	c.endPrev, c.endNext = nil, nil
	c.onEnded = false
}

// Expire forgets, handing them to OnEnd, the ended conversations that have
// been quiet for longer than the quiet period at capture time now, as Track
// does at each packet's time. A live capture calls it when no packet has
// come for a while, so that a conversation's end is seen without waiting
// for the next packet.
func (t *Tracker) Expire(now time.Time) { t.expire(now) }

// expire forgets the ended conversations quiet for longer than the quiet
// period at capture time now.
func (t *Tracker) expire(now time.Time) {
	for c := t.endHead; c != nil; c = t.endHead {
		if t.o.QuietPeriod > 0 && now.Sub(c.Last) <= t.o.QuietPeriod {
			return
		}
		if t.o.QuietPeriod < 0 && c == t.lruTail {
			return // the conversation of the packet being tracked
		}
		t.forget(c)
	}
}

// forget stops following c and hands it to OnEnd.
func (t *Tracker) forget(c *Conversation) {
	if c.trackerGone {
		return
	}
	c.trackerGone = true
	t.n--
	if head := t.convs[c.hash]; head == c {
		if c.hashNext == nil {
			delete(t.convs, c.hash)
		} else {
			t.convs[c.hash] = c.hashNext
		}
	} else {
		for prev := head; prev != nil; prev = prev.hashNext {
			if prev.hashNext == c {
				prev.hashNext = c.hashNext
				break
			}
		}
	}
	c.hashNext = nil
	if t.last == c {
		t.last = nil
	}
	t.unlinkLRU(c)
	if c.onEnded {
		t.unlinkEnded(c)
	}
	// Drop what only the tracker needed.
	c.flows[0].seq.unacked, c.flows[1].seq.unacked = nil, nil
	if t.o.OnEnd != nil {
		t.o.OnEnd(c)
	}
}

// trackTCP fills relative numbers, the scaled window, states and analysis
// of a TCP packet.
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
	analyze(c, d, p)
	inferStates(c, d, p)
}
