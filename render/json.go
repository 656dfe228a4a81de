package render

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// JSONPacket is the public JSON contract: one object per line for each TCP
// or UDP packet. Field names never change within a major version; new
// fields may be added. Programs can decode lines into this type.
type JSONPacket struct {
	N         int        `json:"n"`
	Time      string     `json:"time"`
	Proto     string     `json:"proto"`
	Src       string     `json:"src"`
	SPort     uint16     `json:"sport"`
	Dst       string     `json:"dst"`
	DPort     uint16     `json:"dport"`
	Len       int        `json:"len"`
	Truncated bool       `json:"truncated"`
	Malformed bool       `json:"malformed,omitempty"`
	Conv      int        `json:"conv,omitempty"`
	IP        JSONIP     `json:"ip"`
	TCP       *JSONTCP   `json:"tcp,omitempty"`
	UDP       *JSONUDP   `json:"udp,omitempty"`
	Calls     []JSONCall `json:"calls,omitempty"`
}

// JSONIP is the network layer of a JSONPacket.
type JSONIP struct {
	Version int `json:"version"`
	// HdrLen is the header length in bytes (IPv6: 40 plus extension headers).
	HdrLen int `json:"hdr_len"`
	// TOS is the IPv4 TOS byte or IPv6 traffic class.
	TOS int `json:"tos"`
	// Length is the IPv4 total length or the IPv6 payload length field.
	Length     int      `json:"length"`
	ID         uint32   `json:"id"`
	Flags      []string `json:"flags"`
	FragOffset int      `json:"frag_offset"`
	// TTL is the IPv4 TTL or the IPv6 hop limit.
	TTL   int `json:"ttl"`
	Proto int `json:"proto"`
	// Checksum and ChecksumStatus are IPv4 only.
	Checksum       *uint16 `json:"checksum,omitempty"`
	ChecksumStatus string  `json:"checksum_status,omitempty"`
	// FlowLabel and Ext (extension header protocol numbers) are IPv6 only.
	FlowLabel *uint32 `json:"flow_label,omitempty"`
	Ext       []int   `json:"ext,omitempty"`
}

// JSONTCP is the TCP header of a JSONPacket.
type JSONTCP struct {
	Seq            uint32      `json:"seq"`
	Ack            uint32      `json:"ack"`
	RelSeq         uint32      `json:"rel_seq"`
	RelAck         uint32      `json:"rel_ack"`
	Flags          []string    `json:"flags"`
	Window         uint16      `json:"window"`
	WindowScaled   *int        `json:"window_scaled,omitempty"`
	HdrLen         int         `json:"hdr_len"`
	Reserved       int         `json:"reserved"`
	Checksum       uint16      `json:"checksum"`
	ChecksumStatus string      `json:"checksum_status"`
	Urgent         uint16      `json:"urgent"`
	Options        JSONOptions `json:"options"`
	Analysis       []string    `json:"analysis"`
	DupAck         int         `json:"dup_ack,omitempty"`
	States         *JSONStates `json:"states,omitempty"`
	// AcksFrame and AckRTT (seconds): the frame of the segment this ACK
	// acknowledges and the time since it was sent (tshark's
	// tcp.analysis.acks_frame and ack_rtt). Present only on such ACKs.
	AcksFrame int      `json:"acks_frame,omitempty"`
	AckRTT    *float64 `json:"ack_rtt,omitempty"`
	// IRTT is the conversation's handshake round-trip time in seconds
	// (tshark's tcp.analysis.initial_rtt), present once the handshake's
	// final ACK has been seen.
	IRTT *float64 `json:"irtt,omitempty"`
}

// JSONOptions holds the TCP options present; absent options are omitted.
type JSONOptions struct {
	MSS           *uint16     `json:"mss,omitempty"`
	WScale        *uint8      `json:"wscale,omitempty"`
	SACKPermitted bool        `json:"sack_permitted,omitempty"`
	TSVal         *uint32     `json:"tsval,omitempty"`
	TSEcr         *uint32     `json:"tsecr,omitempty"`
	SACK          [][2]uint32 `json:"sack,omitempty"`
	// Kinds lists every option's kind number in header order, NOPs and
	// EOL included.
	Kinds []int `json:"kinds,omitempty"`
	// Padding counts the bytes after an end-of-options-list option.
	Padding int `json:"padding,omitempty"`
}

