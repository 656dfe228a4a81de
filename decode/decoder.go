package decode

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/tcpshow/tcpshow/capture"
)

// Link types that carry raw IP with no link header. 12 and 14 are the raw-IP
// DLT values of some BSDs, written into old capture files as they were.
const (
	linkTypeRaw12 layers.LinkType = 12
	linkTypeRaw14 layers.LinkType = 14
)

// EtherTypes the decoder follows.
const (
	etherTypeIPv4  = 0x0800
	etherTypeIPv6  = 0x86dd
	etherTypeDot1Q = 0x8100
	etherTypeQinQ  = 0x88a8
)

// IP protocol numbers the decoder follows.
const (
	protoTCP         = 6
	protoUDP         = 17
	protoHopByHop    = 0
	protoRouting     = 43
	protoFragment    = 44
	protoAH          = 51
	protoDestination = 60
	protoMobility    = 135
	protoHIP         = 139
	protoShim6       = 140
)

// Decoder decodes frames into Packets. It holds gopacket's decoding layers
// preallocated and reuses them for every frame, so decoding a well-formed
// frame allocates nothing. A Decoder is not safe for concurrent use; use one
// per goroutine.
type Decoder struct {
	eth  layers.Ethernet
	vlan layers.Dot1Q
	loop layers.Loopback
	sll  layers.LinuxSLL
	sll2 layers.LinuxSLL2
	ip4  layers.IPv4
	ip6  layers.IPv6
	ext  layers.IPv6ExtensionSkipper
	frag layers.IPv6Fragment
	udp  layers.UDP

	// scratch holds a transport header the capture cut short, padded with
	// zeros, so that the fields that are present decode as usual.
	scratch [60]byte
	fb      feedback
}

// feedback records what gopacket's layers report through DecodeFeedback.
type feedback struct{ truncated bool }

func (f *feedback) SetTruncated() { f.truncated = true }

// NewDecoder returns a Decoder.
func NewDecoder() *Decoder { return &Decoder{} }

// Decode decodes frame f, numbered n in its source, into p, overwriting all
// of p. Slices in p (payload, options) are views into f.Data and are valid
// only as long as f.Data is.
func (d *Decoder) Decode(n int, f capture.Frame, p *Packet) {
	// Clear p in place, then fill it: a composite literal would be built
	// aside and copied over, twice the memory traffic for 700 bytes.
	*p = Packet{}
	p.N, p.Time, p.NanoTime = n, f.Time, f.Nano
	p.LinkType, p.CapLen, p.WireLen = f.LinkType, len(f.Data), f.OrigLen
	p.TCP.WindowScaled = -1
	d.fb.truncated = false
	data := f.Data
	etype, payload, ok := d.decodeLink(f.LinkType, data, p)
	if !ok {
		p.Truncated = p.Truncated || d.fb.truncated
		if p.Truncated && p.CapLen >= p.WireLen {
			p.Truncated, p.Malformed = false, true
		}
		return
	}
	p.Link.HdrLen = len(data) - len(payload)
	p.Link.EtherType = etype
	switch etype {
	case etherTypeIPv4:
		d.decodeIPv4(payload, p)
	case etherTypeIPv6:
		d.decodeIPv6(payload, p)
	default:
		p.Skip, p.SkipDetail = SkipNotIP, int(etype)
	}
	p.Truncated = p.Truncated || d.fb.truncated
	if p.Truncated && p.CapLen >= p.WireLen {
		// The whole frame was captured: it is the packet, not the capture,
		// that is shorter than its headers claim.
		p.Truncated, p.Malformed = false, true
	}
}

