package decode

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpshow/tcpshow/capture"
)

// Stream decodes and tracks the frames of a capture.Source one at a time:
// the loop every tcpshow command and most lab programs run.
//
//	s := decode.NewStream(src, decode.NewTracker())
//	for {
//		p, err := s.Next()
//		if err == io.EOF { break }
//		if err != nil { return err }
//		fmt.Println(p.Src, "→", p.Dst, p.TCP.Flags)
//	}
type Stream struct {
	src   capture.Source
	dec   *Decoder
	trk   *Tracker
	n     int
	pkt   Packet
	skips map[skipKey]int
}

type skipKey struct {
	reason Skip
	detail int
}

// NewStream returns a Stream reading src. trk may be nil, in which case
// packets carry no conversation, relative numbers or analysis.
func NewStream(src capture.Source, trk *Tracker) *Stream {
	return &Stream{src: src, dec: NewDecoder(), trk: trk, skips: make(map[skipKey]int)}
}

// Next reads, decodes and tracks the next frame. The Packet it returns is
// reused by the following call, as are the frame bytes it points into. At
// the end of the source it returns the source's error, io.EOF for a clean
// end.
func (s *Stream) Next() (*Packet, error) {
	f, err := s.src.Next()
	if err != nil {
		return nil, err
	}
	s.n++
	s.dec.Decode(s.n, f, &s.pkt)
	if s.pkt.Proto == ProtoNone {
		s.skips[skipKey{s.pkt.Skip, s.pkt.SkipDetail}]++
	} else if s.trk != nil {
		s.trk.Track(&s.pkt)
	}
	return &s.pkt, nil
}

// Frames returns how many frames have been read.
func (s *Stream) Frames() int { return s.n }

// SkipCount is how many frames were skipped for one reason.
type SkipCount struct {
	Reason Skip
	// Detail is the link type, EtherType, address family or IP protocol
	// number that goes with the reason.
	Detail int
	Count  int
}

// Skipped returns the frames skipped so far, grouped by reason and detail,
// most frequent first.
func (s *Stream) Skipped() []SkipCount {
	out := make([]SkipCount, 0, len(s.skips))
	for k, n := range s.skips {
		out = append(out, SkipCount{Reason: k.reason, Detail: k.detail, Count: n})
	}
	slices.SortFunc(out, func(a, b SkipCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Reason, b.Reason); c != 0 {
			return c
		}
		return cmp.Compare(a.Detail, b.Detail)
	})
	return out
}

// String describes the group in words, e.g.
// "link type 127 (802.11 radiotap) not supported" or "IP protocol 1 (ICMP)".
func (c SkipCount) String() string {
	switch c.Reason {
	case SkipLinkType:
		return fmt.Sprintf("link type %d (%s) not supported", c.Detail, linkTypeName(c.Detail))
	case SkipNotIP:
		return fmt.Sprintf("not IP (EtherType or family %#04x)", c.Detail)
	case SkipProtocol:
		if name := layers.IPProtocol(c.Detail).String(); !strings.HasPrefix(name, "Unknown") {
			return fmt.Sprintf("not TCP or UDP (IP protocol %d, %s)", c.Detail, name)
		}
		return fmt.Sprintf("not TCP or UDP (IP protocol %d)", c.Detail)
	case SkipFragment:
		return "non-first IP fragments (not reassembled)"
	case SkipMalformed:
		return "malformed or cut short before the transport header"
	}
	return c.Reason.String()
}

// linkTypeName names a link type the way tcpdump's documentation does.
func linkTypeName(lt int) string {
	switch lt {
	case 6:
		return "Token Ring"
	case 7:
		return "ARCNET"
	case 8:
		return "SLIP"
	case 10:
		return "FDDI"
	case 105:
		return "802.11"
	case 119:
		return "802.11 Prism"
	case 127:
		return "802.11 radiotap"
	case 9:
		return "PPP"
	case 50:
		return "PPP over HDLC"
	case 104:
		return "Cisco HDLC"
	case 117:
		return "OpenBSD pflog"
	case 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162:
		return "user-defined"
	case 195:
		return "802.15.4"
	case 220:
		return "USB"
	case 249:
		return "netlink"
	}
	name := layers.LinkType(lt).String()
	if name == "" || strings.HasPrefix(name, "Unknown") {
		return "unknown"
	}
	return name
}