// JSONStates are the inferred TCP states of the sending endpoint after it
// sent the packet and of the receiving endpoint after it processed it.
type JSONStates struct {
	Src string `json:"src"`
	Dst string `json:"dst"`
}

// JSONUDP is the UDP header of a JSONPacket.
type JSONUDP struct {
	Length         uint16 `json:"length"`
	Checksum       uint16 `json:"checksum"`
	ChecksumStatus string `json:"checksum_status"`
}

// JSONCall is a socket call made by the traffic generator, attached to the
// packet it precedes.
type JSONCall struct {
	// Time is when the call returned, RFC 3339 in UTC with nanoseconds.
	Time string `json:"time"`
	// Side is "client" or "server".
	Side string `json:"side"`
	// Call is the call's name: "connect", "write", …
	Call string `json:"call"`
	// Args are its arguments in C-like text.
	Args string `json:"args,omitempty"`
	// Result is what it returned: "0", "fd 4", "17 bytes", "-1 ECONNREFUSED".
	Result string `json:"result"`
	// Local and Peer are the socket's endpoints ("127.0.0.1:39270"), when
	// known.
	Local string `json:"local,omitempty"`
	Peer  string `json:"peer,omitempty"`
}

// JSONCalls is the last line of JSON output when socket calls returned
// after the last packet: {"calls":[…]}.
type JSONCalls struct {
	Calls []JSONCall `json:"calls"`
}

// NewJSONCall builds the JSONCall for c.
func NewJSONCall(c *Call) JSONCall {
	jc := JSONCall{
		Time:   string(appendRFC3339(nil, c.Time, 9)),
		Side:   c.Side,
		Call:   c.Name,
		Args:   c.Args,
		Result: c.Result,
	}
	if c.Local.IsValid() {
		jc.Local = c.Local.String()
	}
	if c.Peer.IsValid() {
		jc.Peer = c.Peer.String()
	}
	return jc
}

// JSON writes one JSONPacket object per line for each TCP or UDP packet.
// It encodes by hand, without reflection, for speed; its output is the same
// as encoding/json's for the JSONPacket that NewJSONPacket builds.
//
// Socket calls (WriteCall) are attached to the next packet written, in its
// "calls" list; calls left after the last packet are written at Close as
// one JSONCalls line.
type JSON struct {
	w      io.Writer
	o      Options
	buf    []byte
	states bool
	calls  []JSONCall // calls waiting for the next packet
	clock  clockCache
}

// NewJSON returns a JSON renderer writing to w.
func NewJSON(w io.Writer, o Options) *JSON {
	return &JSON{w: w, o: o, buf: make([]byte, 0, 1024)}
}

// WritePacket writes p as one line of JSON. Frames without TCP or UDP are
// not written.
func (j *JSON) WritePacket(p *decode.Packet) error {
	if p.Proto == decode.ProtoNone {
		return nil
	}
	j.buf = appendJSON(j.buf[:0], p, &j.o, &j.clock)
	if len(j.calls) > 0 {
		calls, err := json.Marshal(j.calls)
		if err != nil {
			return fmt.Errorf("json: socket calls: %w", err)
		}
		j.buf = append(j.buf[:len(j.buf)-1], `,"calls":`...)
		j.buf = append(j.buf, calls...)
		j.buf = append(j.buf, '}')
		j.calls = j.calls[:0]
	}
	j.buf = append(j.buf, '\n')
	_, err := j.w.Write(j.buf)
	return err
}

// WriteCall holds c for the next packet written.
func (j *JSON) WriteCall(c Call) error {
	j.calls = append(j.calls, NewJSONCall(&c))
	return nil
}

// Close writes the calls that came after the last packet, if any, as one
// JSONCalls line.
func (j *JSON) Close() error {
	if len(j.calls) == 0 {
		return nil
	}
	b, err := json.Marshal(JSONCalls{Calls: j.calls})
	if err != nil {
		return fmt.Errorf("json: socket calls: %w", err)
	}
	j.calls = nil
	_, err = j.w.Write(append(b, '\n'))
	return err
}

// timeDigits returns the fractional digits of seconds to print for p: 9
// for captures with nanosecond timestamps, else 6.
func timeDigits(p *decode.Packet) int {
	if p.NanoTime {
		return 9
	}
	return 6
}

// appendRFC3339 appends t in UTC as RFC 3339 with exactly digits fractional
// digits.
func appendRFC3339(b []byte, t time.Time, digits int) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendInt(b, int64(y))
	b = append(b, '-')
	b = append2(b, int(mo))
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, s)
	b = append(b, '.')
	b = appendFraction(b, t.Nanosecond(), digits)
	return append(b, 'Z')
}

