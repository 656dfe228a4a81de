package render

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// DefaultMaxRows is how many packets a Collector holds per conversation
// when CollectorOptions.MaxRows is zero.
const DefaultMaxRows = 200

// maxPendingCalls bounds the socket calls a Collector holds that no
// finished conversation has claimed yet.
const maxPendingCalls = 4096

// CollectorOptions configures a Collector.
type CollectorOptions struct {
	// MaxRows is how many packets a diagram holds per conversation: the
	// first half and the last half of a longer conversation are kept and
	// the middle is summarised in one RowElided row. 0 means
	// DefaultMaxRows; the least is 2.
	MaxRows int
}

// Collector builds a Diagram per conversation from the packets and socket
// calls it is given, and hands each finished diagram to a draw function:
// when the tracker ends the conversation (EndConversation) or at Close.
// Every ladder-like format (text, SVG, HTML, Mermaid, PlantUML) is a
// Collector with its own draw function:
//
//	c := render.NewCollector(render.CollectorOptions{}, func(d *render.Diagram) error {
//		return drawSVG(w, d)
//	})
//
// A Collector is a Writer, a CallWriter and a ConversationEnder. Packets
// must have been through a decode.Tracker (p.Conv set); others are
// ignored. Memory is bounded by the open conversations times MaxRows,
// never by the length of a conversation. A Collector is not safe for
// concurrent use.
type Collector struct {
	maxRows int
	draw    func(*Diagram) error
	convs   map[int]*builder
	// calls are socket calls not yet given to a diagram, in arrival order.
	calls []Call
	// base is finish's scratch list of a diagram's packet rows, reused:
	// when conversations end by the thousand (a SYN flood), allocating it
	// anew each time would make the garbage collector's work, and the
	// memory it lets grow, follow the packet count.
	base []Row
}

// NewCollector returns a Collector that calls draw with each finished
// diagram, in the order conversations end (and in ID order at Close).
func NewCollector(o CollectorOptions, draw func(*Diagram) error) *Collector {
	m := o.MaxRows
	if m == 0 {
		m = DefaultMaxRows
	}
	m = max(m, 2)
	return &Collector{maxRows: m, draw: draw, convs: make(map[int]*builder)}
}

// builder is what a Collector holds about one conversation.
type builder struct {
	d    Diagram
	conv *decode.Conversation
	// head holds the first packets, tail a ring of the latest ones
	// (tailLen of them, the oldest at tailAt).
	head           []Row
	tail           []Row
	tailAt         int
	tailLen        int
	headMax        int
	tailMax        int // the ring's size; it grows to it as packets come
	elided         Elided
	elidedFirst    edge // the first packet elided
	elidedLast     edge // the last packet elided
	synSeen        bool
	synAckSeen     bool
	dataSeen       bool
	teardownSeen   bool
	lastPacketTime time.Time
}

// edge is what a builder keeps of the first and last packet it elided.
type edge struct {
	time   time.Time
	states [2]decode.State
	phase  Phase
}

// WritePacket adds p to its conversation's diagram. Packets without a
// conversation (no TCP or UDP, or not tracked) are ignored.
func (c *Collector) WritePacket(p *decode.Packet) error {
	if p.Proto == decode.ProtoNone || p.Conv == nil {
		return nil
	}
	b := c.convs[p.Conv.ID]
	if b == nil {
		b = c.newBuilder(p)
		c.convs[p.Conv.ID] = b
	}
	b.add(p)
	return nil
}

func (c *Collector) newBuilder(p *decode.Packet) *builder {
	conv := p.Conv
	// head and tail grow as packets come: a conversation of one packet
	// (a SYN flood holds a hundred thousand of them) costs one row.
	b := &builder{conv: conv, headMax: c.maxRows - c.maxRows/2, tailMax: c.maxRows / 2}
	b.d = Diagram{
		ID:    conv.ID,
		Proto: conv.Proto,
		Start: p.Time,
		Lanes: [2]Lane{
			{Endpoint: conv.Client, Role: "client"},
			{Endpoint: conv.Server, Role: "server"},
		},
	}
	return b
}

