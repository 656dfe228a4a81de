// Command craft writes the hand-made captures in testdata: TCP exchanges
// that loopback cannot be made to produce on demand (crossing SYNs and
// FINs, lost and reordered segments), built packet by packet so that
// tshark can judge tcpshow's analysis of them in the differential test.
//
//	go run ./testdata/craft [-dir testdata]
//
// Rerun testdata/tshark.sh and `go test ./render -update` after changing a
// capture.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	dir := flag.String("dir", "testdata", "write the captures into `DIR`")
	flag.Parse()
	for _, c := range captures() {
		name := filepath.Join(*dir, c.name)
		if err := write(name, c.segs); err != nil {
			fmt.Fprintf(os.Stderr, "craft: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("%s: %d packets\n", name, len(c.segs))
	}
}

// seg is one TCP segment between the two endpoints of a capture.
type seg struct {
	at       time.Duration // since the first packet
	fromA    bool          // sent by A (127.0.0.1:40000) to B (127.0.0.1:8080)
	flags    string        // any of S, A, P, F, R
	seq, ack uint32
	len      int
	win      uint16
	syn      bool // carries the SYN options (MSS, SACK-permitted, timestamps, window scale)
	sack     [][2]uint32
}

type capture struct {
	name string
	segs []seg
}

// Initial sequence numbers of A and B.
const (
	isnA = 1000000
	isnB = 5000000
)

// captures returns the captures craft writes.
func captures() []capture {
	ms := time.Millisecond
	a, b := uint32(isnA), uint32(isnB)
	return []capture{{
		// RFC 9293 figure 8: both ends send a SYN before seeing the other's,
		// each answers the other's SYN with a SYN-ACK, then data and a
		// normal close.
		name: "simopen.pcap",
		segs: []seg{
			{at: 0, fromA: true, flags: "S", seq: a, win: 65495, syn: true},
			{at: 1 * ms, fromA: false, flags: "S", seq: b, win: 65495, syn: true},
			{at: 2 * ms, fromA: true, flags: "SA", seq: a, ack: b + 1, win: 65495, syn: true},
			{at: 3 * ms, fromA: false, flags: "SA", seq: b, ack: a + 1, win: 65495, syn: true},
			{at: 4 * ms, fromA: true, flags: "PA", seq: a + 1, ack: b + 1, len: 20, win: 512},
			{at: 5 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 21, win: 512},
			{at: 10 * ms, fromA: true, flags: "FA", seq: a + 21, ack: b + 1, win: 512},
			{at: 11 * ms, fromA: false, flags: "FA", seq: b + 1, ack: a + 22, win: 512},
			{at: 12 * ms, fromA: true, flags: "A", seq: a + 22, ack: b + 2, win: 512},
		},
	}, {
		// RFC 9293 figure 13: after some data both ends send a FIN before
		// seeing the other's; each acknowledges the other's FIN, and both
		// pass through CLOSING to TIME-WAIT.
		name: "simclose.pcap",
		segs: []seg{
			{at: 0, fromA: true, flags: "S", seq: a, win: 65495, syn: true},
			{at: 1 * ms, fromA: false, flags: "SA", seq: b, ack: a + 1, win: 65483, syn: true},
			{at: 2 * ms, fromA: true, flags: "A", seq: a + 1, ack: b + 1, win: 512},
			{at: 3 * ms, fromA: true, flags: "PA", seq: a + 1, ack: b + 1, len: 100, win: 512},
			{at: 4 * ms, fromA: false, flags: "PA", seq: b + 1, ack: a + 101, len: 50, win: 512},
			{at: 5 * ms, fromA: true, flags: "A", seq: a + 101, ack: b + 51, win: 512},
			{at: 20 * ms, fromA: true, flags: "FA", seq: a + 101, ack: b + 51, win: 512},
			{at: 20*ms + 100*time.Microsecond, fromA: false, flags: "FA", seq: b + 51, ack: a + 101, win: 512},
			{at: 21 * ms, fromA: true, flags: "A", seq: a + 102, ack: b + 52, win: 512},
			{at: 21*ms + 100*time.Microsecond, fromA: false, flags: "A", seq: b + 52, ack: a + 102, win: 512},
		},
	}, {
		// A lossy transfer from A to B, 100-byte segments: the second is
		// lost before the capture point (B acknowledges up to it three more
		// times, with SACK blocks), A fast-retransmits it; two segments
		// arrive swapped; A retransmits a segment B had already
		// acknowledged (spurious) and, after a silence, one B had not
		// (retransmission on timeout); then a keep-alive and its ACK.
		name: "lossy.pcap",
		segs: []seg{
			{at: 0, fromA: true, flags: "S", seq: a, win: 65495, syn: true},
			{at: 10 * ms, fromA: false, flags: "SA", seq: b, ack: a + 1, win: 65483, syn: true},
			{at: 20 * ms, fromA: true, flags: "A", seq: a + 1, ack: b + 1, win: 512},
			{at: 21 * ms, fromA: true, flags: "PA", seq: a + 1, ack: b + 1, len: 100, win: 512},
			// a+101..a+201 is lost before the capture.
			{at: 23 * ms, fromA: true, flags: "PA", seq: a + 201, ack: b + 1, len: 100, win: 512},
			{at: 24 * ms, fromA: true, flags: "PA", seq: a + 301, ack: b + 1, len: 100, win: 512},
			{at: 25 * ms, fromA: true, flags: "PA", seq: a + 401, ack: b + 1, len: 100, win: 512},
			{at: 31 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 101, win: 512},
			{at: 33 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 101, win: 512, sack: [][2]uint32{{a + 201, a + 301}}},
			{at: 34 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 101, win: 512, sack: [][2]uint32{{a + 201, a + 401}}},
			{at: 35 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 101, win: 512, sack: [][2]uint32{{a + 201, a + 501}}},
			{at: 36 * ms, fromA: true, flags: "PA", seq: a + 101, ack: b + 1, len: 100, win: 512},
			{at: 46 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 501, win: 512},
			// Two segments the network swapped.
			{at: 50 * ms, fromA: true, flags: "PA", seq: a + 601, ack: b + 1, len: 100, win: 512},
			{at: 50*ms + 500*time.Microsecond, fromA: true, flags: "PA", seq: a + 501, ack: b + 1, len: 100, win: 512},
			{at: 60 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 701, win: 512},
			// A resends a segment B acknowledged already.
			{at: 70 * ms, fromA: true, flags: "PA", seq: a + 601, ack: b + 1, len: 100, win: 512},
			{at: 80 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 701, win: 512, sack: [][2]uint32{{a + 601, a + 701}}},
			// A segment whose ACK is lost, resent after a timeout.
			{at: 90 * ms, fromA: true, flags: "PA", seq: a + 701, ack: b + 1, len: 100, win: 512},
			{at: 400 * ms, fromA: true, flags: "PA", seq: a + 701, ack: b + 1, len: 100, win: 512},
			{at: 410 * ms, fromA: false, flags: "A", seq: b + 1, ack: a + 801, win: 512},
			// A keep-alive: one byte below what B acknowledged, and B's ACK.
			{at: 8 * time.Second, fromA: true, flags: "A", seq: a + 800, ack: b + 1, win: 512},
			{at: 8*time.Second + 10*ms, fromA: false, flags: "A", seq: b + 1, ack: a + 801, win: 512},
			{at: 9 * time.Second, fromA: true, flags: "FA", seq: a + 801, ack: b + 1, win: 512},
			{at: 9*time.Second + 10*ms, fromA: false, flags: "FA", seq: b + 1, ack: a + 802, win: 512},
			{at: 9*time.Second + 20*ms, fromA: true, flags: "A", seq: a + 802, ack: b + 2, win: 512},
		},
	}}
}

// write writes segs as an Ethernet pcap to name.
func write(name string, segs []seg) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		return err
	}
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i, s := range segs {
		data, err := frame(s, i)
		if err != nil {
			return fmt.Errorf("%s: packet %d: %w", name, i+1, err)
		}
		ci := gopacket.CaptureInfo{Timestamp: start.Add(s.at), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			return err
		}
	}
	return nil
}

