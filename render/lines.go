package render

import (
	"io"
	"net/netip"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// Lines writes one line per TCP or UDP packet in the spirit of tcpdump -nn:
// time, endpoints, flags, relative seq and ack, window, options, length,
// then any analysis marks.
type Lines struct {
	w     io.Writer
	o     Options
	buf   []byte
	clock clockCache
	ends  endpointCache
}

// NewLines returns a Lines renderer writing to w.
func NewLines(w io.Writer, o Options) *Lines {
	return &Lines{w: w, o: o, buf: make([]byte, 0, 512)}
}

// WritePacket writes p's line. Frames without TCP or UDP are not written.
func (l *Lines) WritePacket(p *decode.Packet) error {
	if p.Proto == decode.ProtoNone {
		return nil
	}
	l.buf = appendLine(l.buf[:0], p, &l.o, &l.clock, &l.ends)
	l.buf = append(l.buf, '\n')
	_, err := l.w.Write(l.buf)
	return err
}

// Close does nothing: every line is written as it comes.
func (l *Lines) Close() error { return nil }

// ANSI colour sequences.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiGreen  = "\x1b[32m"
	ansiDim    = "\x1b[2m"
	ansiBold   = "\x1b[1m"
)

// AppendLine appends p's line (without a newline) to b.
func AppendLine(b []byte, p *decode.Packet, o *Options) []byte {
	var c clockCache
	return appendLine(b, p, o, &c, nil)
}

// appendLine is AppendLine with the time of day from a cache, which saves
// a writer the time zone lookup for every packet within the same second,
// and the endpoints from another if e is not nil.
func appendLine(b []byte, p *decode.Packet, o *Options, c *clockCache, e *endpointCache) []byte {
	b = c.appendClock(b, p.Time, o.loc())
	if p.IP.Version == 6 {
		b = append(b, " IP6 "...)
	} else {
		b = append(b, " IP "...)
	}
	b = e.appendEndpoint(b, p.Src)
	b = append(b, " > "...)
	b = e.appendEndpoint(b, p.Dst)
	b = append(b, ": "...)
	switch p.Proto {
	case decode.ProtoTCP:
		b = appendTCPLine(b, p, o)
	case decode.ProtoUDP:
		b = append(b, "UDP, length "...)
		b = appendInt(b, int64(p.Len))
	}
	if p.Truncated {
		b = appendMark(b, o, ansiYellow, " [truncated]")
	}
	if p.Malformed {
		b = appendMark(b, o, ansiRed, " [malformed]")
	}
	return b
}

// appendMark appends s, in colour c if colour is on.
func appendMark(b []byte, o *Options, c, s string) []byte {
	if o.Color {
		b = append(b, c...)
		b = append(b, s...)
		return append(b, ansiReset...)
	}
	return append(b, s...)
}

func appendTCPLine(b []byte, p *decode.Packet, o *Options) []byte {
	t := &p.TCP
	b = append(b, '[')
	if t.Flags == 0 {
		b = append(b, "none"...)
	} else if o.Color && t.Flags.Has(decode.RST) {
		b = append(b, ansiRed...)
		b = t.Flags.AppendNames(b, ", ")
		b = append(b, ansiReset...)
	} else {
		b = appendFlags(b, t.Flags)
	}
	b = append(b, ']')
	seq, ack := t.Seq, t.Ack
	if t.Rel {
		seq, ack = t.RelSeq, t.RelAck
	}
	sep := " "
	if p.Len > 0 || t.Flags&(decode.SYN|decode.FIN|decode.RST) != 0 {
		b = append(b, " seq "...)
		b = appendUint(b, uint64(seq))
		if p.Len > 0 {
			b = append(b, ':')
			b = appendUint(b, uint64(seq+uint32(p.Len)))
		}
		sep = ", "
	}
	if t.Flags.Has(decode.ACK) {
		b = append(b, sep...)
		b = append(b, "ack "...)
		b = appendUint(b, uint64(ack))
		sep = ", "
	}
	b = append(b, sep...)
	b = append(b, "win "...)
	if t.WindowScaled >= 0 {
		b = appendInt(b, int64(t.WindowScaled))
	} else {
		b = appendUint(b, uint64(t.Window))
	}
	if t.Flags.Has(decode.URG) {
		b = append(b, ", urg "...)
		b = appendUint(b, uint64(t.Urgent))
	}
	if t.Options.N > 0 {
		b = append(b, ", options ["...)
		b = appendOptions(b, &t.Options)
		b = append(b, ']')
	}
	b = append(b, ", length "...)
	b = appendInt(b, int64(p.Len))
	if t.Analysis != 0 {
		if o.Color {
			b = append(b, ansiYellow...)
		}
		b = append(b, " ["...)
		b = appendAnalysis(b, t)
		b = append(b, ']')
		if o.Color {
			b = append(b, ansiReset...)
		}
	}
	return b
}

