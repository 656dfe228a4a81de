package decode

import (
	"cmp"
	"errors"
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
//	defer s.Close()
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
	ahead *readAhead // nil unless StreamOptions.ReadAhead
	// closed reports that Close was called: Next fails from then on.
	closed bool
}

type skipKey struct {
	reason Skip
	detail int
}

// StreamOptions configure a Stream. The zero value reads, decodes and
// tracks each frame on the caller's goroutine, within Next.
type StreamOptions struct {
	// ReadAhead reads and decodes frames on a goroutine of the Stream's
	// own, up to 2,048 frames (4 MiB of frame bytes) ahead of Next, so
	// that reading and decoding overlap with tracking and with whatever the
	// caller does with each packet. Tracking stays on the caller's goroutine, so Packets,
	// Conversations and the Tracker's callbacks are never touched
	// concurrently. The frames are copied, so a Packet's slices stay valid
	// until the next call to Next, as without read-ahead.
	//
	// The source belongs to the Stream until Close returns: nothing else
	// may call it in between (a capture.File's Size and BytesRead excepted).
	// Close waits for a read in progress, so read ahead from sources that
	// do not block for long, such as files.
	ReadAhead bool
}

// NewStream returns a Stream reading src. trk may be nil, in which case
// packets carry no conversation, relative numbers or analysis.
func NewStream(src capture.Source, trk *Tracker) *Stream {
	return NewStreamWith(src, trk, StreamOptions{})
}

// NewStreamWith returns a Stream reading src with options o. trk may be
// nil, as for NewStream.
func NewStreamWith(src capture.Source, trk *Tracker, o StreamOptions) *Stream {
	s := &Stream{src: src, trk: trk, skips: make(map[skipKey]int)}
	if o.ReadAhead {
		s.ahead = startReadAhead(src)
	} else {
		s.dec = NewDecoder()
	}
	return s
}

// Next reads, decodes and tracks the next frame. The Packet it returns is
// reused by the following call, as are the frame bytes it points into. At
// the end of the source it returns the source's error, io.EOF for a clean
// end.
func (s *Stream) Next() (*Packet, error) {
	if s.closed {
		return nil, errClosed
	}
	var p *Packet
	if s.ahead != nil {
		var err error
		if p, err = s.ahead.next(); err != nil {
			return nil, err
		}
	} else {
		f, err := s.src.Next()
		if err != nil {
			return nil, err
		}
		p = &s.pkt
		s.dec.Decode(s.n+1, f, p)
	}
	s.n++
	if p.Proto == ProtoNone {
		s.skips[skipKey{p.Skip, p.SkipDetail}]++
	} else if s.trk != nil {
		s.trk.Track(p)
	}
	return p, nil
}

// Idle reports whether every frame read from the source so far has been
// returned by Next and the source had nothing more read ahead, so that the
// next call to Next may wait for input: the moment for a caller that
// buffers its output to flush it. A source that cannot tell (it has no
// Buffered method, as capture.File has) is always idle.
func (s *Stream) Idle() bool {
	if s.closed {
		return true
	}
	if s.ahead != nil {
		return s.ahead.idle()
	}
	return sourceIdle(s.src)
}

// sourceIdle reports whether src has nothing read ahead.
func sourceIdle(src capture.Source) bool {
	b, ok := src.(interface{ Buffered() int })
	return !ok || b.Buffered() == 0
}

// Close stops reading ahead, waiting for a read in progress to end, and
// releases the packets read ahead. It does not close the source. After
// Close, Next returns an error. A Stream without read-ahead has nothing to
// stop: Close only makes later calls of Next fail.
func (s *Stream) Close() error {
	if s.ahead != nil && !s.closed {
		s.ahead.close()
	}
	s.closed = true
	return nil
}

// errClosed is what Next returns after Close.
var errClosed = errors.New("decode: stream closed")

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
