package render

import (
	"bytes"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// seg describes a TCP segment for tests built from packet sequences.
type seg struct {
	at       time.Duration // since the first packet
	fromSrv  bool
	flags    decode.Flags
	seq, ack uint32
	len      int
}

// trackSegs turns segs into tracked packets between 127.0.0.1:40000 and
// 127.0.0.1:18080 and hands each to w.
func trackSegs(t *testing.T, w Writer, segs []seg) {
	t.Helper()
	cli := netip.MustParseAddrPort("127.0.0.1:40000")
	srv := netip.MustParseAddrPort("127.0.0.1:18080")
	base := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	trk := decode.NewTracker()
	for i, s := range segs {
		p := decode.Packet{N: i + 1, Time: base.Add(s.at), Proto: decode.ProtoTCP, Src: cli, Dst: srv, Len: s.len}
		if s.fromSrv {
			p.Src, p.Dst = srv, cli
		}
		p.IP = decode.IP{Version: 4, Src: p.Src.Addr(), Dst: p.Dst.Addr(), HdrLen: 20, Length: 40 + s.len, TTL: 64, Protocol: 6, NextProto: 6}
		p.TCP = decode.TCP{SrcPort: p.Src.Port(), DstPort: p.Dst.Port(), Seq: s.seq, Ack: s.ack, Flags: s.flags, DataOffset: 5, Window: 512, HdrCaptured: 20}
		trk.Track(&p)
		if err := w.WritePacket(&p); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRTTKarn(t *testing.T) {
	msec := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	const A = decode.ACK
	segs := []seg{
		{0, false, decode.SYN, 1000, 0, 0},
		{msec(1), true, decode.SYN | A, 5000, 1001, 0},
		{msec(2), false, A, 1001, 5001, 0},
		{msec(10), false, A | decode.PSH, 1001, 5001, 100},  // 4
		{msec(11), false, A | decode.PSH, 1101, 5001, 100},  // 5
		{msec(30), true, A, 5001, 1201, 0},                  // 6: acks 4 and 5
		{msec(40), false, A | decode.PSH, 1201, 5001, 100},  // 7
		{msec(300), false, A | decode.PSH, 1201, 5001, 100}, // 8: 7 again
		{msec(310), true, A, 5001, 1301, 0},                 // 9: ambiguous
		{msec(400), false, A | decode.PSH, 1301, 5001, 50},  // 10
		{msec(450), true, A, 5001, 1351, 0},                 // 11
		{msec(500), false, A | decode.PSH, 1351, 5001, 10},  // 12: never acked
	}
	var buf bytes.Buffer
	r := NewRTT(&buf, Options{})
	trackSegs(t, r, segs)
	if len(r.convs) != 1 {
		t.Fatalf("%d conversations held, want 1", len(r.convs))
	}
	var rc *rttConv
	for _, c := range r.convs {
		rc = c
	}
	type want struct {
		frame, ackFrame      int
		seq, end             uint32
		resent               bool
		sample, srtt, rttvar time.Duration
	}
	wants := []want{
		{4, 6, 1, 101, false, msec(20), msec(20), msec(10)},
		// RTTVAR = 3/4·10 + 1/4·|20-19| = 7.75; SRTT = 7/8·20 + 1/8·19 = 19.875.
		{5, 6, 101, 201, false, msec(19), msec(19.875), msec(7.75)},
		{7, 9, 201, 301, true, 0, 0, 0},
		{8, 0, 201, 301, true, 0, 0, 0},
		// RTTVAR = 3/4·7.75 + 1/4·|19.875-50| = 13.34375; SRTT = 7/8·19.875 + 1/8·50.
		{10, 11, 301, 351, false, msec(50), msec(23.640625), msec(13.34375)},
		{12, 0, 351, 361, false, 0, 0, 0},
	}
	if len(rc.rows) != len(wants) {
		t.Fatalf("%d rows, want %d: %+v", len(rc.rows), len(wants), rc.rows)
	}
	near := func(a, b time.Duration) bool { return (a - b).Abs() < time.Microsecond }
	for i, w := range wants {
		g := rc.rows[i]
		if g.frame != w.frame || g.ackFrame != w.ackFrame || g.seq != w.seq || g.end != w.end || g.resent != w.resent ||
			!near(g.sample, w.sample) || !near(g.srtt, w.srtt) || !near(g.rttvar, w.rttvar) {
			t.Errorf("row %d: got frame %d ack %d seq %d:%d resent %v sample %v srtt %v rttvar %v\nwant %+v",
				i, g.frame, g.ackFrame, g.seq, g.end, g.resent, g.sample, g.srtt, g.rttvar, w)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, s := range []string{"none: sent twice (Karn)", "none: a retransmission (Karn)", "not acknowledged",
		"client: 3 samples, EstimatedRTT 23.641 ms, DevRTT 13.344 ms, RTO 1000.000 ms", "77.016 → 1000.000"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

// TestRTTAgreesWithTracker holds the RTT table's samples against the
// tracker's per-ACK RTT (decode.TCP.AckRTT, Wireshark's tcp.analysis.ack_rtt,
// itself held against tshark): wherever the ACK that covered a segment names
// that segment as the one it acknowledges, both measured the same time.
func TestRTTAgreesWithTracker(t *testing.T) {
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	compared := 0
	for _, path := range caps {
		src, err := capture.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		type ackInfo struct {
			frame int
			rtt   time.Duration
		}
		acks := map[int]ackInfo{}
		r := NewRTT(io.Discard, Options{})
		var held []*rttConv
		s := decode.NewStream(src, decode.NewTrackerWith(decode.TrackerOptions{OnEnd: func(c *decode.Conversation) {
			if rc := r.convs[c]; rc != nil {
				held = append(held, rc)
			}
		}}))
		for {
			p, err := s.Next()
			if err != nil {
				break
			}
			if p.Proto == decode.ProtoTCP && p.TCP.AckedFrame > 0 {
				acks[p.N] = ackInfo{p.TCP.AckedFrame, p.TCP.AckRTT}
			}
			r.WritePacket(p)
		}
		src.Close()
		for _, rc := range r.convs {
			held = append(held, rc)
		}
		for _, rc := range held {
			for _, row := range rc.rows {
				a, ok := acks[row.ackFrame]
				if row.ackFrame == 0 || row.resent || !ok || a.frame != row.frame {
					continue
				}
				compared++
				if a.rtt != row.sample {
					t.Errorf("%s frame %d: SampleRTT %v, the tracker's ack_rtt on frame %d %v", path, row.frame, row.sample, row.ackFrame, a.rtt)
				}
			}
		}
	}
	if compared < 20 {
		t.Errorf("only %d samples compared", compared)
	}
	t.Logf("%d samples agree", compared)
}