// decodeLink decodes the link layer and returns the EtherType of what it
// carries and the bytes after it. Loopback address families and raw-IP link
// types are mapped to the IPv4 and IPv6 EtherTypes.
func (d *Decoder) decodeLink(lt layers.LinkType, data []byte, p *Packet) (uint16, []byte, bool) {
	switch lt {
	case layers.LinkTypeEthernet:
		if len(data) < 14 {
			return d.linkShort(p)
		}
		if err := d.eth.DecodeFromBytes(data, &d.fb); err != nil {
			return d.linkShort(p)
		}
		etype, payload := uint16(d.eth.EthernetType), d.eth.Payload
		if d.eth.Length != 0 {
			etype = 0 // 802.3 length field: LLC follows, not IP
		}
		for (etype == etherTypeDot1Q || etype == etherTypeQinQ) && p.Link.NVLAN < maxVLAN {
			if err := d.vlan.DecodeFromBytes(payload, &d.fb); err != nil {
				return d.linkShort(p)
			}
			p.Link.VLAN[p.Link.NVLAN] = d.vlan.VLANIdentifier
			p.Link.NVLAN++
			etype, payload = uint16(d.vlan.Type), d.vlan.Payload
		}
		return etype, payload, true
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(data) < 4 {
			return d.linkShort(p)
		}
		if err := d.loop.DecodeFromBytes(data, &d.fb); err != nil {
			p.Skip, p.SkipDetail = SkipNotIP, int(binary.BigEndian.Uint32(data))
			return 0, nil, false
		}
		switch d.loop.Family {
		case layers.ProtocolFamilyIPv4:
			return etherTypeIPv4, d.loop.Payload, true
		case layers.ProtocolFamilyIPv6Linux, layers.ProtocolFamilyIPv6BSD,
			layers.ProtocolFamilyIPv6FreeBSD, layers.ProtocolFamilyIPv6Darwin:
			return etherTypeIPv6, d.loop.Payload, true
		}
		p.Skip, p.SkipDetail = SkipNotIP, int(d.loop.Family)
		return 0, nil, false
	case layers.LinkTypeLinuxSLL:
		if err := d.sll.DecodeFromBytes(data, &d.fb); err != nil {
			return d.linkShort(p)
		}
		return uint16(d.sll.EthernetType), d.sll.Payload, true
	case layers.LinkTypeLinuxSLL2:
		if err := d.sll2.DecodeFromBytes(data, &d.fb); err != nil {
			return d.linkShort(p)
		}
		return uint16(d.sll2.ProtocolType), d.sll2.Payload, true
	case layers.LinkTypeRaw, linkTypeRaw12, linkTypeRaw14, layers.LinkTypeIPv4, layers.LinkTypeIPv6:
		if len(data) == 0 {
			return d.linkShort(p)
		}
		v := data[0] >> 4
		switch {
		case v == 4 && lt != layers.LinkTypeIPv6:
			return etherTypeIPv4, data, true
		case v == 6 && lt != layers.LinkTypeIPv4:
			return etherTypeIPv6, data, true
		}
		p.Skip, p.SkipDetail = SkipNotIP, int(data[0]>>4)
		return 0, nil, false
	}
	p.Skip, p.SkipDetail = SkipLinkType, int(lt)
	return 0, nil, false
}

// linkShort marks a frame whose link-layer header is cut short or invalid.
func (d *Decoder) linkShort(p *Packet) (uint16, []byte, bool) {
	p.Skip = SkipMalformed
	p.Malformed = true
	if p.CapLen < p.WireLen {
		p.Truncated = true
	}
	return 0, nil, false
}

// decodeIPv4 decodes an IPv4 header and what it carries.
func (d *Decoder) decodeIPv4(b []byte, p *Packet) {
	if err := d.ip4.DecodeFromBytes(b, &d.fb); err != nil {
		p.Skip, p.Malformed = SkipMalformed, !d.fb.truncated
		return
	}
	ip := &p.IP
	ip.Version = 4
	ip.Src = netip.AddrFrom4([4]byte(d.ip4.SrcIP))
	ip.Dst = netip.AddrFrom4([4]byte(d.ip4.DstIP))
	ip.HdrLen = int(d.ip4.IHL) * 4
	ip.TOS = d.ip4.TOS
	ip.Length = int(d.ip4.Length)
	ip.ID = uint32(d.ip4.Id)
	ip.Flags = uint8(d.ip4.Flags)
	ip.FragOffset = d.ip4.FragOffset
	ip.TTL = d.ip4.TTL
	ip.Protocol = uint8(d.ip4.Protocol)
	ip.NextProto = ip.Protocol
	ip.Checksum = d.ip4.Checksum
	ip.Options = d.ip4.Contents[20:]
	if gopacket.FoldChecksum(gopacket.ComputeChecksum(d.ip4.Contents, 0)) == 0 {
		ip.ChecksumStatus = ChecksumCorrect
	} else {
		ip.ChecksumStatus = ChecksumIncorrect
	}
	if ip.FragOffset != 0 {
		p.Skip, p.SkipDetail = SkipFragment, int(ip.Protocol)
		return
	}
	wire := int(d.ip4.Length) - ip.HdrLen
	if binary.BigEndian.Uint16(b[2:4]) == 0 {
		// A zero total length (segmentation offload, BIG TCP) means the
		// frame's length stands for it, as gopacket and Wireshark assume.
		ip.Length = len(b)
		wire = len(b) - ip.HdrLen
	}
	var sum uint32
	sum += uint32(binary.BigEndian.Uint16(d.ip4.SrcIP[0:2])) + uint32(binary.BigEndian.Uint16(d.ip4.SrcIP[2:4]))
	sum += uint32(binary.BigEndian.Uint16(d.ip4.DstIP[0:2])) + uint32(binary.BigEndian.Uint16(d.ip4.DstIP[2:4]))
	sum += uint32(ip.Protocol)
	d.decodeTransport(d.ip4.Payload, wire, sum, ip.IsFragment(), p)
}

