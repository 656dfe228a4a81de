package decode

import (
	"strconv"
	"strings"
	"testing"
)

// marks renders each packet's analysis as names joined by "+" ("-" for
// none), with a duplicate ACK's number after a '#', and an ACK's
// acknowledged frame after an '@'.
func marks(pkts []Packet) string {
	var out []string
	for _, p := range pkts {
		s := string(p.TCP.Analysis.AppendNames(nil, "+"))
		if s == "" {
			s = "-"
		}
		if p.TCP.Analysis.Has(DupAck) {
			s += "#" + strconv.Itoa(p.TCP.DupAckCount)
		}
		if p.TCP.AckedFrame > 0 {
			s += "@" + strconv.Itoa(p.TCP.AckedFrame)
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// The expected marks of the handshake: the SYN-ACK acknowledges frame 1,
// the ACK frame 2.
const hsMarks = "- -@1 -@2 "

func TestAnalysis(t *testing.T) {
	d := func(seq uint32, n int, ms float64) seg { // client data
		return seg{from: 'c', flags: PSH | ACK, seq: ci + seq, ack: si + 1, len: n, ms: ms}
	}
	a := func(ack uint32, win uint16, ms float64) seg { // server ACK
		return seg{from: 's', flags: ACK, seq: si + 1, ack: ci + ack, win: win, ms: ms}
	}
	tests := []struct {
		name string
		segs []seg
		want string
	}{
		{
			name: "in order",
			segs: cat(handshake, []seg{d(1, 100, 1), d(101, 100, 1.1), a(201, 0, 1.2)}),
			want: hsMarks + "- - -@5",
		},
		{
			name: "segment not captured, duplicate ACKs, fast retransmission",
			segs: cat(handshake, []seg{
				d(1, 100, 1), d(201, 100, 1.1), // 101:201 never captured
				a(101, 0, 1.2), a(101, 0, 1.3), a(101, 0, 1.4),
				d(101, 100, 1.5), a(301, 0, 1.6),
			}),
			want: hsMarks + "- lost_segment -@4 dup_ack#1 dup_ack#2 fast_retransmission -@5",
		},
		{
			name: "out of order",
			segs: cat(handshake, []seg{d(1, 100, 1), d(201, 100, 1.1), d(101, 100, 1.2)}),
			want: hsMarks + "- lost_segment out_of_order",
		},
		{
			// As in tcpdump's bgp-as-path-oobr.pcap, which tshark leaves
			// unmarked: more than one byte from one below the next
			// sequence number is new data, not out of order.
			name: "new data starting one byte early",
			segs: cat(handshake, []seg{d(1, 100, 1), d(100, 50, 1.1), d(120, 10, 1.2)}),
			want: hsMarks + "- - out_of_order",
		},
		{
			name: "retransmission after a timeout",
			segs: cat(handshake, []seg{d(1, 100, 1), d(1, 100, 300), a(101, 0, 300.1)}),
			want: hsMarks + "- retransmission -@4",
		},
		{
			name: "spurious retransmission",
			segs: cat(handshake, []seg{d(1, 100, 1), a(101, 0, 1.1), d(1, 100, 300)}),
			want: hsMarks + "- -@4 spurious_retransmission",
		},
		{
			name: "retransmitted SYN",
			segs: []seg{{from: 'c', flags: SYN, seq: ci}, {from: 'c', flags: SYN, seq: ci, ms: 1000}},
			want: "- retransmission",
		},
		{
			name: "window full, zero window, probe, probe ACK, window update",
			segs: cat(handshake, []seg{
				d(1, 512, 1),          // fills the 512-byte window
				a(513, 0xffff, 1.1),   // zero window
				d(513, 1, 200),        // zero-window probe
				a(513, 0xffff, 200.1), // its ACK
				a(513, 512, 300),      // the window opens
				d(513, 100, 300.1),
			}),
			want: hsMarks + "window_full zero_window@4 zero_window_probe zero_window+zero_window_probe_ack window_update -",
		},
		{
			name: "keep-alive and its ACK",
			segs: cat(handshake, []seg{
				d(1, 100, 1), a(101, 0, 1.1),
				{from: 'c', flags: ACK, seq: ci + 100, ack: si + 1, ms: 7200},
				a(101, 0, 7200.1),
			}),
			want: hsMarks + "- -@4 keep_alive keep_alive_ack",
		},
		{
			name: "duplicate ACK count restarts when the ACK moves",
			segs: cat(handshake, []seg{
				d(1, 100, 1), a(101, 0, 1.1), a(101, 0, 1.2),
				d(101, 100, 2), a(201, 0, 2.1), a(201, 0, 2.2),
			}),
			want: hsMarks + "- -@4 dup_ack#1 - -@7 dup_ack#1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, _ := run(t, TrackerOptions{}, tt.segs)
			if got := marks(pkts); got != tt.want {
				t.Errorf("analysis\n got: %s\nwant: %s", got, tt.want)
			}
		})
	}
}

func TestIRTTAndCounts(t *testing.T) {
	segs := cat([]seg{{from: 'c', flags: SYN, seq: ci}, {from: 'c', flags: SYN, seq: ci, ms: 1000}},
		[]seg{
			{from: 's', flags: SYN | ACK, seq: si, ack: ci + 1, ms: 1000.25},
			{from: 'c', flags: ACK, seq: ci + 1, ack: si + 1, ms: 1000.5},
			{from: 's', flags: ACK, seq: si + 1, ack: ci + 1, win: 0xffff, ms: 1001},
		})
	pkts, ended := run(t, TrackerOptions{}, segs)
	c := ended[0]
	// From the last SYN to the first ACK: 0.5 ms.
	if c.IRTT.Microseconds() != 500 {
		t.Errorf("iRTT %v, want 500µs", c.IRTT)
	}
	// Wireshark matches an ACK to the oldest segment it ends: here the
	// first SYN, frame 1, not its retransmission.
	if pkts[2].TCP.AckedFrame != 1 || pkts[2].TCP.AckRTT.Microseconds() != 1000250 {
		t.Errorf("SYN-ACK acknowledges frame %d after %v", pkts[2].TCP.AckedFrame, pkts[2].TCP.AckRTT)
	}
	if c.Retransmissions != [2]int{1, 0} || c.ZeroWindows != [2]int{0, 1} {
		t.Errorf("retransmissions %v, zero windows %v", c.Retransmissions, c.ZeroWindows)
	}
}
