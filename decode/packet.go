package decode

import (
	"net/netip"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Proto is the transport protocol of a Packet.
type Proto uint8

// Transport protocols. Frames with neither TCP nor UDP have ProtoNone.
const (
	ProtoNone Proto = iota
	ProtoTCP
	ProtoUDP
)

// String returns "tcp", "udp" or "none".
func (p Proto) String() string {
	switch p {
	case ProtoTCP:
		return "tcp"
	case ProtoUDP:
		return "udp"
	}
	return "none"
}

// Skip says why a frame carries no TCP or UDP header that could be decoded.
type Skip uint8

// Reasons for skipping a frame. SkipDetail on the Packet carries the number
// that goes with the reason (link type, EtherType or IP protocol).
const (
	SkipNone      Skip = iota
	SkipLinkType       // the link type is not one tcpshow decodes
	SkipNotIP          // the link layer carries something other than IP (ARP, LLC, …)
	SkipProtocol       // IP carries something other than TCP or UDP (ICMP, …)
	SkipFragment       // a non-first IP fragment: no transport header in it
	SkipMalformed      // a header is cut short or inconsistent before the transport layer
)

// String describes the reason in a few words.
func (s Skip) String() string {
	switch s {
	case SkipNone:
		return "none"
	case SkipLinkType:
		return "link type not supported"
	case SkipNotIP:
		return "not IP"
	case SkipProtocol:
		return "not TCP or UDP"
	case SkipFragment:
		return "IP fragment"
	case SkipMalformed:
		return "malformed"
	}
	return "unknown"
}

// ChecksumStatus is the outcome of verifying a checksum.
type ChecksumStatus uint8

// Checksum verification outcomes.
const (
	// ChecksumUnverified: the checksum could not be verified, because the
	// capture holds only part of the data it covers or the packet is a
	// fragment.
	ChecksumUnverified ChecksumStatus = iota
	// ChecksumCorrect: the checksum matches the data.
	ChecksumCorrect
	// ChecksumIncorrect: the checksum does not match. On loopback this is
	// normal: the kernel leaves the checksum to hardware that is not there.
	ChecksumIncorrect
	// ChecksumAbsent: a UDP checksum of zero over IPv4, which means the
	// sender did not compute one.
	ChecksumAbsent
)

// String returns the name used in JSON output: "correct", "incorrect",
// "not_verifiable" or "absent".
func (s ChecksumStatus) String() string {
	switch s {
	case ChecksumCorrect:
		return "correct"
	case ChecksumIncorrect:
		return "incorrect"
	case ChecksumAbsent:
		return "absent"
	}
	return "not_verifiable"
}

// Packet is one decoded frame. Decoder.Decode fills it in place; fields that
// a frame does not have are zero.
type Packet struct {
	// N is the frame's number in its source, 1-based, counting every frame.
	N int
	// Time is when the frame was captured; NanoTime reports that it has
	// nanosecond rather than microsecond precision.
	Time     time.Time
	NanoTime bool
	// LinkType is the frame's link type.
	LinkType layers.LinkType
	// CapLen is the number of bytes captured, WireLen the frame's length on
	// the wire.
	CapLen, WireLen int
	// Link holds what the link layer says. Valid iff Skip != SkipLinkType.
	Link Link
	// IP is the network layer. Valid iff IP.Version != 0.
	IP IP
	// Proto is the transport protocol, ProtoNone when Skip says why not.
	Proto Proto
	// Src and Dst are the transport endpoints. Valid iff Proto != ProtoNone.
	Src, Dst netip.AddrPort
	// TCP is the TCP header. Valid iff Proto == ProtoTCP.
	TCP TCP
	// UDP is the UDP header. Valid iff Proto == ProtoUDP.
	UDP UDP
	// Len is the transport payload's length on the wire, from the IP
	// header's length, not from what was captured.
	Len int
	// Payload is the captured part of the transport payload (len(Payload)
	// <= Len): a read-only view into the frame, valid only as long as the
	// frame's data is.
	Payload []byte
	// Truncated reports that the capture holds fewer bytes than the headers
	// claim (usually a small snap length). Every field that was captured is
	// still decoded.
	Truncated bool
	// Malformed reports a header that contradicts itself or the frame (a
	// length too small, an option running past the header, …).
	Malformed bool
	// Skip says why the frame has no decodable TCP or UDP header, and
	// SkipDetail gives the number that goes with it.
	Skip       Skip
	SkipDetail int
	// Conv is the conversation the packet belongs to, set by a Tracker;
	// nil for packets no Tracker has seen and for frames without TCP or UDP.
	Conv *Conversation
}

// Link is what a Packet's link layer says.
type Link struct {
	// EtherType is the protocol the link layer carries (0x0800 IPv4,
	// 0x86dd IPv6), or for loopback links the address family.
	EtherType uint16
	// VLAN holds the IDs of 802.1Q tags, outermost first; NVLAN counts them.
	VLAN  [maxVLAN]uint16
	NVLAN int
	// HdrLen is the length of the link-layer header including any tags.
	HdrLen int
}

// maxVLAN bounds the 802.1Q tags walked in one frame.
const maxVLAN = 4

// IP is the network layer of a Packet, IPv4 or IPv6.
type IP struct {
	// Version is 4 or 6, or 0 if the frame has no IP header.
	Version uint8
	// Src and Dst are the addresses.
	Src, Dst netip.Addr
	// HdrLen is the header's length in bytes: IHL×4 for IPv4, 40 plus the
	// extension headers walked for IPv6.
	HdrLen int
	// TOS is the IPv4 type-of-service byte or the IPv6 traffic class: DSCP
	// in the upper six bits, ECN in the lower two.
	TOS uint8
	// Length is the IPv4 Total Length field, or the IPv6 Payload Length.
	// For an IPv4 total length of zero (segmentation offload), or an IPv6
	// payload length of zero on a packet over 64 KiB without a Jumbo
	// Payload option (BIG TCP), it is the length the frame gives, which
	// may exceed 65535.
	Length int
	// ID is the IPv4 Identification field, or the IPv6 fragment header's.
	ID uint32
	// Flags holds the IPv4 flags (bit 2 reserved, bit 1 DF, bit 0 MF); for
	// IPv6 only MF, from a fragment header.
	Flags uint8
	// FragOffset is the fragment offset in 8-byte units.
	FragOffset uint16
	// TTL is the IPv4 time to live or IPv6 hop limit.
	TTL uint8
	// Protocol is the IPv4 Protocol or the IPv6 Next Header of the fixed
	// header; NextProto is the transport protocol after any extension
	// headers.
	Protocol, NextProto uint8
	// Checksum is the IPv4 header checksum and ChecksumStatus its
	// verification. IPv6 has no header checksum.
	Checksum       uint16
	ChecksumStatus ChecksumStatus
	// FlowLabel is the IPv6 flow label.
	FlowLabel uint32
	// Options is a view of the IPv4 option bytes, valid as long as the frame.
	Options []byte
	// Ext lists the IPv6 extension headers walked, in order; NExt counts them.
	Ext  [maxExt]ExtHeader
	NExt int
}

// IPv4 flag bits in IP.Flags.
const (
	IPv4MoreFragments uint8 = 1 << 0
	IPv4DontFragment  uint8 = 1 << 1
	IPv4Reserved      uint8 = 1 << 2
)

// maxExt bounds the IPv6 extension headers walked in one packet.
const maxExt = 8

// ExtHeader is one IPv6 extension header.
type ExtHeader struct {
	Proto uint8  // the header's own protocol number (0 hop-by-hop, 43 routing, 44 fragment, 60 destination, 51 AH, …)
	Len   uint16 // its length in bytes
}

// IsFragment reports whether the packet is a piece of a fragmented IP packet.
func (ip *IP) IsFragment() bool {
	return ip.Flags&IPv4MoreFragments != 0 || ip.FragOffset != 0
}

// Flags is the set of TCP flags.
type Flags uint16

// TCP flags, in the bit order of the header (NS is the low bit of byte 12).
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
	NS
)

