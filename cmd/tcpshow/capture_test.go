package main

import (
	"bytes"
	"net"
	"os"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// The tests in this package build the captures they need from packets made
// with gopacket's serializer, with correct lengths and checksums, so that
// only what a test means to break is broken.

// segment describes one TCP or UDP packet between two loopback endpoints.
type segment struct {
	udp              bool
	sport, dport     uint16
	flags            string // TCP flags, a subset of "SAFRP"
	seq, ack         uint32
	payload          []byte
	srcAddr, dstAddr net.IP // 127.0.0.1 if nil
}

// frame serializes s as an Ethernet frame.
func (s segment) frame(tb testing.TB) []byte {
	tb.Helper()
	src, dst := s.srcAddr, s.dstAddr
	if src == nil {
		src = net.IPv4(127, 0, 0, 1)
	}
	if dst == nil {
		dst = net.IPv4(127, 0, 0, 1)
	}
	eth := &layers.Ethernet{SrcMAC: make(net.HardwareAddr, 6), DstMAC: make(net.HardwareAddr, 6), EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Flags: layers.IPv4DontFragment, SrcIP: src.To4(), DstIP: dst.To4()}
	var l4 gopacket.SerializableLayer
	if s.udp {
		ip.Protocol = layers.IPProtocolUDP
		u := &layers.UDP{SrcPort: layers.UDPPort(s.sport), DstPort: layers.UDPPort(s.dport)}
		u.SetNetworkLayerForChecksum(ip)
		l4 = u
	} else {
		ip.Protocol = layers.IPProtocolTCP
		t := &layers.TCP{SrcPort: layers.TCPPort(s.sport), DstPort: layers.TCPPort(s.dport), Seq: s.seq, Ack: s.ack, Window: 65535}
		for _, f := range s.flags {
			switch f {
			case 'S':
				t.SYN = true
			case 'A':
				t.ACK = true
			case 'F':
				t.FIN = true
			case 'R':
				t.RST = true
			case 'P':
				t.PSH = true
			}
		}
		t.SetNetworkLayerForChecksum(ip)
		l4 = t
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, eth, ip, l4, gopacket.Payload(s.payload)); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// pcapBytes returns a pcap file (Ethernet, microseconds) holding frames,
// one millisecond apart.
func pcapBytes(tb testing.TB, frames ...[]byte) []byte {
	tb.Helper()
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		tb.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			tb.Fatal(err)
		}
	}
	return b.Bytes()
}

// writeTemp writes data to a file named name in a new temporary directory
// and returns its path.
func writeTemp(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	path := tb.TempDir() + "/" + name
	if err := os.WriteFile(path, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// exchange returns the frames of a whole TCP connection from port 40000 to
// 8080 that carries the given payloads from the client and the server in
// turn.
func exchange(tb testing.TB, payloads ...[]byte) [][]byte {
	tb.Helper()
	c, s := uint32(1000), uint32(5000)
	frames := [][]byte{
		segment{sport: 40000, dport: 8080, flags: "S", seq: c}.frame(tb),
		segment{sport: 8080, dport: 40000, flags: "SA", seq: s, ack: c + 1}.frame(tb),
		segment{sport: 40000, dport: 8080, flags: "A", seq: c + 1, ack: s + 1}.frame(tb),
	}
	c, s = c+1, s+1
	for i, p := range payloads {
		if i%2 == 0 {
			frames = append(frames, segment{sport: 40000, dport: 8080, flags: "PA", seq: c, ack: s, payload: p}.frame(tb))
			c += uint32(len(p))
		} else {
			frames = append(frames, segment{sport: 8080, dport: 40000, flags: "PA", seq: s, ack: c, payload: p}.frame(tb))
			s += uint32(len(p))
		}
	}
	return append(frames,
		segment{sport: 40000, dport: 8080, flags: "FA", seq: c, ack: s}.frame(tb),
		segment{sport: 8080, dport: 40000, flags: "FA", seq: s, ack: c + 1}.frame(tb),
		segment{sport: 40000, dport: 8080, flags: "A", seq: c + 1, ack: s + 1}.frame(tb),
	)
}
