package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Defaults of LiveOptions.
const (
	// DefaultSnapLen is tcpdump's default snap length: whole packets.
	DefaultSnapLen = 262144
	// DefaultBufferSize is the kernel buffer asked for: room for about a
	// second of 100,000 small packets while tcpshow is busy.
	DefaultBufferSize = 16 << 20
	// DefaultQueueFrames and DefaultQueueBytes bound the queue between
	// the capture and the reader of its frames.
	DefaultQueueFrames = 1 << 16
	DefaultQueueBytes  = 16 << 20
)

// pollInterval is how long a read waits for a packet before the read
// loop looks whether it was asked to stop and flushes the saved file.
// Packets are delivered as they arrive regardless (immediate mode).
const pollInterval = 100 * time.Millisecond

// drainTime bounds how long a stopped capture goes on reading the packets
// the kernel captured before the stop.
const drainTime = 250 * time.Millisecond

// LiveOptions says what to capture and how.
type LiveOptions struct {
	// Device is the interface to capture on, e.g. "lo".
	Device string
	// Filter is a BPF filter in tcpdump syntax ("tcp port 8080"); empty
	// captures everything.
	Filter string
	// SnapLen is how many bytes of each packet to keep (DefaultSnapLen
	// if 0).
	SnapLen int
	// Promiscuous asks for packets not addressed to this host as well.
	Promiscuous bool
	// BufferSize is the kernel buffer size in bytes (DefaultBufferSize if 0).
	BufferSize int
	// Batch, if positive, lets the kernel hold packets for up to that long
	// and hand them over together, instead of each as it arrives
	// (libpcap's immediate mode, the default). Batches fit far more
	// packets in the same buffer: on Linux, immediate mode gives every
	// packet a slot the size of the device's largest packet (64 KiB on
	// loopback), so a buffer of 16 MiB holds about 250 packets.
	Batch time.Duration
	// Count, if positive, stops the capture after that many frames.
	Count int
	// QueueFrames and QueueBytes bound the queue between the read loop
	// and Next (DefaultQueueFrames and DefaultQueueBytes if 0). Frames
	// that find it full are counted in LiveStats.Skipped, not queued.
	QueueFrames, QueueBytes int
	// Save, if not nil, receives every captured frame (queued or skipped)
	// as a pcap file that tcpdump, Wireshark and tcpshow read. It is
	// flushed whenever the capture is idle and when it stops; closing it
	// is the caller's job, after Close.
	Save io.Writer
}

// LiveStats counts what a live capture saw.
type LiveStats struct {
	// Received is the kernel's count of packets that passed the filter,
	// DroppedKernel those it dropped because tcpshow did not read them in
	// time (its buffer was full), and DroppedInterface those the
	// interface or driver dropped (0 where the system does not say).
	Received, DroppedKernel, DroppedInterface uint64
	// Captured is how many frames tcpshow read from the capture.
	Captured uint64
	// Skipped is how many of those were not handed to Next because the
	// reader fell behind and the queue was full. They were saved anyway.
	Skipped uint64
}

// Device is a network interface that can be captured on.
type Device struct {
	Name        string
	Description string
	Addrs       []netip.Prefix
	Loopback    bool
	Up          bool
	Running     bool
}

// ErrPermission reports that the system refused to open a capture device:
// capturing needs root or the CAP_NET_RAW capability.
var ErrPermission = errors.New("permission denied")

// ErrNoLivePcap reports a build of tcpshow without libpcap on a system
// where it has no other way to capture.
var ErrNoLivePcap = errors.New("this tcpshow was built without libpcap")

// UnknownDeviceError reports a device name the system does not have.
type UnknownDeviceError struct {
	Name  string
	Known []string // the devices there are
}

// Error returns "no device "eth9" (devices: lo, eth0)".
func (e *UnknownDeviceError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("no device %q", e.Name)
	}
	return fmt.Sprintf("no device %q (devices: %s)", e.Name, strings.Join(e.Known, ", "))
}

// FilterError reports a filter that could not be compiled or set.
type FilterError struct {
	Filter string
	Err    error
}

// Error returns the filter and the compiler's message.
func (e *FilterError) Error() string {
	return fmt.Sprintf("bad filter %q: %s", e.Filter, lowerFirst(e.Err.Error()))
}

// Unwrap returns the compiler's error.
func (e *FilterError) Unwrap() error { return e.Err }

// errIdle is returned by a handle's read when no packet arrived within
// pollInterval.
var errIdle = errors.New("no packet within the poll interval")

// handle is a capture device opened by libpcap or, without it, by the
// system's own packet sockets.
type handle interface {
	// read returns the next packet, a view valid until the next read, or
	// errIdle after pollInterval without one.
	read() ([]byte, gopacket.CaptureInfo, error)
	linkType() layers.LinkType
	snapLen() int
	nano() bool
	stats() (LiveStats, error)
	close()
}

