package decode

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// Endpoints of the synthetic conversations below.
var (
	cliEP = netip.MustParseAddrPort("127.0.0.1:40000")
	srvEP = netip.MustParseAddrPort("127.0.0.1:80")
)

// seg describes one TCP segment of a test sequence: its direction (c for
// client to server, s for the reverse), flags, raw seq and ack, payload
// length, raw window and the milliseconds since the sequence started.
type seg struct {
	from     byte
	flags    Flags
	seq, ack uint32
	len      int
	win      uint16
	ms       float64
}

// packet builds the Packet for s, numbered n.
func (s seg) packet(n int, start time.Time) Packet {
	p := Packet{N: n, Proto: ProtoTCP, Time: start.Add(time.Duration(s.ms * float64(time.Millisecond))), Len: s.len}
	p.Src, p.Dst = cliEP, srvEP
	if s.from == 's' {
		p.Src, p.Dst = srvEP, cliEP
	}
	win := s.win
	if win == 0 && s.flags&RST == 0 {
		win = 512
	}
	if s.win == 0xffff {
		win = 0 // an explicit zero window
	}
	p.TCP = TCP{SrcPort: p.Src.Port(), DstPort: p.Dst.Port(), Seq: s.seq, Ack: s.ack, Flags: s.flags, Window: win, DataOffset: 5, HdrCaptured: 20}
	return p
}

// run tracks the segments with a fresh Tracker and returns each packet as
// tracked, and the conversations in the order OnEnd was called for them.
func run(t *testing.T, o TrackerOptions, segs []seg) ([]Packet, []*Conversation) {
	t.Helper()
	var ended []*Conversation
	user := o.OnEnd
	o.OnEnd = func(c *Conversation) {
		for _, e := range ended {
			if e == c {
				t.Fatalf("OnEnd called twice for conversation %d", c.ID)
			}
		}
		ended = append(ended, c)
		if user != nil {
			user(c)
		}
	}
	trk := NewTrackerWith(o)
	start := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	var out []Packet
	for i, s := range segs {
		p := s.packet(i+1, start)
		trk.Track(&p)
		out = append(out, p)
	}
	trk.Close()
	return out, ended
}

// states renders the states of every packet as "SRC/DST" joined by spaces.
func states(pkts []Packet) string {
	var b strings.Builder
	for i, p := range pkts {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s/%s", p.TCP.SrcState, p.TCP.DstState)
	}
	return b.String()
}

// The initial sequence numbers of the test conversations.
const (
	ci = 1000 // client ISN
	si = 5000 // server ISN
)

// handshake is a three-way handshake: client ISN ci, server ISN si.
var handshake = []seg{
	{from: 'c', flags: SYN, seq: ci},
	{from: 's', flags: SYN | ACK, seq: si, ack: ci + 1, ms: 0.1},
	{from: 'c', flags: ACK, seq: ci + 1, ack: si + 1, ms: 0.2},
}