// decodeIPv6 decodes an IPv6 header, walks its extension headers and
// decodes what they carry.
func (d *Decoder) decodeIPv6(b []byte, p *Packet) {
	if len(b) < 40 {
		d.fb.truncated = true
		p.Skip = SkipMalformed
		return
	}
	err := d.ip6.DecodeFromBytes(b, &d.fb)
	ip := &p.IP
	ip.Version = 6
	ip.Src = netip.AddrFrom16([16]byte(d.ip6.SrcIP))
	ip.Dst = netip.AddrFrom16([16]byte(d.ip6.DstIP))
	ip.HdrLen = 40
	ip.TOS = d.ip6.TrafficClass
	ip.FlowLabel = d.ip6.FlowLabel
	ip.Length = int(d.ip6.Length)
	ip.TTL = d.ip6.HopLimit
	ip.Protocol = uint8(d.ip6.NextHeader)
	ip.ChecksumStatus = ChecksumUnverified
	// BIG TCP (Linux 5.19+): a packet over 64 KiB leaves the host's stack
	// with payload length 0 and, since Linux 6.2, without the hop-by-hop
	// Jumbo Payload option RFC 2675 asks for, which the kernel strips
	// before the capture point. Only the frame's length tells the packet's.
	wireLeft := p.WireLen - p.Link.HdrLen - 40
	bigTCP := err != nil && d.ip6.Length == 0 && d.ip6.NextHeader != layers.IPProtocolIPv6HopByHop && wireLeft > 0xffff
	if err != nil && !bigTCP {
		p.Skip, p.Malformed = SkipMalformed, !d.fb.truncated
		return
	}
	next := ip.Protocol
	payload := d.ip6.Payload
	// The checksum's pseudo header names the final destination, which a
	// routing header still on its way holds (RFC 8200 §8.1).
	dst := [16]byte(d.ip6.DstIP)
	wire := int(d.ip6.Length)
	if bigTCP {
		// As for an IPv4 total length of zero, Length is the frame's.
		wire, ip.Length = wireLeft, wireLeft
	}
	if hbh := d.ip6.HopByHop; hbh != nil {
		n := hbh.ActualLength
		ip.Ext[0] = ExtHeader{Proto: protoHopByHop, Len: uint16(n)}
		ip.NExt = 1
		ip.HdrLen += n
		if wire == 0 {
			// A jumbogram (RFC 2675): the length is in the hop-by-hop
			// header's Jumbo Payload option and counts that header.
			for _, o := range hbh.Options {
				if o.OptionType == layers.IPv6HopByHopOptionJumbogram && len(o.OptionData) == 4 {
					wire = int(binary.BigEndian.Uint32(o.OptionData))
				}
			}
		}
		wire -= n
		next = uint8(hbh.NextHeader)
	}
	for ip.NExt < maxExt {
		cur := next
		var n int
		switch cur {
		case protoFragment:
			if err := d.frag.DecodeFromBytes(payload, &d.fb); err != nil {
				p.Skip = SkipMalformed
				return
			}
			n = 8
			ip.ID = d.frag.Identification
			ip.FragOffset = d.frag.FragmentOffset
			if d.frag.MoreFragments {
				ip.Flags |= IPv4MoreFragments
			}
			next, payload = uint8(d.frag.NextHeader), d.frag.Payload
		case protoRouting, protoDestination, protoMobility, protoHIP, protoShim6, protoHopByHop:
			if err := d.ext.DecodeFromBytes(payload, &d.fb); err != nil {
				p.Skip = SkipMalformed
				return
			}
			n = len(d.ext.Contents)
			next, payload = uint8(d.ext.NextHeader), d.ext.Payload
			if cur == protoRouting {
				finalDestination(d.ext.Contents, &dst)
			}
		case protoAH:
			// The AH length counts 32-bit words minus two (RFC 4302).
			if len(payload) < 2 {
				p.Skip = SkipMalformed
				return
			}
			n = (int(payload[1]) + 2) * 4
			if n > len(payload) {
				p.Skip = SkipMalformed
				return
			}
			next, payload = payload[0], payload[n:]
		default:
			n = -1
		}
		if n < 0 {
			break
		}
		ip.Ext[ip.NExt] = ExtHeader{Proto: cur, Len: uint16(n)}
		ip.NExt++
		ip.HdrLen += n
		wire -= n
	}
	ip.NextProto = next
	if ip.FragOffset != 0 {
		p.Skip, p.SkipDetail = SkipFragment, int(next)
		return
	}
	var sum uint32
	for i := 0; i < 16; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(d.ip6.SrcIP[i:])) + uint32(binary.BigEndian.Uint16(dst[i:]))
	}
	sum += uint32(next)
	d.decodeTransport(payload, wire, sum, ip.IsFragment(), p)
}