// AppendJSON appends p as a JSON object (without a newline) to b.
func AppendJSON(b []byte, p *decode.Packet, o *Options) []byte {
	var c clockCache
	return appendJSON(b, p, o, &c)
}

// appendJSON is AppendJSON with the date and time from a cache.
func appendJSON(b []byte, p *decode.Packet, o *Options, c *clockCache) []byte {
	b = append(b, `{"n":`...)
	b = appendInt(b, int64(p.N))
	b = append(b, `,"time":"`...)
	b = c.appendRFC3339(b, p.Time, timeDigits(p))
	b = append(b, `","proto":"`...)
	b = append(b, p.Proto.String()...)
	b = append(b, `","src":"`...)
	b = appendAddr(b, p.Src.Addr())
	b = append(b, `","sport":`...)
	b = appendUint(b, uint64(p.Src.Port()))
	b = append(b, `,"dst":"`...)
	b = appendAddr(b, p.Dst.Addr())
	b = append(b, `","dport":`...)
	b = appendUint(b, uint64(p.Dst.Port()))
	b = append(b, `,"len":`...)
	b = appendInt(b, int64(p.Len))
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, p.Truncated)
	if p.Malformed {
		b = append(b, `,"malformed":true`...)
	}
	if p.Conv != nil {
		b = append(b, `,"conv":`...)
		b = appendInt(b, int64(p.Conv.ID))
	}
	b = appendJSONIP(b, &p.IP)
	switch p.Proto {
	case decode.ProtoTCP:
		b = appendJSONTCP(b, p)
	case decode.ProtoUDP:
		u := &p.UDP
		b = append(b, `,"udp":{"length":`...)
		b = appendUint(b, uint64(u.Length))
		b = append(b, `,"checksum":`...)
		b = appendUint(b, uint64(u.Checksum))
		b = append(b, `,"checksum_status":"`...)
		b = append(b, u.ChecksumStatus.String()...)
		b = append(b, `"}`...)
	}
	return append(b, '}')
}

func appendJSONIP(b []byte, ip *decode.IP) []byte {
	b = append(b, `,"ip":{"version":`...)
	b = appendInt(b, int64(ip.Version))
	b = append(b, `,"hdr_len":`...)
	b = appendInt(b, int64(ip.HdrLen))
	b = append(b, `,"tos":`...)
	b = appendInt(b, int64(ip.TOS))
	b = append(b, `,"length":`...)
	b = appendInt(b, int64(ip.Length))
	b = append(b, `,"id":`...)
	b = appendUint(b, uint64(ip.ID))
	b = append(b, `,"flags":[`...)
	b = appendIPFlags(b, ip, `"`, `","`, `"`)
	b = append(b, `],"frag_offset":`...)
	b = appendInt(b, int64(ip.FragOffset))
	b = append(b, `,"ttl":`...)
	b = appendInt(b, int64(ip.TTL))
	b = append(b, `,"proto":`...)
	b = appendInt(b, int64(ip.NextProto))
	if ip.Version == 4 {
		b = append(b, `,"checksum":`...)
		b = appendUint(b, uint64(ip.Checksum))
		b = append(b, `,"checksum_status":"`...)
		b = append(b, ip.ChecksumStatus.String()...)
		b = append(b, '"')
	} else {
		b = append(b, `,"flow_label":`...)
		b = appendUint(b, uint64(ip.FlowLabel))
		if ip.NExt > 0 {
			b = append(b, `,"ext":[`...)
			for i := 0; i < ip.NExt; i++ {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendInt(b, int64(ip.Ext[i].Proto))
			}
			b = append(b, ']')
		}
	}
	return append(b, '}')
}

// ipFlagNames returns the names of the IP flags set, in order RF, DF, MF.
func appendIPFlags(b []byte, ip *decode.IP, open, sep, close string) []byte {
	first := true
	for _, f := range [...]struct {
		bit  uint8
		name string
	}{{decode.IPv4Reserved, "RF"}, {decode.IPv4DontFragment, "DF"}, {decode.IPv4MoreFragments, "MF"}} {
		if ip.Flags&f.bit == 0 {
			continue
		}
		if first {
			b = append(b, open...)
		} else {
			b = append(b, sep...)
		}
		first = false
		b = append(b, f.name...)
	}
	if !first {
		b = append(b, close...)
	}
	return b
}