// flagNames lists the flags in the order tcpshow prints them.
var flagNames = [...]struct {
	f    Flags
	name string
}{
	{SYN, "SYN"}, {FIN, "FIN"}, {RST, "RST"}, {PSH, "PSH"}, {ACK, "ACK"},
	{URG, "URG"}, {ECE, "ECE"}, {CWR, "CWR"}, {NS, "NS"},
}

// Has reports whether every flag in x is set.
func (f Flags) Has(x Flags) bool { return f&x == x }

// AppendNames appends the names of the set flags, upper case, separated by
// sep ("SYN,ACK"), in the order SYN FIN RST PSH ACK URG ECE CWR NS.
func (f Flags) AppendNames(b []byte, sep string) []byte {
	first := true
	for _, fn := range flagNames {
		if f&fn.f == 0 {
			continue
		}
		if !first {
			b = append(b, sep...)
		}
		first = false
		b = append(b, fn.name...)
	}
	return b
}

// Names returns the names of the set flags in print order.
func (f Flags) Names() []string {
	var names []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			names = append(names, fn.name)
		}
	}
	return names
}

// String returns the flag names joined by commas, or "none".
func (f Flags) String() string {
	if f == 0 {
		return "none"
	}
	return string(f.AppendNames(nil, ","))
}

