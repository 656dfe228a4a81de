package decode

import (
	"encoding/binary"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpshow/tcpshow/capture"
)

// TestWalkLimits feeds headers that chain without end: every walk stops at
// its bound, marks what it could not follow, and allocates nothing.
func TestWalkLimits(t *testing.T) {
	tcp := []byte{0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0} // SYN 40000 > 8080
	// IPv6 with n destination-options headers (8 bytes each: PadN), then TCP.
	ipv6Chain := func(n int) []byte {
		b := make([]byte, 14, 14+40+8*n+20)
		binary.BigEndian.PutUint16(b[12:], 0x86dd)
		ip := make([]byte, 40)
		ip[0] = 0x60
		binary.BigEndian.PutUint16(ip[4:], uint16(8*n+20))
		ip[6], ip[7] = protoDestination, 64
		ip[23], ip[39] = 1, 1 // ::1 > ::1
		b = append(b, ip...)
		for i := range n {
			next := byte(protoDestination)
			if i == n-1 {
				next = protoTCP
			}
			b = append(b, next, 0, 1, 4, 0, 0, 0, 0)
		}
		return append(b, tcp...)
	}
	// Ethernet with n stacked 802.1Q tags, then IPv4 and TCP.
	vlanStack := func(n int) []byte {
		b := make([]byte, 12, 64)
		for range n {
			b = append(b, 0x81, 0x00, 0x00, 0x64)
		}
		b = append(b, 0x08, 0x00)
		ip := []byte{0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1}
		return append(append(b, ip...), tcp...)
	}
	tests := []struct {
		name  string
		frame []byte
		check func(t *testing.T, p *Packet)
	}{
		{"8 extension headers: all followed", ipv6Chain(maxExt - 1), func(t *testing.T, p *Packet) {
			if p.Proto != ProtoTCP || p.IP.NExt != maxExt-1 {
				t.Errorf("proto %v, %d extension headers", p.Proto, p.IP.NExt)
			}
		}},
		{"200 extension headers: the walk stops at the bound", ipv6Chain(200), func(t *testing.T, p *Packet) {
			if p.Proto != ProtoNone || p.IP.NExt != maxExt || p.Skip != SkipProtocol || p.SkipDetail != protoDestination {
				t.Errorf("proto %v, %d extension headers, skip %v %d", p.Proto, p.IP.NExt, p.Skip, p.SkipDetail)
			}
		}},
		{"4 VLAN tags: all followed", vlanStack(maxVLAN), func(t *testing.T, p *Packet) {
			if p.Proto != ProtoTCP || p.Link.NVLAN != maxVLAN {
				t.Errorf("proto %v, %d tags", p.Proto, p.Link.NVLAN)
			}
		}},
		{"12 VLAN tags: the walk stops at the bound", vlanStack(12), func(t *testing.T, p *Packet) {
			if p.Proto != ProtoNone || p.Link.NVLAN != maxVLAN || p.Skip != SkipNotIP || p.SkipDetail != 0x8100 {
				t.Errorf("proto %v, %d tags, skip %v %#x", p.Proto, p.Link.NVLAN, p.Skip, p.SkipDetail)
			}
		}},
	}
	d := NewDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := capture.Frame{LinkType: layers.LinkTypeEthernet, Data: tt.frame, OrigLen: len(tt.frame)}
			var p Packet
			d.Decode(1, f, &p)
			tt.check(t, &p)
			if a := testing.AllocsPerRun(20, func() { d.Decode(1, f, &p) }); a != 0 {
				t.Errorf("%v allocations", a)
			}
		})
	}
}