func appendJSONTCP(b []byte, p *decode.Packet) []byte {
	t := &p.TCP
	b = append(b, `,"tcp":{"seq":`...)
	b = appendUint(b, uint64(t.Seq))
	b = append(b, `,"ack":`...)
	b = appendUint(b, uint64(t.Ack))
	b = append(b, `,"rel_seq":`...)
	b = appendUint(b, uint64(t.RelSeq))
	b = append(b, `,"rel_ack":`...)
	b = appendUint(b, uint64(t.RelAck))
	b = append(b, `,"flags":[`...)
	if t.Flags != 0 {
		b = append(b, '"')
		b = t.Flags.AppendNames(b, `","`)
		b = append(b, '"')
	}
	b = append(b, `],"window":`...)
	b = appendUint(b, uint64(t.Window))
	if t.WindowScaled >= 0 {
		b = append(b, `,"window_scaled":`...)
		b = appendInt(b, int64(t.WindowScaled))
	}
	b = append(b, `,"hdr_len":`...)
	b = appendInt(b, int64(t.HdrLen()))
	b = append(b, `,"reserved":`...)
	b = appendInt(b, int64(t.Reserved))
	b = append(b, `,"checksum":`...)
	b = appendUint(b, uint64(t.Checksum))
	b = append(b, `,"checksum_status":"`...)
	b = append(b, t.ChecksumStatus.String()...)
	b = append(b, `","urgent":`...)
	b = appendUint(b, uint64(t.Urgent))
	b = append(b, `,"options":{`...)
	b = appendJSONOptions(b, &t.Options)
	b = append(b, `},"analysis":[`...)
	if t.Analysis != 0 {
		b = append(b, '"')
		b = t.Analysis.AppendNames(b, `","`)
		b = append(b, '"')
	}
	b = append(b, ']')
	if t.Analysis.Has(decode.DupAck) && t.DupAckCount > 0 {
		b = append(b, `,"dup_ack":`...)
		b = appendInt(b, int64(t.DupAckCount))
	}
	if p.Conv != nil {
		b = append(b, `,"states":{"src":"`...)
		b = append(b, t.SrcState.String()...)
		b = append(b, `","dst":"`...)
		b = append(b, t.DstState.String()...)
		b = append(b, `"}`...)
	}
	if t.AckedFrame > 0 {
		b = append(b, `,"acks_frame":`...)
		b = strconv.AppendInt(b, int64(t.AckedFrame), 10)
		b = append(b, `,"ack_rtt":`...)
		b = appendJSONFloat(b, t.AckRTT.Seconds())
	}
	if p.Conv != nil && p.Conv.IRTT > 0 {
		b = append(b, `,"irtt":`...)
		b = appendJSONFloat(b, p.Conv.IRTT.Seconds())
	}
	return append(b, '}')
}

func appendJSONOptions(b []byte, o *decode.Options) []byte {
	sep := ""
	field := func(name string) {
		b = append(b, sep...)
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		sep = ","
	}
	if o.Set&decode.HasMSS != 0 {
		field("mss")
		b = appendUint(b, uint64(o.MSS))
	}
	if o.Set&decode.HasWScale != 0 {
		field("wscale")
		b = appendUint(b, uint64(o.WScale))
	}
	if o.Set&decode.HasSACKPerm != 0 {
		field("sack_permitted")
		b = append(b, "true"...)
	}
	if o.Set&decode.HasTimestamps != 0 {
		field("tsval")
		b = appendUint(b, uint64(o.TSVal))
		field("tsecr")
		b = appendUint(b, uint64(o.TSEcr))
	}
	if o.Set&decode.HasSACK != 0 {
		field("sack")
		b = append(b, '[')
		for i := 0; i < o.NSACK; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendUint(b, uint64(o.SACK[i].Left))
			b = append(b, ',')
			b = appendUint(b, uint64(o.SACK[i].Right))
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	if o.N > 0 {
		field("kinds")
		b = append(b, '[')
		for i := 0; i < o.N; i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendUint(b, uint64(o.List[i].Kind))
		}
		b = append(b, ']')
	}
	if o.Padding > 0 {
		field("padding")
		b = appendInt(b, int64(o.Padding))
	}
	return b
}

