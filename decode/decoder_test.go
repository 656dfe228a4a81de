package decode

import (
	"encoding/hex"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpshow/tcpshow/capture"
)

// unhex turns tcpdump -xx style hex (spaces and newlines allowed) into bytes.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Frames copied from the captures in testdata/ with tcpdump -xx.
const (
	// 14:08:35.384895 IP 127.0.0.1.39270 > 127.0.0.1.18080: Flags [S], seq 1975992793, win 65495,
	// options [mss 65495,sackOK,TS val 3864737518 ecr 0,nop,wscale 10], length 0
	synEthernet = `0000 0000 0000 0000 0000 0000 0800 4500
		003c dd0a 4000 4006 5faf 7f00 0001 7f00
		0001 9966 46a0 75c7 41d9 0000 0000 a002
		ffd7 fe30 0000 0204 ffd7 0402 080a e65b
		36ee 0000 0000 0103 030a`
	// The same SYN on macOS's lo0: BSD loopback, AF_INET (2) little-endian.
	synNull = `0200 0000 4500 003c dd0a 4000 4006 5faf
		7f00 0001 7f00 0001 9966 46a0 75c7 41d9
		0000 0000 a002 ffd7 fe30 0000 0204 ffd7
		0402 080a e65b 36ee 0000 0000 0103 030a`
	// 14:13:03.628807 lo In IP 127.0.0.1.43862 > 127.0.0.1.18080: Flags [S] (tcpdump -i any, SLL2)
	synSLL2 = `0800 0000 0000 0001 0304 0006 0000 0000
		0000 0000 4500 003c e53e 4000 4006 577b
		7f00 0001 7f00 0001 ab56 46a0 6caf 93be
		0000 0000 a002 ffd7 fe30 0000 0204 ffd7
		0402 080a ccbf d15a 0000 0000 0103 030a`
	// 14:12:55.334901 IP6 ::1.39424 > ::1.18080: Flags [P.], seq 1:18, ack 1, win 64,
	// options [nop,nop,TS val 1494765572 ecr 2791618851], length 17 ("Hello from client")
	dataIPv6 = `0000 0000 0000 0000 0000 0000 86dd 600c
		56b4 0031 0640 0000 0000 0000 0000 0000
		0000 0000 0001 0000 0000 0000 0000 0000
		0000 0000 0001 9a00 46a0 0e65 fecc 17d4
		90ca 8018 0040 0039 0000 0101 080a 5918
		5004 a664 b923 4865 6c6c 6f20 6672 6f6d
		2063 6c69 656e 74`
	// 14:12:59.481337 IP 127.0.0.1.44616 > 127.0.0.1.18080: UDP, length 17
	udpEthernet = `0000 0000 0000 0000 0000 0000 0800 4500
		002d d0aa 4000 4011 6c13 7f00 0001 7f00
		0001 ae48 46a0 0019 fe2c 4865 6c6c 6f20
		6672 6f6d 2063 6c69 656e 74`
	// 14:12:57.433787 IP 127.0.0.1.18081 > 127.0.0.1.59572: Flags [R.], seq 0, ack 353773893, win 0, length 0
	rstEthernet = `0000 0000 0000 0000 0000 0000 0800 4500
		0028 0000 4000 4006 3cce 7f00 0001 7f00
		0001 46a1 e8b4 0000 0000 1516 2945 5014
		0000 441d 0000`
	// 14:13:05.765663 IP 127.0.0.1.43872 > 127.0.0.1.18080: Flags [S], seq 1446955756, win 65495,
	// options [mss 65495,sackOK,TS val 1405180010 ecr 0, [|tcp]  (snap length 70: 4 option bytes missing)
	synSnap70 = `0000 0000 0000 0000 0000 0000 0800 4500
		003c 66a2 4000 4006 d617 7f00 0001 7f00
		0001 ab60 46a0 563e caec 0000 0000 a002
		ffd7 fe30 0000 0204 ffd7 0402 080a 53c1
		586a 0000 0000`
)

// bigTCPv6 returns dataIPv6 with its payload length set to 0, as Linux
// sends an IPv6 BIG TCP packet.
func bigTCPv6(t *testing.T) []byte {
	b := unhex(t, dataIPv6)
	b[14+4], b[14+5] = 0, 0
	return b
}