func cat(parts ...[]seg) []seg {
	var out []seg
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestStates(t *testing.T) {
	tests := []struct {
		name  string
		segs  []seg
		want  string // SRC/DST states after each packet
		end   End
		final [2]State
		hs    bool
	}{
		{
			name: "client closes first",
			segs: cat(handshake, []seg{
				{from: 'c', flags: FIN | ACK, seq: ci + 1, ack: si + 1, ms: 1},
				{from: 's', flags: ACK, seq: si + 1, ack: ci + 2, ms: 1.1},
				{from: 's', flags: FIN | ACK, seq: si + 1, ack: ci + 2, ms: 2},
				{from: 'c', flags: ACK, seq: ci + 2, ack: si + 2, ms: 2.1},
			}),
			want: "SYN-SENT/UNKNOWN SYN-RECEIVED/ESTABLISHED ESTABLISHED/ESTABLISHED " +
				"FIN-WAIT-1/CLOSE-WAIT CLOSE-WAIT/FIN-WAIT-2 LAST-ACK/TIME-WAIT TIME-WAIT/CLOSED",
			end: EndFIN, final: [2]State{StateTimeWait, StateClosed}, hs: true,
		},
		{
			name: "FIN answered by FIN-ACK",
			segs: cat(handshake, []seg{
				{from: 'c', flags: FIN | ACK, seq: ci + 1, ack: si + 1, ms: 1},
				{from: 's', flags: FIN | ACK, seq: si + 1, ack: ci + 2, ms: 1.1},
				{from: 'c', flags: ACK, seq: ci + 2, ack: si + 2, ms: 1.2},
			}),
			want: "SYN-SENT/UNKNOWN SYN-RECEIVED/ESTABLISHED ESTABLISHED/ESTABLISHED " +
				"FIN-WAIT-1/CLOSE-WAIT LAST-ACK/TIME-WAIT TIME-WAIT/CLOSED",
			end: EndFIN, final: [2]State{StateTimeWait, StateClosed}, hs: true,
		},
		{
			name: "refused",
			segs: []seg{
				{from: 'c', flags: SYN, seq: ci},
				{from: 's', flags: RST | ACK, seq: 0, ack: ci + 1, ms: 0.1},
			},
			want: "SYN-SENT/UNKNOWN CLOSED/CLOSED",
			end:  EndRST, final: [2]State{StateClosed, StateClosed},
		},
		{
			name: "half-close, server keeps sending",
			segs: cat(handshake, []seg{
				{from: 'c', flags: FIN | ACK, seq: ci + 1, ack: si + 1, ms: 1},
				{from: 's', flags: PSH | ACK, seq: si + 1, ack: ci + 2, len: 10, ms: 2},
				{from: 'c', flags: ACK, seq: ci + 2, ack: si + 11, ms: 2.1},
				{from: 's', flags: FIN | ACK, seq: si + 11, ack: ci + 2, ms: 3},
				{from: 'c', flags: ACK, seq: ci + 2, ack: si + 12, ms: 3.1},
			}),
			want: "SYN-SENT/UNKNOWN SYN-RECEIVED/ESTABLISHED ESTABLISHED/ESTABLISHED " +
				"FIN-WAIT-1/CLOSE-WAIT CLOSE-WAIT/FIN-WAIT-2 FIN-WAIT-2/CLOSE-WAIT LAST-ACK/TIME-WAIT TIME-WAIT/CLOSED",
			end: EndFIN, final: [2]State{StateTimeWait, StateClosed}, hs: true,
		},
		{
			name: "abortive close",
			segs: cat(handshake, []seg{
				{from: 'c', flags: RST | ACK, seq: ci + 1, ack: si + 1, ms: 1},
			}),
			want: "SYN-SENT/UNKNOWN SYN-RECEIVED/ESTABLISHED ESTABLISHED/ESTABLISHED CLOSED/CLOSED",
			end:  EndRST, final: [2]State{StateClosed, StateClosed}, hs: true,
		},
		{
			name: "simultaneous open",
			segs: []seg{
				{from: 'c', flags: SYN, seq: ci},
				{from: 's', flags: SYN, seq: si, ms: 0.1},
				{from: 'c', flags: SYN | ACK, seq: ci, ack: si + 1, ms: 0.2},
				{from: 's', flags: SYN | ACK, seq: si, ack: ci + 1, ms: 0.3},
			},
			want: "SYN-SENT/UNKNOWN SYN-SENT/SYN-RECEIVED SYN-RECEIVED/ESTABLISHED ESTABLISHED/ESTABLISHED",
			end:  EndOpen, final: [2]State{StateEstablished, StateEstablished}, hs: true,
		},
		{
			name: "simultaneous close",
			segs: cat(handshake, []seg{
				{from: 'c', flags: FIN | ACK, seq: ci + 1, ack: si + 1, ms: 1},
				{from: 's', flags: FIN | ACK, seq: si + 1, ack: ci + 1, ms: 1.01},
				{from: 'c', flags: ACK, seq: ci + 2, ack: si + 2, ms: 1.1},
				{from: 's', flags: ACK, seq: si + 2, ack: ci + 2, ms: 1.11},
			}),
			want: "SYN-SENT/UNKNOWN SYN-RECEIVED/ESTABLISHED ESTABLISHED/ESTABLISHED " +
				"FIN-WAIT-1/CLOSE-WAIT CLOSING/CLOSING CLOSING/TIME-WAIT TIME-WAIT/TIME-WAIT",
			end: EndFIN, final: [2]State{StateTimeWait, StateTimeWait}, hs: true,
		},
		{
			name: "retransmitted SYN",
			segs: []seg{
				{from: 'c', flags: SYN, seq: ci},
				{from: 'c', flags: SYN, seq: ci, ms: 1000},
				{from: 's', flags: SYN | ACK, seq: si, ack: ci + 1, ms: 1000.1},
				{from: 'c', flags: ACK, seq: ci + 1, ack: si + 1, ms: 1000.2},
			},
			want: "SYN-SENT/UNKNOWN SYN-SENT/UNKNOWN SYN-RECEIVED/ESTABLISHED ESTABLISHED/ESTABLISHED",
			end:  EndOpen, final: [2]State{StateEstablished, StateEstablished}, hs: true,
		},
		{
			name: "capture starts mid-connection",
			segs: []seg{
				{from: 'c', flags: PSH | ACK, seq: ci + 1, ack: si + 1, len: 5},
				{from: 's', flags: ACK, seq: si + 1, ack: ci + 6, ms: 0.1},
				{from: 's', flags: FIN | ACK, seq: si + 1, ack: ci + 6, ms: 1},
				{from: 'c', flags: FIN | ACK, seq: ci + 6, ack: si + 2, ms: 1.1},
				{from: 's', flags: ACK, seq: si + 2, ack: ci + 7, ms: 1.2},
			},
			want: "ESTABLISHED/UNKNOWN ESTABLISHED/ESTABLISHED FIN-WAIT-1/CLOSE-WAIT LAST-ACK/TIME-WAIT TIME-WAIT/CLOSED",
			end:  EndFIN, final: [2]State{StateClosed, StateTimeWait},
		},
		{
			name: "receiver of data unknown until it speaks",
			segs: []seg{
				{from: 'c', flags: PSH | ACK, seq: ci + 1, ack: si + 1, len: 5},
				{from: 'c', flags: PSH | ACK, seq: ci + 6, ack: si + 1, len: 5, ms: 0.1},
			},
			want: "ESTABLISHED/UNKNOWN ESTABLISHED/UNKNOWN",
			end:  EndOpen, final: [2]State{StateEstablished, StateUnknown},
		},
		{
			name: "RST while the passive open waits for the ACK",
			segs: []seg{
				{from: 'c', flags: SYN, seq: ci},
				{from: 's', flags: SYN | ACK, seq: si, ack: ci + 1, ms: 0.1},
				{from: 'c', flags: RST, seq: ci + 1, ms: 0.2},
			},
			want: "SYN-SENT/UNKNOWN SYN-RECEIVED/ESTABLISHED CLOSED/LISTEN",
			end:  EndRST, final: [2]State{StateClosed, StateListen},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, ended := run(t, TrackerOptions{}, tt.segs)
			if got := states(pkts); got != tt.want {
				t.Errorf("states\n got: %s\nwant: %s", got, tt.want)
			}
			if len(ended) != 1 {
				t.Fatalf("%d conversations ended, want 1", len(ended))
			}
			c := ended[0]
			if c.EndedBy != tt.end || c.States != tt.final || c.Handshake != tt.hs {
				t.Errorf("ended by %v, final %v/%v, handshake %v; want %v, %v/%v, %v",
					c.EndedBy, c.States[0], c.States[1], c.Handshake, tt.end, tt.final[0], tt.final[1], tt.hs)
			}
		})
	}
}