// finalDestination sets dst to the final destination named by routing
// header h if segments remain: the last address of a type 0 or type 2
// header, or the first entry of a segment routing header (type 4), which
// lists segments in reverse order.
func finalDestination(h []byte, dst *[16]byte) {
	if len(h) < 24 || h[3] == 0 {
		return
	}
	switch h[2] {
	case 0:
		n := (len(h) - 8) / 16
		copy(dst[:], h[8+16*(n-1):])
	case 2, 4:
		copy(dst[:], h[8:24])
	}
}

// decodeTransport decodes the TCP or UDP header in b. wire is the length of
// the transport segment the IP header declares, pseudo the checksum of the
// IP pseudo header's addresses and protocol (verify adds the length), frag
// whether the IP packet is a first fragment.
func (d *Decoder) decodeTransport(b []byte, wire int, pseudo uint32, frag bool, p *Packet) {
	if wire < 0 {
		wire = 0
	}
	if len(b) > wire {
		b = b[:wire]
	}
	if wire > len(b) && p.CapLen >= p.WireLen {
		// The IP header claims more than the whole frame holds: the packet
		// is malformed, and what the frame holds is all there is.
		p.Malformed = true
		wire = len(b)
	}
	switch p.IP.NextProto {
	case protoTCP:
		d.decodeTCP(b, wire, pseudo, frag, p)
	case protoUDP:
		d.decodeUDP(b, wire, pseudo, frag, p)
	default:
		p.Skip, p.SkipDetail = SkipProtocol, int(p.IP.NextProto)
	}
}