// frame builds the Ethernet frame of s, the i-th packet of its capture.
func frame(s seg, i int) ([]byte, error) {
	src, dst := layers.TCPPort(40000), layers.TCPPort(8080)
	if !s.fromA {
		src, dst = dst, src
	}
	ip := &layers.IPv4{Version: 4, TTL: 64, Id: uint16(i + 1), Flags: layers.IPv4DontFragment,
		Protocol: layers.IPProtocolTCP, SrcIP: []byte{127, 0, 0, 1}, DstIP: []byte{127, 0, 0, 1}}
	tcp := &layers.TCP{SrcPort: src, DstPort: dst, Seq: s.seq, Ack: s.ack, Window: s.win}
	for _, c := range s.flags {
		switch c {
		case 'S':
			tcp.SYN = true
		case 'A':
			tcp.ACK = true
		case 'P':
			tcp.PSH = true
		case 'F':
			tcp.FIN = true
		case 'R':
			tcp.RST = true
		}
	}
	ts := uint32(1000 + s.at/time.Millisecond)
	ts8 := []byte{byte(ts >> 24), byte(ts >> 16), byte(ts >> 8), byte(ts), 0, 0, 0, 0}
	if s.flags != "S" {
		ecr := ts - 1
		ts8[4], ts8[5], ts8[6], ts8[7] = byte(ecr>>24), byte(ecr>>16), byte(ecr>>8), byte(ecr)
	}
	if s.syn {
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0xff, 0xd7}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: ts8},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}
	} else {
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: ts8},
		}
		if len(s.sack) > 0 {
			var d []byte
			for _, blk := range s.sack {
				for _, v := range blk {
					d = append(d, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
				}
			}
			tcp.Options = append(tcp.Options,
				layers.TCPOption{OptionType: layers.TCPOptionKindNop},
				layers.TCPOption{OptionType: layers.TCPOptionKindNop},
				layers.TCPOption{OptionType: layers.TCPOptionKindSACK, OptionLength: uint8(2 + len(d)), OptionData: d})
		}
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		return nil, err
	}
	payload := make([]byte, s.len)
	for j := range payload {
		payload[j] = 'a' + byte((uint32(j)+s.seq)%26)
	}
	eth := &layers.Ethernet{SrcMAC: make([]byte, 6), DstMAC: make([]byte, 6), EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