// withVLAN inserts an 802.1Q tag with the given VLAN ID after the MACs of an
// Ethernet frame.
func withVLAN(b []byte, id uint16) []byte {
	out := append([]byte{}, b[:12]...)
	out = append(out, 0x81, 0x00, byte(id>>8), byte(id))
	return append(out, b[12:]...)
}

func TestDecode(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	lo6 := netip.MustParseAddr("::1")
	syn := unhex(t, synEthernet)
	tests := []struct {
		name  string
		link  layers.LinkType
		data  []byte
		orig  int // wire length if more than captured
		check func(t *testing.T, p *Packet)
	}{
		{
			name: "SYN on Ethernet",
			link: layers.LinkTypeEthernet,
			data: syn,
			check: func(t *testing.T, p *Packet) {
				want := TCP{
					SrcPort: 39270, DstPort: 18080, Seq: 1975992793, DataOffset: 10,
					Flags: SYN, Window: 65495, Checksum: 0xfe30, ChecksumStatus: ChecksumIncorrect,
					WindowScaled: -1, HdrCaptured: 40,
				}
				got := p.TCP
				got.Options = Options{}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("tcp =\n%+v\nwant\n%+v", got, want)
				}
				o := p.TCP.Options
				if o.Set != HasMSS|HasSACKPerm|HasTimestamps|HasWScale || o.MSS != 65495 || o.WScale != 10 ||
					o.TSVal != 3864737518 || o.TSEcr != 0 || o.N != 5 || o.Truncated || o.Malformed {
					t.Errorf("options = %+v", o)
				}
				kinds := []uint8{OptMSS, OptSACKPerm, OptTimestamp, OptNOP, OptWScale}
				for i, k := range kinds {
					if o.List[i].Kind != k {
						t.Errorf("option %d kind %d, want %d", i, o.List[i].Kind, k)
					}
				}
				if p.Src != netip.AddrPortFrom(lo, 39270) || p.Dst != netip.AddrPortFrom(lo, 18080) {
					t.Errorf("endpoints %v > %v", p.Src, p.Dst)
				}
				if p.IP.Version != 4 || p.IP.HdrLen != 20 || p.IP.Length != 60 || p.IP.ID != 0xdd0a ||
					p.IP.Flags != IPv4DontFragment || p.IP.TTL != 64 || p.IP.ChecksumStatus != ChecksumCorrect {
					t.Errorf("ip = %+v", p.IP)
				}
				if p.Len != 0 || p.Truncated || p.Malformed || p.Link.HdrLen != 14 {
					t.Errorf("len %d truncated %v malformed %v link header %d", p.Len, p.Truncated, p.Malformed, p.Link.HdrLen)
				}
			},
		},
		{
			// BIG TCP: an 80,000-byte segment over IPv6 leaves Linux with
			// payload length 0 and no Jumbo Payload option; the capture
			// kept the first bytes (tcpdump's bigtcp-ipv6.pcap is such a
			// frame).
			name: "IPv6 BIG TCP, payload length 0",
			link: layers.LinkTypeEthernet,
			data: bigTCPv6(t),
			orig: 14 + 40 + 32 + 80000,
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoTCP || p.Len != 80000 || p.IP.Length != 80032 || !p.Truncated || p.Malformed ||
					p.TCP.Seq != 0x0e65fecc || p.Src != netip.AddrPortFrom(lo6, 39424) {
					t.Errorf("got %v len %d ip length %d truncated %v malformed %v seq %#x from %v",
						p.Proto, p.Len, p.IP.Length, p.Truncated, p.Malformed, p.TCP.Seq, p.Src)
				}
			},
		},
		{
			// A payload length of 0 on a packet that fits 16 bits is no
			// BIG TCP packet: malformed.
			name: "IPv6 payload length 0 on a small packet",
			link: layers.LinkTypeEthernet,
			data: bigTCPv6(t),
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoNone || p.Skip != SkipMalformed || !p.Malformed {
					t.Errorf("got %v skip %v malformed %v", p.Proto, p.Skip, p.Malformed)
				}
			},
		},
		{
			name: "SYN on BSD loopback",
			link: layers.LinkTypeNull,
			data: unhex(t, synNull),
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoTCP || p.TCP.Seq != 1975992793 || p.Link.HdrLen != 4 || p.Link.EtherType != 0x0800 {
					t.Errorf("got %v seq %d link header %d", p.Proto, p.TCP.Seq, p.Link.HdrLen)
				}
			},
		},
		{
			name: "SYN on Linux SLL2",
			link: layers.LinkTypeLinuxSLL2,
			data: unhex(t, synSLL2),
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoTCP || p.TCP.Seq != 1823445950 || p.Link.HdrLen != 20 {
					t.Errorf("got %v seq %d link header %d", p.Proto, p.TCP.Seq, p.Link.HdrLen)
				}
			},
		},
		{
			name: "SYN with two 802.1Q tags",
			link: layers.LinkTypeEthernet,
			data: withVLAN(withVLAN(syn, 7), 100),
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoTCP || p.Link.NVLAN != 2 || p.Link.VLAN[0] != 100 || p.Link.VLAN[1] != 7 || p.Link.HdrLen != 22 {
					t.Errorf("got %v vlans %v (%d) link header %d", p.Proto, p.Link.VLAN, p.Link.NVLAN, p.Link.HdrLen)
				}
			},
		},
		{
			name: "raw IP",
			link: layers.LinkTypeRaw,
			data: syn[14:],
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoTCP || p.TCP.SrcPort != 39270 || p.Link.HdrLen != 0 {
					t.Errorf("got %v port %d", p.Proto, p.TCP.SrcPort)
				}
			},
		},
		{
			name: "IPv6 data segment",
			link: layers.LinkTypeEthernet,
			data: unhex(t, dataIPv6),
			check: func(t *testing.T, p *Packet) {
				if p.IP.Version != 6 || p.IP.Src != lo6 || p.IP.HdrLen != 40 || p.IP.FlowLabel != 0xc56b4 || p.IP.TTL != 64 {
					t.Errorf("ip = %+v", p.IP)
				}
				if p.Len != 17 || string(p.Payload) != "Hello from client" || p.TCP.Flags != PSH|ACK || p.TCP.Window != 64 {
					t.Errorf("len %d payload %q flags %v", p.Len, p.Payload, p.TCP.Flags)
				}
				if p.TCP.Options.Set != HasTimestamps || p.TCP.Options.TSVal != 1494765572 || p.TCP.Options.TSEcr != 2791618851 {
					t.Errorf("options = %+v", p.TCP.Options)
				}
			},
		},
		{
			name: "UDP datagram",
			link: layers.LinkTypeEthernet,
			data: unhex(t, udpEthernet),
			check: func(t *testing.T, p *Packet) {
				want := UDP{SrcPort: 44616, DstPort: 18080, Length: 25, Checksum: 0xfe2c, ChecksumStatus: ChecksumIncorrect}
				if p.Proto != ProtoUDP || p.UDP != want || p.Len != 17 || string(p.Payload) != "Hello from client" {
					t.Errorf("udp = %+v len %d payload %q", p.UDP, p.Len, p.Payload)
				}
			},
		},
		{
			name: "RST-ACK with a correct checksum",
			link: layers.LinkTypeEthernet,
			data: unhex(t, rstEthernet),
			check: func(t *testing.T, p *Packet) {
				if p.TCP.Flags != RST|ACK || p.TCP.ChecksumStatus != ChecksumCorrect || p.TCP.Options.N != 0 || p.TCP.Ack != 353773893 {
					t.Errorf("tcp = %+v", p.TCP)
				}
			},
		},
		{
			name: "SYN cut short by the snap length",
			link: layers.LinkTypeEthernet,
			data: unhex(t, synSnap70),
			orig: 74,
			check: func(t *testing.T, p *Packet) {
				o := p.TCP.Options
				if !p.Truncated || p.Malformed || p.TCP.HdrCaptured != 36 || p.TCP.ChecksumStatus != ChecksumUnverified {
					t.Errorf("truncated %v malformed %v captured %d checksum %v", p.Truncated, p.Malformed, p.TCP.HdrCaptured, p.TCP.ChecksumStatus)
				}
				if !o.Truncated || o.Set != HasMSS|HasSACKPerm|HasTimestamps || o.N != 3 || o.TSVal != 1405180010 {
					t.Errorf("options = %+v", o)
				}
			},
		},
		{
			name: "TCP header cut after 10 bytes",
			link: layers.LinkTypeEthernet,
			data: syn[:14+20+10],
			orig: 74,
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoTCP || !p.Truncated || p.TCP.HdrCaptured != 10 || p.TCP.Seq != 1975992793 || p.TCP.SrcPort != 39270 {
					t.Errorf("proto %v truncated %v captured %d seq %d", p.Proto, p.Truncated, p.TCP.HdrCaptured, p.TCP.Seq)
				}
			},
		},
		{
			name: "data offset below 5",
			link: layers.LinkTypeEthernet,
			data: func() []byte {
				b := append([]byte{}, syn...)
				b[14+20+12] = 0x30
				return b
			}(),
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoTCP || !p.Malformed || p.TCP.DataOffset != 3 {
					t.Errorf("proto %v malformed %v offset %d", p.Proto, p.Malformed, p.TCP.DataOffset)
				}
			},
		},
		{
			name: "option length runs past the header",
			link: layers.LinkTypeEthernet,
			data: func() []byte {
				b := append([]byte{}, syn...)
				b[14+20+21] = 40 // MSS claims 40 bytes
				return b
			}(),
			check: func(t *testing.T, p *Packet) {
				if !p.Malformed || !p.TCP.Options.Malformed || p.TCP.Options.N != 1 || p.TCP.Options.Set != 0 {
					t.Errorf("malformed %v options %+v", p.Malformed, p.TCP.Options)
				}
			},
		},
		{
			name: "IPv4 header length beyond the frame",
			link: layers.LinkTypeEthernet,
			data: func() []byte {
				b := append([]byte{}, syn[:14+24]...)
				b[14] = 0x4f
				return b
			}(),
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoNone || p.Skip != SkipMalformed {
					t.Errorf("proto %v skip %v", p.Proto, p.Skip)
				}
			},
		},
		{
			name: "unsupported link type",
			link: layers.LinkType(127),
			data: syn,
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoNone || p.Skip != SkipLinkType || p.SkipDetail != 127 {
					t.Errorf("proto %v skip %v %d", p.Proto, p.Skip, p.SkipDetail)
				}
			},
		},
		{
			name: "ARP",
			link: layers.LinkTypeEthernet,
			data: func() []byte {
				b := append([]byte{}, syn...)
				b[12], b[13] = 0x08, 0x06
				return b
			}(),
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoNone || p.Skip != SkipNotIP || p.SkipDetail != 0x0806 {
					t.Errorf("proto %v skip %v %#x", p.Proto, p.Skip, p.SkipDetail)
				}
			},
		},
		{
			name: "empty frame",
			link: layers.LinkTypeEthernet,
			data: nil,
			check: func(t *testing.T, p *Packet) {
				if p.Proto != ProtoNone || p.Skip != SkipMalformed {
					t.Errorf("proto %v skip %v", p.Proto, p.Skip)
				}
			},
		},
	}
	d := NewDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.orig
			if orig == 0 {
				orig = len(tt.data)
			}
			var p Packet
			d.Decode(7, capture.Frame{Time: time.Unix(1, 0), LinkType: tt.link, OrigLen: orig, Data: tt.data}, &p)
			if p.N != 7 || p.CapLen != len(tt.data) || p.WireLen != orig {
				t.Errorf("n %d caplen %d wirelen %d", p.N, p.CapLen, p.WireLen)
			}
			tt.check(t, &p)
		})
	}
}