func TestPortReuse(t *testing.T) {
	segs := cat(handshake, []seg{
		{from: 'c', flags: FIN | ACK, seq: ci + 1, ack: si + 1, ms: 1},
		{from: 's', flags: FIN | ACK, seq: si + 1, ack: ci + 2, ms: 1.1},
		{from: 'c', flags: ACK, seq: ci + 2, ack: si + 2, ms: 1.2},
		// The same ports again, with a new ISN, while the client is in TIME-WAIT.
		{from: 'c', flags: SYN, seq: 90000, ms: 100},
		{from: 's', flags: SYN | ACK, seq: 70000, ack: 90001, ms: 100.1},
	})
	var order []int
	pkts, ended := run(t, TrackerOptions{OnEnd: func(c *Conversation) { order = append(order, c.ID) }}, segs)
	if got := pkts[6].Conv.ID; got != 2 {
		t.Fatalf("the SYN reusing the ports is in conversation %d, want 2", got)
	}
	if pkts[5].Conv.ID != 1 {
		t.Fatalf("the last ACK is in conversation %d, want 1", pkts[5].Conv.ID)
	}
	if fmt.Sprint(order) != "[1 2]" || len(ended) != 2 {
		t.Fatalf("OnEnd order %v, want [1 2]", order)
	}
	if got := states(pkts[6:]); got != "SYN-SENT/UNKNOWN SYN-RECEIVED/ESTABLISHED" {
		t.Errorf("new conversation's states %s", got)
	}
	if pkts[6].TCP.RelSeq != 0 || pkts[7].TCP.RelAck != 1 {
		t.Errorf("new conversation's relative numbers %d %d", pkts[6].TCP.RelSeq, pkts[7].TCP.RelAck)
	}
	if ended[0].Packets != [2]int{4, 2} {
		t.Errorf("old conversation packets %v", ended[0].Packets)
	}
}