// Live is a live capture. Its read loop runs in a goroutine of its own
// from Start on, so that reading from the device never waits on the reader
// of the frames: frames are copied into a bounded queue, and those that
// find it full are counted, not queued. Next and Close may be called from
// one goroutine, Stop from any.
type Live struct {
	h    handle
	o    LiveOptions
	ring *frameRing
	dev  string
	// The handle's link type, snap length and precision, kept: the handle
	// cannot be asked once closed.
	lt       layers.LinkType
	snap     int
	isNano   bool
	started  bool
	stopOnce sync.Once
	stopping atomic.Bool
	done     chan struct{}

	captured, skipped atomic.Uint64

	// Set by the read loop before done is closed.
	err   error
	final LiveStats

	cur      ringSlot
	held     bool
	reported bool

	idleEvery time.Duration
	onIdle    func()
	idleTimer *time.Timer
}

// SetIdle has Next call f, on Next's goroutine, each time it has waited
// every for a frame: a reader can flush what it holds then, or end
// conversations that have gone quiet. Call it before Start or Next.
func (l *Live) SetIdle(every time.Duration, f func()) {
	l.idleEvery, l.onIdle = every, f
}

// wait returns the next queued slot, calling onIdle while none comes.
func (l *Live) wait() (ringSlot, bool) {
	if l.onIdle == nil || l.idleEvery <= 0 {
		s, ok := <-l.ring.q
		return s, ok
	}
	select {
	case s, ok := <-l.ring.q:
		return s, ok
	default:
	}
	if l.idleTimer == nil {
		l.idleTimer = time.NewTimer(l.idleEvery)
	} else {
		l.idleTimer.Reset(l.idleEvery)
	}
	for {
		select {
		case s, ok := <-l.ring.q:
			l.idleTimer.Stop()
			return s, ok
		case <-l.idleTimer.C:
			l.onIdle()
			l.idleTimer.Reset(l.idleEvery)
		}
	}
}

// OpenLive opens the device named in o for capture, applies the filter and
// returns the capture, not started yet: Start it, or call Next, which does.
// Opening needs root or CAP_NET_RAW; reading does not, so privileges can be
// dropped between OpenLive and Start.
func OpenLive(o LiveOptions) (*Live, error) {
	if o.SnapLen <= 0 {
		o.SnapLen = DefaultSnapLen
	}
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.QueueFrames <= 0 {
		o.QueueFrames = DefaultQueueFrames
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = DefaultQueueBytes
	}
	o.QueueBytes = max(o.QueueBytes, 2*o.SnapLen)
	h, err := openHandle(o)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", o.Device, err)
	}
	return &Live{
		h:      h,
		o:      o,
		dev:    o.Device,
		lt:     h.linkType(),
		snap:   h.snapLen(),
		isNano: h.nano(),
		ring:   newFrameRing(o.QueueFrames, o.QueueBytes),
		done:   make(chan struct{}),
	}, nil
}

// LinkType returns the link type of the device's frames.
func (l *Live) LinkType() layers.LinkType { return l.lt }

// SnapLen returns the snap length in force.
func (l *Live) SnapLen() int { return l.snap }

// Device returns the name of the device captured on.
func (l *Live) Device() string { return l.dev }

// Start starts the read loop. It is called by the first Next if need be;
// calling it again does nothing. Call it from the goroutine that calls Next.
func (l *Live) Start() {
	if !l.started {
		l.started = true
		go l.readLoop()
	}
}

// Stop asks the capture to stop: the read loop reads what the kernel had
// captured until then (for at most a quarter of a second), and Next
// returns the frames queued, then io.EOF. It may be called from any goroutine, any number of times.
func (l *Live) Stop() {
	l.stopOnce.Do(func() { l.stopping.Store(true) })
}

// Next returns the next captured frame. Its Data is valid until the next
// call. After Stop, after LiveOptions.Count frames, or when the device
// fails, it returns the frames still queued and then io.EOF, or the
// device's error.
func (l *Live) Next() (Frame, error) {
	l.Start()
	if l.held {
		l.ring.release(l.cur)
		l.held = false
	}
	s, ok := l.wait()
	if !ok {
		<-l.done
		l.reported = true
		if l.err != nil {
			return Frame{}, l.err
		}
		return Frame{}, io.EOF
	}
	l.cur, l.held = s, true
	return Frame{
		Time:     s.time,
		LinkType: l.lt,
		OrigLen:  s.origLen,
		Nano:     l.isNano,
		Data:     l.ring.data(s),
	}, nil
}

// Queued returns how many frames are waiting for Next. At zero, the next
// call to Next may wait for a packet: a reader can flush its output then.
func (l *Live) Queued() int { return len(l.ring.q) }

// Stats returns the capture's counts: while it runs, Captured and Skipped
// only; after Next has returned io.EOF or an error, or after Close, the
// kernel's counts as well.
func (l *Live) Stats() LiveStats {
	select {
	case <-l.done:
		return l.final
	default:
	}
	return LiveStats{Captured: l.captured.Load(), Skipped: l.skipped.Load()}
}