// TestDecodeNoAllocs holds the decoder to zero allocations per packet for
// well-formed frames of each supported link type.
func TestDecodeNoAllocs(t *testing.T) {
	frames := []capture.Frame{
		{LinkType: layers.LinkTypeEthernet, Data: unhex(t, synEthernet)},
		{LinkType: layers.LinkTypeEthernet, Data: unhex(t, dataIPv6)},
		{LinkType: layers.LinkTypeEthernet, Data: unhex(t, udpEthernet)},
		{LinkType: layers.LinkTypeNull, Data: unhex(t, synNull)},
		{LinkType: layers.LinkTypeLinuxSLL2, Data: unhex(t, synSLL2)},
	}
	d := NewDecoder()
	trk := NewTracker()
	var p Packet
	for _, f := range frames {
		f.OrigLen = len(f.Data)
		d.Decode(1, f, &p) // warm up option slices
		trk.Track(&p)
		allocs := testing.AllocsPerRun(100, func() {
			d.Decode(1, f, &p)
			trk.Track(&p)
		})
		if allocs != 0 {
			t.Errorf("link type %d: %v allocations per packet, want 0", f.LinkType, allocs)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	f := capture.Frame{LinkType: layers.LinkTypeEthernet, Data: unhex(b, dataIPv6)}
	f.OrigLen = len(f.Data)
	d := NewDecoder()
	var p Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(f.Data)))
	for b.Loop() {
		d.Decode(1, f, &p)
	}
}

