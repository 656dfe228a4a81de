package capture

import (
	"time"

	"github.com/gopacket/gopacket/layers"
)

// Frame is one captured frame as the capture holds it.
type Frame struct {
	// Time is when the frame was captured, in UTC, at the capture's precision.
	Time time.Time
	// LinkType says how to decode Data (pcapng files may mix link types).
	LinkType layers.LinkType
	// OrigLen is the frame's length on the wire. len(Data) may be smaller when
	// the capture's snap length cut the frame short.
	OrigLen int
	// Nano reports that Time has nanosecond precision; otherwise it has
	// microsecond precision (or coarser).
	Nano bool
	// Interface is the index of the pcapng interface the frame came from
	// (0 for pcap files and live captures).
	Interface int
	// Data is a read-only view of the captured bytes, valid until the next
	// call to the Source's Next. Copy it to keep it.
	Data []byte
}

// Source hands out frames one at a time.
type Source interface {
	// Next returns the next frame, or io.EOF after the last one.
	// The frame's Data is valid until the next call to Next.
	Next() (Frame, error)
	// Close releases the source. Frames already returned become invalid.
	Close() error
}