// appendFlags appends the flag names separated by ", ", the usual sets
// without walking every flag.
func appendFlags(b []byte, f decode.Flags) []byte {
	switch f {
	case decode.ACK:
		return append(b, "ACK"...)
	case decode.PSH | decode.ACK:
		return append(b, "PSH, ACK"...)
	case decode.SYN:
		return append(b, "SYN"...)
	case decode.SYN | decode.ACK:
		return append(b, "SYN, ACK"...)
	case decode.FIN | decode.ACK:
		return append(b, "FIN, ACK"...)
	}
	return f.AppendNames(b, ", ")
}

// appendAnalysis appends the analysis names of t, with the duplicate ACK's
// number after dup_ack.
func appendAnalysis(b []byte, t *decode.TCP) []byte {
	b = t.Analysis.AppendNames(b, ", ")
	if t.Analysis.Has(decode.DupAck) && t.DupAckCount > 0 {
		b = append(b, " #"...)
		b = appendInt(b, int64(t.DupAckCount))
	}
	return b
}

// appendOptions appends the options tcpdump-style:
// "mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 10".
func appendOptions(b []byte, o *decode.Options) []byte {
	for i := 0; i < o.N; i++ {
		if i > 0 {
			b = append(b, ',')
		}
		opt := o.List[i]
		d := o.Data(opt)
		full := int(opt.Len) >= 2 && len(d) == int(opt.Len)-2
		switch {
		case opt.Kind == decode.OptMSS && full && len(d) == 2:
			b = append(b, "mss "...)
			b = appendUint(b, uint64(o.MSS))
		case opt.Kind == decode.OptWScale && full && len(d) == 1:
			b = append(b, "wscale "...)
			b = appendUint(b, uint64(o.WScale))
		case opt.Kind == decode.OptSACKPerm && opt.Len == 2:
			b = append(b, "sackOK"...)
		case opt.Kind == decode.OptTimestamp && full && len(d) == 8:
			b = append(b, "TS val "...)
			b = appendUint(b, uint64(o.TSVal))
			b = append(b, " ecr "...)
			b = appendUint(b, uint64(o.TSEcr))
		case opt.Kind == decode.OptSACK && full && len(d)%8 == 0:
			b = append(b, "sack "...)
			b = appendInt(b, int64(len(d)/8))
			for j := 0; j+8 <= len(d); j += 8 {
				b = append(b, " {"...)
				b = appendUint(b, uint64(be32(d[j:])))
				b = append(b, ':')
				b = appendUint(b, uint64(be32(d[j+4:])))
				b = append(b, '}')
			}
		case opt.Kind == decode.OptNOP:
			b = append(b, "nop"...)
		case opt.Kind == decode.OptEOL:
			b = append(b, "eol"...)
		default:
			if name := decode.OptionName(opt.Kind); name != "" && name != "exp" {
				b = append(b, name...)
			} else {
				b = append(b, "kind "...)
				b = appendUint(b, uint64(opt.Kind))
			}
			b = append(b, " len "...)
			b = appendUint(b, uint64(opt.Len))
		}
	}
	if o.Malformed {
		b = append(b, ",malformed"...)
	} else if o.Truncated {
		b = append(b, ",…"...)
	}
	return b
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// appendClock appends HH:MM:SS.ffffff.
func appendClock(b []byte, t time.Time) []byte {
	h, m, s := t.Clock()
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, m)
	b = append(b, ':')
	b = append2(b, s)
	b = append(b, '.')
	return appendFraction(b, t.Nanosecond(), 6)
}

