package render

import (
	"bytes"
	"io"
	"net/netip"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// shortConversations calls emit with the packets of n connections from
// distinct client ports, 1 ms apart: handshake, 100 bytes, RST. The packet
// passed to emit is reused.
func shortConversations(n int, emit func(p *decode.Packet)) {
	srv := netip.MustParseAddrPort("127.0.0.1:80")
	start := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	var p decode.Packet
	frame := 0
	for i := range n {
		cli := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, byte(i >> 16), byte(i >> 8)}), uint16(1024+i&0xff))
		t0 := start.Add(time.Duration(i) * time.Millisecond)
		for k, s := range []struct {
			fromClient bool
			flags      decode.Flags
			seq, ack   uint32
			len        int
		}{
			{true, decode.SYN, 1000, 0, 0},
			{false, decode.SYN | decode.ACK, 5000, 1001, 0},
			{true, decode.ACK, 1001, 5001, 0},
			{true, decode.PSH | decode.ACK, 1001, 5001, 100},
			{false, decode.ACK, 5001, 1101, 0},
			{true, decode.RST | decode.ACK, 1101, 5001, 0},
		} {
			frame++
			p = decode.Packet{N: frame, Proto: decode.ProtoTCP, Time: t0.Add(time.Duration(k) * 10 * time.Microsecond), Len: s.len}
			p.Src, p.Dst = cli, srv
			if !s.fromClient {
				p.Src, p.Dst = srv, cli
			}
			p.TCP = decode.TCP{SrcPort: p.Src.Port(), DstPort: p.Dst.Port(), Seq: s.seq, Ack: s.ack, Flags: s.flags, Window: 512, DataOffset: 5, HdrCaptured: 20}
			emit(&p)
		}
	}
}

// summarize streams conversations through a tracker into a Summary on w,
// as tcpshow replay --format summary does.
func summarize(tb testing.TB, w io.Writer, n int, after func(i int)) {
	s := NewSummary(w, Options{ASCII: true})
	trk := decode.NewTrackerWith(decode.TrackerOptions{OnEnd: func(c *decode.Conversation) {
		if err := s.EndConversation(c); err != nil {
			tb.Fatal(err)
		}
	}})
	i := 0
	shortConversations(n, func(p *decode.Packet) {
		trk.Track(p)
		if err := s.WritePacket(p); err != nil {
			tb.Fatal(err)
		}
		if p.TCP.Flags.Has(decode.RST) {
			i++
			if after != nil {
				after(i)
			}
		}
	})
	trk.Close()
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
}

// TestSummaryStreams checks that a row is written as soon as the tracker
// forgets its conversation, long before the end of the input.
func TestSummaryStreams(t *testing.T) {
	var buf bytes.Buffer
	rowsAt := map[int]int{}
	summarize(t, &buf, 7000, func(i int) {
		if i == 6000 {
			rowsAt[i] = strings.Count(buf.String(), "| tcp ")
		}
	})
	// Conversations 1 ms apart: those that ended within the quiet period
	// of capture time are still held when the 6000th ends.
	held := int(decode.DefaultQuietPeriod / time.Millisecond)
	if got, want := rowsAt[6000], 6000-held; got < want-100 || got > want+100 {
		t.Errorf("%d rows written when 6000 conversations had ended", got)
	}
	if got := strings.Count(buf.String(), "| tcp "); got != 7000 {
		t.Errorf("%d rows in all, want 7000", got)
	}
	if !strings.Contains(buf.String(), "| yes       | RST  | CLOSED       | CLOSED       | 4 / 2         | 100 / 0 ") {
		t.Errorf("row not as expected:\n%s", buf.String()[:600])
	}
}

// TestSummaryMemoryFlat checks that the heap a summary needs follows the
// open conversations, not how many the capture holds.
func TestSummaryMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 50,000 conversations")
	}
	var ms runtime.MemStats
	heap := map[int]uint64{}
	summarize(t, io.Discard, 50000, func(i int) {
		if i == 10000 || i == 50000 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			heap[i] = ms.HeapAlloc
		}
	})
	grown := int64(heap[50000]) - int64(heap[10000])
	t.Logf("heap after 10,000 conversations %d KiB, after 50,000 %d KiB", heap[10000]>>10, heap[50000]>>10)
	if grown > 2<<20 {
		t.Errorf("heap grew by %d KiB over 40,000 more conversations", grown>>10)
	}
}

func BenchmarkSummary(b *testing.B) {
	b.ReportAllocs()
	summarize(b, io.Discard, b.N, nil)
}

// TestSummaryRowsAsTablewriter holds the rows Summary draws itself to the
// rows tablewriter draws, with cells that fit and cells that wrap.
func TestSummaryRowsAsTablewriter(t *testing.T) {
	mk := func(id int, client, server string) *decode.Conversation {
		return &decode.Conversation{
			ID: id, Proto: decode.ProtoTCP,
			Client: netip.MustParseAddrPort(client), Server: netip.MustParseAddrPort(server),
			First: time.Unix(100, 0), Last: time.Unix(100, 123456789),
			Packets: [2]int{id, 2 * id}, Bytes: [2]int64{int64(1000 * id), 7},
			Handshake: id%2 == 0, EndedBy: decode.EndFIN, IRTT: 139 * time.Microsecond,
		}
	}
	convs := []*decode.Conversation{
		mk(1, "127.0.0.1:43858", "127.0.0.1:18080"),
		mk(2, "127.0.0.1:43860", "127.0.0.1:18080"),
		mk(3, "[2001:db8:1234:5678:9abc:def0:1234:5678]:65535", "[::1]:18080"),
		mk(4, "10.200.30.40:1", "127.0.0.1:18080"),
	}
	for _, ascii := range []bool{false, true} {
		var fast, slow bytes.Buffer
		for _, out := range []*bytes.Buffer{&fast, &slow} {
			s := NewSummary(out, Options{ASCII: ascii})
			s.slow = out == &slow
			for _, c := range convs {
				if err := s.WritePacket(&decode.Packet{Conv: c}); err != nil {
					t.Fatal(err)
				}
				if err := s.EndConversation(c); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if fast.String() != slow.String() {
			t.Errorf("ascii %v: rows differ from tablewriter's:\n%s\nwant:\n%s", ascii, fast.String(), slow.String())
		}
		if n := strings.Count(fast.String(), "\n"); n < 8 {
			t.Errorf("ascii %v: %d lines, want a header, four rows (one wrapped) and borders", ascii, n)
		}
	}
}