// decodeTCP decodes a TCP header and its options.
func (d *Decoder) decodeTCP(b []byte, wire int, pseudo uint32, frag bool, p *Packet) {
	t := &p.TCP
	hdr := b
	if len(b) < 20 {
		if wire >= 20 && len(b) >= 4 {
			// Cut short by the capture: decode the fields that are there.
			clear(d.scratch[:20])
			copy(d.scratch[:], b)
			hdr = d.scratch[:20]
			p.Truncated = true
		} else {
			p.Skip, p.Malformed = SkipMalformed, wire < 20
			p.Truncated = p.Truncated || wire > len(b)
			return
		}
	}
	// The fixed header is read here rather than by gopacket's TCP layer:
	// that layer also walks the options into a slice of its own, a second
	// walk beside parseOptions that cost a tenth of a whole replay.
	be := binary.BigEndian
	p.Proto = ProtoTCP
	t.HdrCaptured = min(len(b), 60)
	t.SrcPort, t.DstPort = be.Uint16(hdr[0:]), be.Uint16(hdr[2:])
	t.Seq, t.Ack = be.Uint32(hdr[4:]), be.Uint32(hdr[8:])
	t.DataOffset = hdr[12] >> 4
	t.Reserved = (hdr[12] >> 1) & 0x7
	t.Flags = Flags(hdr[13]) | Flags(hdr[12]&1)<<8
	t.Window = be.Uint16(hdr[14:])
	t.Checksum = be.Uint16(hdr[16:])
	t.Urgent = be.Uint16(hdr[18:])
	if t.DataOffset >= 5 && t.HdrLen() > len(hdr) {
		d.fb.truncated = true // as gopacket reports a header cut short
	}
	p.Src = netip.AddrPortFrom(p.IP.Src, t.SrcPort)
	p.Dst = netip.AddrPortFrom(p.IP.Dst, t.DstPort)
	hlen := t.HdrLen()
	if t.DataOffset < 5 || hlen > wire {
		// The header claims less than its fixed part, or more than the IP
		// packet holds: nothing after the fixed fields can be trusted.
		p.Malformed = true
		p.Len = max(wire-20, 0)
		return
	}
	p.Len = wire - hlen
	end := min(len(b), hlen)
	if end > 20 {
		parseOptions(&t.Options, b[20:end], hlen-20)
	} else {
		parseOptions(&t.Options, nil, hlen-20)
	}
	if t.Options.Malformed {
		p.Malformed = true
	}
	if len(b) > hlen {
		p.Payload = b[hlen:]
	}
	if len(b) < wire {
		p.Truncated = true
		t.ChecksumStatus = ChecksumUnverified
		return
	}
	if frag {
		t.ChecksumStatus = ChecksumUnverified
		return
	}
	t.ChecksumStatus = verify(b, pseudo)
}

// decodeUDP decodes a UDP header.
func (d *Decoder) decodeUDP(b []byte, wire int, pseudo uint32, frag bool, p *Packet) {
	hdr := b
	if len(b) < 8 {
		if wire >= 8 && len(b) >= 4 {
			clear(d.scratch[:8])
			copy(d.scratch[:], b)
			hdr = d.scratch[:8]
			p.Truncated = true
		} else {
			p.Skip, p.Malformed = SkipMalformed, wire < 8
			p.Truncated = p.Truncated || wire > len(b)
			return
		}
	}
	// gopacket rejects a UDP length below 8 after reading every field; the
	// fields are still the header's.
	_ = d.udp.DecodeFromBytes(hdr, &d.fb)
	u := &p.UDP
	p.Proto = ProtoUDP
	u.SrcPort, u.DstPort = uint16(d.udp.SrcPort), uint16(d.udp.DstPort)
	u.Length = d.udp.Length
	u.Checksum = d.udp.Checksum
	p.Src = netip.AddrPortFrom(p.IP.Src, u.SrcPort)
	p.Dst = netip.AddrPortFrom(p.IP.Dst, u.DstPort)
	// The payload length is what the UDP header declares, as tcpdump and
	// Wireshark report it, within what the IP packet holds; a zero length
	// (an IPv6 jumbogram) defers to IP.
	p.Len = max(wire-8, 0)
	if u.Length >= 8 {
		p.Len = min(int(u.Length), wire) - 8
	}
	if int(u.Length) != wire && !(u.Length == 0 && p.IP.Version == 6) {
		p.Malformed = true
	}
	if len(b) > 8 {
		p.Payload = b[8:]
	}
	// The checksum covers the datagram as its own length field declares it
	// (RFC 768), the pseudo header included.
	covered := wire
	if u.Length >= 8 {
		covered = int(u.Length)
	}
	switch {
	case u.Checksum == 0 && p.IP.Version == 4:
		u.ChecksumStatus = ChecksumAbsent
	case covered > wire || covered > len(b) || frag:
		u.ChecksumStatus = ChecksumUnverified
	default:
		u.ChecksumStatus = verify(b[:covered], pseudo)
	}
}

// verify checks the Internet checksum of a transport segment b, with pseudo
// the sum of the pseudo header's addresses and protocol; the segment length
// it adds is len(b).
func verify(b []byte, pseudo uint32) ChecksumStatus {
	pseudo += uint32(len(b)&0xffff) + uint32(len(b)>>16)
	if gopacket.FoldChecksum(gopacket.ComputeChecksum(b, pseudo)) == 0 {
		return ChecksumCorrect
	}
	return ChecksumIncorrect
}