// phaseOf returns the phase p belongs to and advances b's view of the
// connection.
func (b *builder) phaseOf(p *decode.Packet) Phase {
	if p.Proto != decode.ProtoTCP {
		return PhaseData
	}
	f := p.TCP.Flags
	switch {
	case b.teardownSeen:
		return PhaseTeardown
	case f.Has(decode.RST) && b.synSeen && !b.synAckSeen && !b.dataSeen:
		// The answer to a SYN nobody accepts: the handshake fails.
		return PhaseHandshake
	case f&(decode.FIN|decode.RST) != 0:
		b.teardownSeen = true
		return PhaseTeardown
	case f.Has(decode.SYN):
		b.synSeen = true
		b.synAckSeen = b.synAckSeen || f.Has(decode.ACK)
		return PhaseHandshake
	case p.Len > 0:
		b.dataSeen = true
		return PhaseData
	case b.synSeen && !b.dataSeen:
		return PhaseHandshake
	}
	return PhaseData
}

// add records p as the next row.
func (b *builder) add(p *decode.Packet) {
	d := b.d.Lanes[0].Endpoint
	dir := decode.ClientToServer
	if p.Src != d {
		dir = decode.ServerToClient
	}
	b.d.Packets[dir]++
	b.d.Bytes[dir] += int64(p.Len)
	b.lastPacketTime = p.Time
	phase := b.phaseOf(p)

	var slot *Row
	switch {
	case len(b.head) < b.headMax:
		b.head = append(b.head, Row{})
		slot = &b.head[len(b.head)-1]
	case b.tailMax == 0:
		b.elide(p, dir, phase)
		return
	case b.tailLen < b.tailMax:
		b.tail = append(b.tail, Row{})
		b.tailLen++
		slot = &b.tail[len(b.tail)-1]
	default:
		old := &b.tail[b.tailAt]
		b.elideRow(old)
		b.tailAt = (b.tailAt + 1) % len(b.tail)
		slot = old
	}
	fillRow(slot, p, dir, phase)
}

// fillRow makes r the packet row of p, reusing r's buffers. r is a zero
// Row or an earlier packet row: the fields only other kinds of row use are
// zero already. The row owns copies of every byte p views in its frame
// (the payload's first MaxPayload bytes, the IPv4 and TCP option areas,
// 40 bytes at most each): the frame's memory is reused long before the
// conversation is drawn.
func fillRow(r *Row, p *decode.Packet, dir decode.Dir, phase Phase) {
	payload := r.Arrow.Packet.Payload[:0]
	ipOpts := r.Arrow.Packet.IP.Options[:0]
	tcpOpts := r.Arrow.Packet.TCP.Options.Raw[:0]
	r.Kind, r.Time, r.Phase = RowPacket, p.Time, phase
	r.States, r.Changed = [2]decode.State{}, [2]bool{}
	r.Arrow.Dir = dir
	r.Arrow.Packet = *p
	r.Arrow.Packet.Conv = nil
	r.Arrow.Packet.Payload = append(payload, p.Payload[:min(len(p.Payload), MaxPayload)]...)
	r.Arrow.Packet.IP.Options = append(ipOpts, p.IP.Options...)
	r.Arrow.Packet.TCP.Options.Raw = append(tcpOpts, p.TCP.Options.Raw...)
	if p.Proto == decode.ProtoTCP {
		r.States[dir] = p.TCP.SrcState
		r.States[1-dir] = p.TCP.DstState
	}
}

// elide counts p into the elided run without ever holding it.
func (b *builder) elide(p *decode.Packet, dir decode.Dir, phase Phase) {
	e := edge{time: p.Time, phase: phase}
	if p.Proto == decode.ProtoTCP {
		e.states[dir] = p.TCP.SrcState
		e.states[1-dir] = p.TCP.DstState
	}
	b.count(e, p.N, p.Len)
}

// elideRow counts the packet row r into the elided run.
func (b *builder) elideRow(r *Row) {
	b.count(edge{time: r.Time, states: r.States, phase: r.Phase}, r.Arrow.Packet.N, r.Arrow.Packet.Len)
}