// manyConversations is n handshakes from distinct client ports, each
// completed and closed when closed is set, 1 ms apart.
func manyConversations(n int, closed bool) []Packet {
	start := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	var out []Packet
	for i := range n {
		segs := handshake
		if closed {
			segs = cat(handshake, []seg{
				{from: 'c', flags: RST | ACK, seq: ci + 1, ack: si + 1, ms: 0.5},
			})
		}
		for _, s := range segs {
			s.ms += float64(i)
			p := s.packet(len(out)+1, start)
			port := uint16(10000 + i)
			if p.Src == cliEP {
				p.Src = netip.AddrPortFrom(cliEP.Addr(), port)
				p.TCP.SrcPort = port
			} else {
				p.Dst = netip.AddrPortFrom(cliEP.Addr(), port)
				p.TCP.DstPort = port
			}
			out = append(out, p)
		}
	}
	return out
}

func TestEviction(t *testing.T) {
	var ended []int
	trk := NewTrackerWith(TrackerOptions{MaxConversations: 3, OnEnd: func(c *Conversation) { ended = append(ended, c.ID) }})
	pkts := manyConversations(5, false)
	for i := range pkts {
		trk.Track(&pkts[i])
		if trk.Open() > 3 {
			t.Fatalf("%d conversations open, limit 3", trk.Open())
		}
	}
	if fmt.Sprint(ended) != "[1 2]" {
		t.Errorf("evicted %v, want [1 2]", ended)
	}
	var ids []int
	for _, c := range trk.Conversations() {
		ids = append(ids, c.ID)
	}
	if fmt.Sprint(ids) != "[3 4 5]" {
		t.Errorf("open conversations %v, want [3 4 5]", ids)
	}
	trk.Close()
	if fmt.Sprint(ended) != "[1 2 3 4 5]" || trk.Open() != 0 {
		t.Errorf("after Close ended %v, open %d", ended, trk.Open())
	}
}

func TestLRUKeepsActive(t *testing.T) {
	var ended []int
	trk := NewTrackerWith(TrackerOptions{MaxConversations: 2, OnEnd: func(c *Conversation) { ended = append(ended, c.ID) }})
	pkts := manyConversations(3, false)
	// Conversations 1 and 2 open; a packet of 1 makes 2 the least recent;
	// conversation 3 then evicts 2.
	for i := range pkts[:6] {
		trk.Track(&pkts[i])
	}
	again := pkts[2]
	trk.Track(&again)
	for i := range pkts[6:] {
		trk.Track(&pkts[6+i])
	}
	if fmt.Sprint(ended) != "[2]" {
		t.Errorf("evicted %v, want [2]", ended)
	}
}