// clockCache remembers the text of the last whole second a writer printed,
// so that the packets within one second cost one time zone lookup.
type clockCache struct {
	sec  int64 // Unix seconds of text, valid iff loc != nil
	loc  *time.Location
	utc  bool   // text is the RFC 3339 date and time in UTC
	text []byte // "HH:MM:SS" in loc, or "YYYY-MM-DDTHH:MM:SS"
}

// appendClock appends t as HH:MM:SS.ffffff in loc, like the function
// appendClock.
func (c *clockCache) appendClock(b []byte, t time.Time, loc *time.Location) []byte {
	if sec := t.Unix(); c.loc != loc || c.utc || c.sec != sec {
		h, m, s := t.In(loc).Clock()
		c.text = append2(c.text[:0], h)
		c.text = append2(append(c.text, ':'), m)
		c.text = append2(append(c.text, ':'), s)
		c.sec, c.loc, c.utc = sec, loc, false
	}
	b = append(b, c.text...)
	b = append(b, '.')
	return appendFraction(b, t.Nanosecond(), 6)
}

// appendRFC3339 appends t in UTC like the function appendRFC3339.
func (c *clockCache) appendRFC3339(b []byte, t time.Time, digits int) []byte {
	if sec := t.Unix(); c.loc != time.UTC || !c.utc || c.sec != sec {
		c.text = appendRFC3339(c.text[:0], t.Truncate(time.Second), 0)
		c.text = c.text[:len(c.text)-2] // without ".Z"
		c.sec, c.loc, c.utc = sec, time.UTC, true
	}
	b = append(b, c.text...)
	b = append(b, '.')
	b = appendFraction(b, t.Nanosecond(), digits)
	return append(b, 'Z')
}

// appendFraction appends the first digits (0 to 9) of the nanoseconds ns.
// It writes two digits at a time with constant divisors: a loop dividing
// by a variable cost more than the rest of a line.
func appendFraction(b []byte, ns, digits int) []byte {
	v := uint32(ns) % 1000000000
	hi, lo := v/100000000, v%100000000
	b = append(b, byte('0'+hi),
		digitPairs[lo/1000000*2], digitPairs[lo/1000000*2+1],
		digitPairs[lo/10000%100*2], digitPairs[lo/10000%100*2+1],
		digitPairs[lo/100%100*2], digitPairs[lo/100%100*2+1],
		digitPairs[lo%100*2], digitPairs[lo%100*2+1])
	return b[:len(b)-(9-min(max(digits, 0), 9))]
}

func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

// appendEndpoint appends addr.port the way tcpdump -nn writes it.
func appendEndpoint(b []byte, ap netip.AddrPort) []byte {
	b = appendAddr(b, ap.Addr())
	b = append(b, '.')
	return appendUint(b, uint64(ap.Port()))
}

// endpointCache remembers the text of endpoints a writer printed lately,
// in slots chosen by port: a conversation's packets print the same two
// endpoints over and over, and copying their text is cheaper than
// formatting five numbers again.
type endpointCache struct {
	slots [256]endpointText
}

// endpointText is one slot of an endpointCache: the text of ap, valid iff
// n > 0.
type endpointText struct {
	ap   netip.AddrPort
	n    uint8
	text [47]byte
}

// appendEndpoint appends ap like the function appendEndpoint, from the
// cache when it holds ap. A nil cache formats every time.
func (e *endpointCache) appendEndpoint(b []byte, ap netip.AddrPort) []byte {
	if e == nil {
		return appendEndpoint(b, ap)
	}
	s := &e.slots[byte(ap.Port())^byte(ap.Port()>>8)]
	if s.n > 0 && s.ap == ap {
		return append(b, s.text[:s.n]...)
	}
	start := len(b)
	b = appendEndpoint(b, ap)
	if n := len(b) - start; n <= len(s.text) {
		s.ap, s.n = ap, uint8(n)
		copy(s.text[:], b[start:])
	}
	return b
}