// count adds packet n with length size to the elided run.
func (b *builder) count(e edge, n, size int) {
	el := &b.elided
	if el.Packets == 0 {
		el.First = n
		b.elidedFirst = e
	}
	el.Packets++
	if size > 0 {
		el.Data++
		el.Bytes += int64(size)
	}
	el.Last = n
	el.End = e.time
	b.elidedLast = e
}

// WriteCall holds c until the conversation it belongs to is drawn. Calls
// are matched to conversations by their endpoints (see Call) and placed by
// time: a call that puts a packet on the wire (connect, write, send,
// sendto, shutdown, close) sits just above the packet it caused, the others
// where they returned. Calls must arrive before their conversation ends.
func (c *Collector) WriteCall(call Call) error {
	if len(c.calls) >= maxPendingCalls {
		c.calls = slices.Delete(c.calls, 0, 1)
	}
	c.calls = append(c.calls, call)
	return nil
}

// EndConversation finishes conv's diagram, hands it to the draw function and
// forgets it. It does nothing for a conversation without packets.
func (c *Collector) EndConversation(conv *decode.Conversation) error {
	b := c.convs[conv.ID]
	if b == nil {
		return nil
	}
	delete(c.convs, conv.ID)
	d := c.finish(b)
	d.Conv = conv
	return c.draw(d)
}

// Close draws every conversation still held, in ID order.
func (c *Collector) Close() error {
	ids := make([]int, 0, len(c.convs))
	for id := range c.convs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var first error
	for _, id := range ids {
		b := c.convs[id]
		delete(c.convs, id)
		d := c.finish(b)
		d.Conv = b.conv
		if err := c.draw(d); err != nil && first == nil {
			first = err
		}
	}
	c.calls = nil
	return first
}

// laneOf returns the lane of d whose socket made call, or -1 if call
// belongs to neither endpoint of d.
func laneOf(d *Diagram, call *Call) int {
	if call.Proto != d.Proto {
		return -1
	}
	for lane := range 2 {
		me, peer := d.Lanes[lane].Endpoint, d.Lanes[1-lane].Endpoint
		if !sameEndpoint(call.Local, me) {
			continue
		}
		if !call.Peer.IsValid() || call.Peer == peer {
			return lane
		}
	}
	return -1
}

// sameEndpoint reports whether a socket bound to local is endpoint ep: the
// same port, and the same address unless local is bound to the unspecified
// address.
func sameEndpoint(local, ep netip.AddrPort) bool {
	if !local.IsValid() || local.Port() != ep.Port() {
		return false
	}
	return local.Addr() == ep.Addr() || local.Addr().IsUnspecified()
}

// takeCalls removes the pending calls of d's conversation and returns them
// in time order with their lanes. Calls of a listening socket (no peer)
// stay pending for the other conversations to the same server.
func (c *Collector) takeCalls(d *Diagram) ([]Call, []int) {
	var calls []Call
	var lanes []int
	kept := c.calls[:0]
	for _, call := range c.calls {
		lane := laneOf(d, &call)
		if lane < 0 {
			kept = append(kept, call)
			continue
		}
		calls = append(calls, call)
		lanes = append(lanes, lane)
		if !call.Peer.IsValid() {
			kept = append(kept, call)
		}
	}
	c.calls = kept
	idx := make([]int, len(calls))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return calls[a].Time.Compare(calls[b].Time) })
	sc, sl := make([]Call, len(calls)), make([]int, len(calls))
	for i, j := range idx {
		sc[i], sl[i] = calls[j], lanes[j]
	}
	return sc, sl
}

// causes reports whether a call named name could have put p on the wire,
// so that the call is drawn just above it.
func causes(name string, p *decode.Packet) bool {
	switch name {
	case "connect":
		return p.Proto == decode.ProtoTCP && p.TCP.Flags&(decode.SYN|decode.ACK) == decode.SYN
	case "write", "send", "sendto", "sendmsg", "writev":
		return p.Len > 0 || p.Proto == decode.ProtoUDP
	case "shutdown", "close":
		return p.Proto == decode.ProtoTCP && p.TCP.Flags&(decode.FIN|decode.RST) != 0
	}
	return false
}

