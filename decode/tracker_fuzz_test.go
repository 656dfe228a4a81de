package decode

import (
	"net/netip"
	"testing"
	"time"
)

// fuzzSegSize is the length of one segment in FuzzTracker's input:
//
//	byte 0: bit 0 the direction (1: server to client), bits 1-3 the
//	        client port (40000 + n), so that inputs mix conversations
//	byte 1: the TCP flags (FIN 1, SYN 2, RST 4, PSH 8, ACK 16, …)
//	byte 2: seq, bytes after the sender's ISN
//	byte 3: ack, bytes after the receiver's ISN
//	byte 4: payload length
//	byte 5: window in units of 64 bytes
//	byte 6: milliseconds since the previous segment
//	byte 7: ISN generation (a new one on the same ports is a new connection)
const fuzzSegSize = 8

// fuzzPackets turns FuzzTracker input into packets.
func fuzzPackets(data []byte) []Packet {
	start := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	now := start
	var out []Packet
	for i := 0; i+fuzzSegSize <= len(data) && len(out) < 4096; i += fuzzSegSize {
		b := data[i : i+fuzzSegSize]
		cli := netip.AddrPortFrom(cliEP.Addr(), 40000+uint16(b[0]>>1&7))
		dir := b[0] & 1
		isn := func(d uint8) uint32 { return 1000*uint32(d+1) + uint32(b[7])*1000000 }
		now = now.Add(time.Duration(b[6]) * time.Millisecond)
		p := Packet{N: len(out) + 1, Proto: ProtoTCP, Time: now, Len: int(b[4])}
		p.Src, p.Dst = cli, srvEP
		if dir == 1 {
			p.Src, p.Dst = srvEP, cli
		}
		p.TCP = TCP{SrcPort: p.Src.Port(), DstPort: p.Dst.Port(), Seq: isn(dir) + uint32(b[2]), Ack: isn(1-dir) + uint32(b[3]),
			Flags: Flags(b[1]), Window: uint16(b[5]) * 64, DataOffset: 5, HdrCaptured: 20}
		out = append(out, p)
	}
	return out
}

// FuzzTracker feeds random segment sequences to a Tracker with a small
// conversation limit and quiet period, and checks what must hold whatever
// the packets: every conversation ends exactly once and is not touched
// after it ended, the limits hold, states are states, and the counts add
// up. Seeds (testdata/fuzz/FuzzTracker) hold real exchanges in this
// encoding: handshake and close, refused connect, SYN retransmissions,
// port reuse, a zero window.
func FuzzTracker(f *testing.F) {
	for _, s := range loadSeeds(f, "FuzzTracker") {
		f.Add(s.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkts := fuzzPackets(data)
		ended := map[*Conversation]bool{}
		var order []int
		trk := NewTrackerWith(TrackerOptions{MaxConversations: 3, QuietPeriod: 50 * time.Millisecond, OnEnd: func(c *Conversation) {
			if ended[c] {
				t.Fatalf("conversation %d ended twice", c.ID)
			}
			ended[c] = true
			order = append(order, c.ID)
		}})
		if len(data)%2 == 1 {
			// Half the inputs share two hash chains, to walk them.
			trk.keyHash = func(k convKey) uint64 { return uint64(k.a.Port() & 1) }
		}
		seen := map[*Conversation]bool{}
		for i := range pkts {
			p := &pkts[i]
			trk.Track(p)
			c := p.Conv
			if c == nil || ended[c] {
				t.Fatalf("packet %d: conversation %v nil or already ended", p.N, c)
			}
			seen[c] = true
			if trk.Open() > 3 {
				t.Fatalf("%d conversations open, limit 3", trk.Open())
			}
			for _, s := range []State{p.TCP.SrcState, p.TCP.DstState, c.States[0], c.States[1]} {
				if s > StateTimeWait {
					t.Fatalf("packet %d: state %d", p.N, s)
				}
			}
			if p.TCP.Analysis.Has(DupAck) != (p.TCP.DupAckCount > 0) {
				t.Fatalf("packet %d: analysis %v with dup ack count %d", p.N, p.TCP.Analysis, p.TCP.DupAckCount)
			}
			if p.TCP.AckedFrame >= p.N || p.TCP.AckRTT < 0 {
				t.Fatalf("packet %d acknowledges frame %d after %v", p.N, p.TCP.AckedFrame, p.TCP.AckRTT)
			}
			for d := range 2 {
				if len(c.flows[d].seq.unacked) > maxUnacked {
					t.Fatalf("%d segments remembered", len(c.flows[d].seq.unacked))
				}
			}
		}
		trk.Close()
		if trk.Open() != 0 || len(ended) != len(seen) {
			t.Fatalf("after Close: %d open, %d ended of %d", trk.Open(), len(ended), len(seen))
		}
		total := 0
		for c := range ended {
			total += c.Packets[0] + c.Packets[1]
		}
		if total != len(pkts) {
			t.Fatalf("conversations hold %d packets, %d tracked", total, len(pkts))
		}
	})
}