// TCP is a TCP header.
type TCP struct {
	SrcPort, DstPort uint16
	// Seq and Ack are the raw sequence and acknowledgment numbers.
	Seq, Ack uint32
	// RelSeq and RelAck are relative to each direction's initial sequence
	// number as Wireshark computes them (the SYN is 0). Valid iff Rel.
	RelSeq, RelAck uint32
	Rel            bool
	// DataOffset is the header length in 32-bit words.
	DataOffset uint8
	// Reserved holds the three reserved bits between the data offset and NS.
	Reserved uint8
	Flags    Flags
	// Window is the raw window field. WindowScaled is the window in bytes
	// after the shift the handshake announced, or -1 if the shift is not
	// known (the capture missed the handshake).
	Window       uint16
	WindowScaled int
	Checksum     uint16
	// ChecksumStatus is the outcome of verifying Checksum over the pseudo
	// header, the TCP header and the payload.
	ChecksumStatus ChecksumStatus
	Urgent         uint16
	// Options holds every option in the header.
	Options Options
	// HdrCaptured is how many bytes of the header the capture holds; less
	// than HdrLen() when the snap length cut into the header.
	HdrCaptured int
	// Analysis and the fields after it are filled by a Tracker.
	Analysis Analysis
	// DupAckCount is the number of this duplicate ACK (1 for the first
	// duplicate). Valid iff Analysis has DupAck.
	DupAckCount int
	// AckedFrame is the frame number of the segment (data, SYN or FIN)
	// this ACK acknowledges, and AckRTT the time since that segment was
	// sent, as Wireshark's tcp.analysis.acks_frame and ack_rtt; zero when
	// the packet acknowledges no segment the Tracker saw whole.
	AckedFrame int
	AckRTT     time.Duration
	// States are the TCP states of the sending and the receiving endpoint
	// after this packet, as a Tracker infers them.
	SrcState, DstState State
}

// HdrLen returns the header length in bytes that the data offset declares.
func (t *TCP) HdrLen() int { return int(t.DataOffset) * 4 }

// UDP is a UDP header.
type UDP struct {
	SrcPort, DstPort uint16
	// Length is the UDP length field: header plus payload.
	Length uint16
	// Checksum and its verification over the pseudo header and datagram.
	Checksum       uint16
	ChecksumStatus ChecksumStatus
}