func TestQuietPeriod(t *testing.T) {
	var ended []int
	trk := NewTrackerWith(TrackerOptions{QuietPeriod: 2 * time.Millisecond, OnEnd: func(c *Conversation) { ended = append(ended, c.ID) }})
	pkts := manyConversations(10, true)
	maxOpen := 0
	for i := range pkts {
		trk.Track(&pkts[i])
		maxOpen = max(maxOpen, trk.Open())
	}
	// Each conversation ends 0.5 ms after it starts, 1 ms apart: with a
	// 2 ms quiet period at most three are held at once.
	if maxOpen > 4 {
		t.Errorf("%d conversations held at once", maxOpen)
	}
	if len(ended) < 7 {
		t.Errorf("only %d conversations forgotten before Close", len(ended))
	}
	trk.Close()
	for i, id := range ended {
		if id != i+1 {
			t.Fatalf("OnEnd order %v", ended)
		}
	}
	if len(ended) != 10 {
		t.Errorf("%d conversations ended, want 10", len(ended))
	}
}

func TestTrackerNoAllocs(t *testing.T) {
	trk := NewTracker()
	start := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	for i, s := range handshake {
		p := s.packet(i+1, start)
		trk.Track(&p)
	}
	data := seg{from: 'c', flags: PSH | ACK, seq: ci + 1, ack: si + 1, len: 100}.packet(4, start)
	ack := seg{from: 's', flags: ACK, seq: si + 1, ack: ci + 101}.packet(5, start)
	n := 0
	allocs := testing.AllocsPerRun(1000, func() {
		n++
		data.TCP.Seq = ci + 1 + uint32(100*n)
		ack.TCP.Ack = data.TCP.Seq + 100
		data.Time = start.Add(time.Duration(n) * time.Microsecond)
		ack.Time = data.Time
		trk.Track(&data)
		trk.Track(&ack)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per data segment and ACK", allocs)
	}
	if data.Conv.Packets[0] < 1000 {
		t.Errorf("packets not tracked: %v", data.Conv.Packets)
	}
}

func BenchmarkTracker(b *testing.B) {
	trk := NewTracker()
	start := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	for i, s := range handshake {
		p := s.packet(i+1, start)
		trk.Track(&p)
	}
	data := seg{from: 'c', flags: PSH | ACK, seq: ci + 1, ack: si + 1, len: 100}.packet(4, start)
	ack := seg{from: 's', flags: ACK, seq: si + 1, ack: ci + 101}.packet(5, start)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		data.TCP.Seq = ci + 1 + uint32(100*i)
		ack.TCP.Ack = data.TCP.Seq + 100
		data.Time = start.Add(time.Duration(i) * time.Microsecond)
		ack.Time = data.Time
		trk.Track(&data)
		trk.Track(&ack)
	}
}

// TestHashCollisions runs conversations through a tracker whose hash puts
// them all in one chain: lookups, eviction and Close must still find each
// conversation by its endpoints.
func TestHashCollisions(t *testing.T) {
	var ended []int
	trk := NewTrackerWith(TrackerOptions{MaxConversations: 4, OnEnd: func(c *Conversation) { ended = append(ended, c.ID) }})
	trk.keyHash = func(convKey) uint64 { return 7 }
	pkts := manyConversations(6, false)
	for i := range pkts {
		trk.Track(&pkts[i])
	}
	for i, p := range pkts {
		if want := i/3 + 1; p.Conv.ID != want {
			t.Fatalf("packet %d in conversation %d, want %d", i, p.Conv.ID, want)
		}
		if p.Conv.Packets != [2]int{2, 1} && p.Conv.ID > 2 {
			t.Fatalf("conversation %d packets %v", p.Conv.ID, p.Conv.Packets)
		}
	}
	// A packet of conversation 3 (in the middle of the chain) finds it.
	again := pkts[8]
	trk.Track(&again)
	if again.Conv != pkts[8].Conv {
		t.Fatalf("conversation 3 not found in the chain")
	}
	trk.Close()
	if fmt.Sprint(ended) != "[1 2 3 4 5 6]" || trk.Open() != 0 || len(trk.convs) != 0 {
		t.Errorf("ended %v, open %d, chains %d", ended, trk.Open(), len(trk.convs))
	}
}