// NewJSONPacket builds the JSONPacket for p: the same object AppendJSON
// writes, as a value for programs that want the structure rather than text.
func NewJSONPacket(p *decode.Packet, o *Options) JSONPacket {
	jp := JSONPacket{
		N:         p.N,
		Time:      string(appendRFC3339(nil, p.Time, timeDigits(p))),
		Proto:     p.Proto.String(),
		Src:       p.Src.Addr().String(),
		SPort:     p.Src.Port(),
		Dst:       p.Dst.Addr().String(),
		DPort:     p.Dst.Port(),
		Len:       p.Len,
		Truncated: p.Truncated,
		Malformed: p.Malformed,
	}
	if p.Conv != nil {
		jp.Conv = p.Conv.ID
	}
	ip := &p.IP
	jp.IP = JSONIP{
		Version:    int(ip.Version),
		HdrLen:     ip.HdrLen,
		TOS:        int(ip.TOS),
		Length:     int(ip.Length),
		ID:         ip.ID,
		Flags:      []string{},
		FragOffset: int(ip.FragOffset),
		TTL:        int(ip.TTL),
		Proto:      int(ip.NextProto),
	}
	if fl := appendIPFlags(nil, ip, "", ",", ""); len(fl) > 0 {
		jp.IP.Flags = splitComma(string(fl))
	}
	if ip.Version == 4 {
		sum := ip.Checksum
		jp.IP.Checksum = &sum
		jp.IP.ChecksumStatus = ip.ChecksumStatus.String()
	} else {
		fl := ip.FlowLabel
		jp.IP.FlowLabel = &fl
		for i := 0; i < ip.NExt; i++ {
			jp.IP.Ext = append(jp.IP.Ext, int(ip.Ext[i].Proto))
		}
	}
	switch p.Proto {
	case decode.ProtoTCP:
		t := &p.TCP
		jt := &JSONTCP{
			Seq:            t.Seq,
			Ack:            t.Ack,
			RelSeq:         t.RelSeq,
			RelAck:         t.RelAck,
			Flags:          []string{},
			Window:         t.Window,
			HdrLen:         t.HdrLen(),
			Reserved:       int(t.Reserved),
			Checksum:       t.Checksum,
			ChecksumStatus: t.ChecksumStatus.String(),
			Urgent:         t.Urgent,
			Analysis:       []string{},
		}
		if t.Flags != 0 {
			jt.Flags = t.Flags.Names()
		}
		if t.WindowScaled >= 0 {
			ws := t.WindowScaled
			jt.WindowScaled = &ws
		}
		o := &t.Options
		if o.Set&decode.HasMSS != 0 {
			v := o.MSS
			jt.Options.MSS = &v
		}
		if o.Set&decode.HasWScale != 0 {
			v := o.WScale
			jt.Options.WScale = &v
		}
		jt.Options.SACKPermitted = o.Set&decode.HasSACKPerm != 0
		if o.Set&decode.HasTimestamps != 0 {
			v, e := o.TSVal, o.TSEcr
			jt.Options.TSVal, jt.Options.TSEcr = &v, &e
		}
		for i := 0; i < o.NSACK; i++ {
			jt.Options.SACK = append(jt.Options.SACK, [2]uint32{o.SACK[i].Left, o.SACK[i].Right})
		}
		for i := 0; i < o.N; i++ {
			jt.Options.Kinds = append(jt.Options.Kinds, int(o.List[i].Kind))
		}
		jt.Options.Padding = o.Padding
		if t.Analysis != 0 {
			jt.Analysis = t.Analysis.Names()
		}
		if t.Analysis.Has(decode.DupAck) {
			jt.DupAck = t.DupAckCount
		}
		if p.Conv != nil {
			jt.States = &JSONStates{Src: t.SrcState.String(), Dst: t.DstState.String()}
		}
		if t.AckedFrame > 0 {
			rtt := t.AckRTT.Seconds()
			jt.AcksFrame, jt.AckRTT = t.AckedFrame, &rtt
		}
		if p.Conv != nil && p.Conv.IRTT > 0 {
			irtt := p.Conv.IRTT.Seconds()
			jt.IRTT = &irtt
		}
		jp.TCP = jt
	case decode.ProtoUDP:
		jp.UDP = &JSONUDP{Length: p.UDP.Length, Checksum: p.UDP.Checksum, ChecksumStatus: p.UDP.ChecksumStatus.String()}
	}
	return jp
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// appendJSONFloat appends f as encoding/json writes a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// encoding/json writes e-07 as e-7.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