// Close stops the capture, waits for its read loop to end (it has flushed
// LiveOptions.Save by then) and releases the device. It returns the error
// that ended the capture if Next has not returned it.
func (l *Live) Close() error {
	l.Stop()
	// Started even if never read, so that a saved file gets its header.
	l.Start()
	if l.held {
		l.ring.release(l.cur)
		l.held = false
	}
	// Drain the queue so that the read loop is never left holding a
	// frame it cannot queue.
	for range l.ring.q {
	}
	<-l.done
	if l.reported {
		return nil
	}
	l.reported = true
	return l.err
}

// readLoop reads from the device until it is asked to stop, has read
// LiveOptions.Count frames or fails; then it flushes the saved file, takes
// the final counts, releases the device and closes the queue.
func (l *Live) readLoop() {
	var (
		save  *pcapgo.Writer
		buf   *bufio.Writer
		dirty bool
		err   error
	)
	if l.o.Save != nil {
		buf = bufio.NewWriterSize(l.o.Save, 256<<10)
		if l.isNano {
			save = pcapgo.NewWriterNanos(buf)
		} else {
			save = pcapgo.NewWriter(buf)
		}
		// The file is a valid, empty capture from the start.
		if err = save.WriteFileHeader(uint32(l.snap), l.lt); err == nil {
			err = buf.Flush()
		}
		if err != nil {
			err = fmt.Errorf("save capture: %w", err)
		}
	}
	var drainEnd time.Time
	for err == nil {
		if l.stopping.Load() {
			// What the kernel holds was captured before the stop: read it,
			// for a while.
			if drainEnd.IsZero() {
				drainEnd = time.Now().Add(drainTime)
			} else if time.Now().After(drainEnd) {
				break
			}
		}
		data, ci, rerr := l.h.read()
		if rerr == errIdle {
			if l.stopping.Load() {
				break
			}
			if dirty {
				if ferr := buf.Flush(); ferr != nil {
					err = fmt.Errorf("save capture: %w", ferr)
				}
				dirty = false
			}
			continue
		}
		if rerr != nil {
			err = fmt.Errorf("capture on %s: %w", l.dev, rerr)
			break
		}
		n := l.captured.Add(1)
		if ci.Length < len(data) {
			ci.Length = len(data)
		}
		if save != nil {
			ci.CaptureLength = len(data)
			if werr := save.WritePacket(ci, data); werr != nil {
				err = fmt.Errorf("save capture: %w", werr)
				break
			}
			dirty = true
		}
		if !l.ring.put(data, ci.Timestamp.UTC(), ci.Length) {
			l.skipped.Add(1)
		}
		if l.o.Count > 0 && n >= uint64(l.o.Count) {
			break
		}
	}
	if buf != nil {
		if ferr := buf.Flush(); ferr != nil && err == nil {
			err = fmt.Errorf("save capture: %w", ferr)
		}
	}
	st, serr := l.h.stats()
	if serr == nil {
		l.final = st
	}
	l.final.Captured = l.captured.Load()
	l.final.Skipped = l.skipped.Load()
	l.h.close()
	l.err = err
	close(l.done)
	close(l.ring.q)
}

// Devices lists the devices that can be captured on.
func Devices() ([]Device, error) {
	devs, err := listDevices()
	if err != nil {
		return nil, fmt.Errorf("capture: list devices: %w", err)
	}
	return devs, nil
}

// netDevices lists the system's interfaces through package net: what
// Devices returns where libpcap is not there to ask.
func netDevices() ([]Device, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	devs := make([]Device, 0, len(ifs))
	for _, ifc := range ifs {
		d := Device{
			Name:     ifc.Name,
			Loopback: ifc.Flags&net.FlagLoopback != 0,
			Up:       ifc.Flags&net.FlagUp != 0,
			Running:  ifc.Flags&net.FlagRunning != 0,
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				ip, _ := netip.AddrFromSlice(ipn.IP)
				ones, _ := ipn.Mask.Size()
				d.Addrs = append(d.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
			}
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// deviceNames returns the names of the devices there are, for an
// UnknownDeviceError.
func deviceNames() []string {
	devs, err := listDevices()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(devs))
	for _, d := range devs {
		names = append(names, d.Name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// LoopbackName maps the other system's name of the loopback device to this
// system's: "lo0" (macOS, BSD) on Linux is "lo", "lo" on macOS is "lo0". It
// returns name unchanged, and false, when name is a device of this system
// or no such alias.
func LoopbackName(name string) (string, bool) {
	var alias, real string
	switch runtime.GOOS {
	case "linux":
		alias, real = "lo0", "lo"
	case "darwin", "freebsd", "openbsd", "netbsd", "dragonfly":
		alias, real = "lo", "lo0"
	default:
		return name, false
	}
	if name != alias {
		return name, false
	}
	if _, err := net.InterfaceByName(alias); err == nil {
		return name, false
	}
	return real, true
}