// FuzzDecode decodes arbitrary bytes as a frame of any link type. Seeds
// (testdata/fuzz/FuzzDecode) hold a frame of every link type tcpshow
// decodes, one it does not, and frames from tcpdump's corpus crafted to
// break parsers.
func FuzzDecode(f *testing.F) {
	links := map[layers.LinkType]bool{}
	for _, s := range loadSeeds(f, "FuzzDecode") {
		lt := layers.LinkType(s.int(f, "link"))
		links[lt] = true
		f.Add(uint16(lt), s.data)
	}
	for _, lt := range []layers.LinkType{
		layers.LinkTypeEthernet, layers.LinkTypeNull, layers.LinkTypeLoop, layers.LinkTypeLinuxSLL,
		layers.LinkTypeLinuxSLL2, layers.LinkTypeRaw, linkTypeRaw12, linkTypeRaw14, layers.LinkTypeIPv4, layers.LinkTypeIPv6,
	} {
		if !links[lt] {
			f.Fatalf("no seed for link type %d in testdata/fuzz/FuzzDecode", lt)
		}
	}
	d := NewDecoder()
	trk := NewTracker()
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		var p, again Packet
		fr := capture.Frame{LinkType: layers.LinkType(link), OrigLen: len(data), Data: data}
		d.Decode(1, fr, &p)
		checkPacket(t, &p, data)
		d.Decode(1, fr, &again)
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("decoding the same frame twice differs:\n%+v\n%+v", p, again)
		}
		// Cut short by a snap length, the same frame must decode as far as
		// it goes.
		if len(data) > 1 {
			fr.Data = data[:len(data)/2]
			d.Decode(2, fr, &again)
			checkPacket(t, &again, fr.Data)
		}
		trk.Track(&p)
	})
}