// separators counts the separator rows finish puts between the packet
// rows base of a conversation of protocol proto: one where the phase
// changes. elided is the phase of the first packet an elided row stands for.
func separators(proto decode.Proto, base []Row, elided Phase) int {
	if proto != decode.ProtoTCP {
		return 0
	}
	n := 0
	for j := 1; j < len(base); j++ {
		phase := base[j].Phase
		if base[j].Kind == RowElided {
			phase = elided
		}
		if phase != base[j-1].Phase {
			n++
		}
	}
	return n
}

// finish assembles b's rows: the held packets with the elided run between
// them, the socket calls, separators, offsets and state changes.
func (c *Collector) finish(b *builder) *Diagram {
	d := &b.d
	base := append(c.base[:0], b.head...)
	defer func() {
		clear(base)
		c.base = base[:0]
	}()
	elidedAt := -1
	if b.elided.Packets > 0 {
		elidedAt = len(base)
		base = append(base, Row{Kind: RowElided, Time: b.elidedFirst.time, States: b.elidedLast.states, Phase: b.elidedLast.phase, Elided: b.elided})
	}
	for i := range b.tailLen {
		base = append(base, b.tail[(b.tailAt+i)%len(b.tail)])
	}
	b.head, b.tail = nil, nil
	backfillSynReceived(base)

	// Socket calls: each entry goes before base row at.
	calls, lanes := c.takeCalls(d)
	type entry struct {
		call, at int
		anchored bool
		part     CallPart
	}
	var entries []entry
	var prev [2]time.Time
	for i := range calls {
		call, lane := &calls[i], lanes[i]
		if elidedAt >= 0 && call.Time.After(base[elidedAt].Time) && !call.Time.After(b.elided.End) {
			base[elidedAt].Elided.Calls++
			continue
		}
		byTime := len(base)
		for j := range base {
			if base[j].Time.After(call.Time) {
				byTime = j
				break
			}
		}
		// The last packet this call could have caused, sent from its lane
		// between the lane's previous call and this one's return. A
		// listening socket's calls (no peer) put nothing on the wire.
		anchor := -1
		for j := len(base) - 1; j >= 0; j-- {
			r := &base[j]
			if r.Kind != RowPacket || r.Time.After(call.Time) {
				continue
			}
			if r.Time.Before(prev[lane]) {
				break
			}
			if r.Arrow.From() == lane && call.Peer.IsValid() && causes(call.Name, &r.Arrow.Packet) {
				anchor = j
				break
			}
		}
		prev[lane] = call.Time
		switch {
		case anchor < 0:
			entries = append(entries, entry{call: i, at: byTime})
		case call.Name == "connect" && byTime > anchor+1:
			// connect waits for the SYN-ACK (or the RST that refuses it):
			// the call and its return get a row each. Other calls return
			// as soon as their packet is sent, even if loopback delivers
			// the answer to it before they do.
			entries = append(entries, entry{call: i, at: anchor, anchored: true, part: CallStart},
				entry{call: i, at: byTime, part: CallReturn})
		default:
			entries = append(entries, entry{call: i, at: anchor, anchored: true})
		}
	}
	// Merge, keeping calls for one position in time order.
	slices.SortStableFunc(entries, func(x, y entry) int { return cmp.Compare(x.at, y.at) })
	rows := make([]Row, 0, len(base)+len(entries)+separators(d.Proto, base, b.elidedFirst.phase))
	k := 0
	lastPhase, seen := PhaseHandshake, false
	addCalls := func(pos int) int {
		// Returns the index in rows of the first call anchored to pos.
		firstAnchored := -1
		for k < len(entries) && entries[k].at == pos {
			e := entries[k]
			if e.anchored && firstAnchored < 0 {
				firstAnchored = len(rows)
			}
			r := Row{Kind: RowCall, Time: calls[e.call].Time, Call: calls[e.call], Lane: lanes[e.call], Part: e.part}
			if e.part == CallStart {
				r.Time = base[pos].Time
			}
			rows = append(rows, r)
			k++
		}
		return firstAnchored
	}
	for j := range base {
		r := base[j]
		fa := addCalls(j)
		phase := r.Phase
		if r.Kind == RowElided {
			phase = b.elidedFirst.phase
		}
		if d.Proto == decode.ProtoTCP && seen && phase != lastPhase {
			sep := Row{Kind: RowSeparator, Time: r.Time, Phase: phase}
			if fa >= 0 {
				rows = slices.Insert(rows, fa, sep)
			} else {
				rows = append(rows, sep)
			}
		}
		rows = append(rows, r)
		lastPhase, seen = r.Phase, true
	}
	addCalls(len(base))

	d.Lanes[0].Initial, d.Lanes[1].Initial = initialStates(d.Proto, base)
	states := [2]decode.State{d.Lanes[0].Initial, d.Lanes[1].Initial}
	for i := range rows {
		r := &rows[i]
		r.Offset = r.Time.Sub(d.Start)
		if r.Kind == RowPacket || r.Kind == RowElided {
			for l := range 2 {
				if r.States[l] == decode.StateUnknown {
					// The capture does not tell: keep what was known.
					r.States[l] = states[l]
				}
				r.Changed[l] = r.States[l] != states[l]
			}
			states = r.States
		} else {
			r.States = states
		}
	}
	d.Rows = rows
	d.End = b.lastPacketTime
	return d
}