// checkPacket holds a decoded packet to the invariants the renderers rely
// on, whatever the frame held.
func checkPacket(t *testing.T, p *Packet, data []byte) {
	t.Helper()
	switch {
	case p.Len < 0:
		t.Fatalf("negative payload length %d", p.Len)
	case len(p.Payload) > len(data):
		t.Fatalf("payload of %d bytes from a %d-byte frame", len(p.Payload), len(data))
	case p.Proto == ProtoTCP && len(p.Payload) > p.Len:
		t.Fatalf("TCP payload: %d bytes captured of %d", len(p.Payload), p.Len)
	case p.Proto != ProtoNone && p.Skip != SkipNone:
		t.Fatalf("proto %v and skip %v", p.Proto, p.Skip)
	case p.Proto == ProtoNone && p.Skip == SkipNone:
		t.Fatal("neither a transport header nor a reason to skip")
	case p.Proto != ProtoNone && (!p.Src.IsValid() || !p.Dst.IsValid()):
		t.Fatalf("transport header without addresses: %v > %v", p.Src, p.Dst)
	case p.Proto == ProtoTCP && (p.TCP.Options.N > maxOptions || p.TCP.Options.NSACK > maxSACK):
		t.Fatalf("%d options, %d SACK blocks", p.TCP.Options.N, p.TCP.Options.NSACK)
	case p.IP.NExt > maxExt || p.Link.NVLAN > maxVLAN:
		t.Fatalf("%d extension headers, %d VLAN tags", p.IP.NExt, p.Link.NVLAN)
	}
}