// initialStates returns the lanes' states before the first packet: CLOSED
// and LISTEN for a connection that opens with a SYN (CLOSED on both sides
// when the server answers with a RST, nobody listening, or with a SYN of its
// own, a simultaneous open), unknown otherwise.
func initialStates(proto decode.Proto, rows []Row) (client, server decode.State) {
	if proto != decode.ProtoTCP || len(rows) == 0 || rows[0].Kind != RowPacket {
		return decode.StateUnknown, decode.StateUnknown
	}
	first := &rows[0].Arrow
	if first.Dir != decode.ClientToServer || first.Packet.TCP.Flags&(decode.SYN|decode.ACK) != decode.SYN {
		return decode.StateUnknown, decode.StateUnknown
	}
	for i := range rows {
		r := &rows[i]
		if r.Kind == RowPacket && r.Arrow.Dir == decode.ServerToClient {
			f := r.Arrow.Packet.TCP.Flags
			if f.Has(decode.RST) || f&(decode.SYN|decode.ACK) == decode.SYN {
				// Nobody listens, or both sides connect (simultaneous open).
				return decode.StateClosed, decode.StateClosed
			}
			break
		}
	}
	return decode.StateClosed, decode.StateListen
}

// backfillSynReceived shows the server SYN-RECEIVED from the SYN it
// answers, as RFC 9293 draws it: a tracker cannot tell, when the SYN goes
// past, whether anyone listens, and leaves the server's state unknown until
// its SYN-ACK; a diagram is drawn once that is known. The SYN answered is
// the last one the client sent before the SYN-ACK (earlier ones were lost
// or dropped, as with a full listen backlog).
func backfillSynReceived(rows []Row) {
	answer := -1
	for i := range rows {
		r := &rows[i]
		if r.Kind != RowPacket {
			continue
		}
		if r.Arrow.Dir == decode.ServerToClient {
			if r.Arrow.Packet.TCP.Flags&(decode.SYN|decode.ACK|decode.RST) == decode.SYN|decode.ACK && r.States[1] == decode.StateSynReceived {
				answer = i
			}
			break
		}
	}
	if answer < 0 {
		return
	}
	syn := -1
	for i := answer - 1; i >= 0; i-- {
		r := &rows[i]
		if r.Kind == RowPacket && r.Arrow.Dir == decode.ClientToServer && r.Arrow.Packet.TCP.Flags&(decode.SYN|decode.ACK) == decode.SYN {
			syn = i
			break
		}
	}
	if syn < 0 {
		return
	}
	for i := syn; i < answer; i++ {
		if rows[i].States[1] == decode.StateUnknown {
			rows[i].States[1] = decode.StateSynReceived
		}
	}
}
