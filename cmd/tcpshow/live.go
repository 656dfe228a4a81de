package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/capture/traffic"
	"github.com/tcpshow/tcpshow/decode"
	"github.com/tcpshow/tcpshow/render"
)

func liveCommand() *command {
	return &command{
		name:  "live",
		args:  "[flags] DEVICE [FILTER...]",
		short: "capture on a device and show packets as they arrive",
		long: `Live captures on a network device (lo for the loopback device) and shows
TCP and UDP packets as they arrive, in any format replay has. The words after
the device form a filter in tcpdump's syntax ("tcp port 8080"). Ctrl-C stops
the capture; the capture statistics go to standard error.

Capturing needs root: run it with sudo, or grant the binary the capability
once with  sudo setcap cap_net_raw,cap_net_admin=eip $(command -v tcpshow).
Under sudo, tcpshow drops back to the invoking user (or to -Z USER) as soon
as the device is open; files written with -w belong to that user.

Examples:
  sudo tcpshow live lo
  sudo tcpshow live lo tcp port 8080
  sudo tcpshow live -w hello.pcap -c 20 lo
  sudo tcpshow live --format json --duration 10s lo udp

This tcpshow captures with ` + captureBackend() + `.`,
		run: runLive,
	}
}

func interfacesCommand() *command {
	return &command{
		name:  "interfaces",
		short: "list the devices live can capture on",
		run:   runInterfaces,
	}
}

// captureBackend describes what opens devices in this build.
func captureBackend() string {
	switch capture.LiveBackend {
	case "libpcap":
		return "libpcap"
	case "AF_PACKET":
		return "Linux AF_PACKET sockets (filters compiled by libpcap where its library is installed)"
	}
	return "nothing: it was built without libpcap"
}

// liveQuiet is how long a live capture keeps an ended conversation for
// late packets (a retransmitted FIN, the last ACK) before drawing it.
const liveQuiet = time.Second

// liveConfig is everything a live capture is run with.
type liveConfig struct {
	device   string
	filter   string
	write    string // -w: save every captured packet to this pcap file
	count    int
	duration time.Duration
	snaplen  int
	buffer   int // kernel buffer, in MiB
	batch    time.Duration
	maxConvs int
	user     string
	out      outputFlags

	// active, if not nil, is run in a goroutine of its own once the
	// capture is active: the device is open, its filter set, privileges
	// dropped and packets are being read. An error from it stops the
	// capture and is reported. ctx is cancelled when the capture stops.
	active func(ctx context.Context) error
	// stopAfterActive, if positive, stops the capture that long after
	// active returns, time for the last packets to arrive. Otherwise the
	// capture runs on until -c, --duration or Ctrl-C.
	stopAfterActive time.Duration
	// wrap, if not nil, wraps the output's Writer (the generator's calls
	// go in this way).
	wrap func(render.Writer) render.Writer
	// gen are the generator's flags, generate the scenario --generate names.
	gen      genFlags
	generate string
	// only, if not 0, shows only the packets to or from this port (set
	// before startScenario).
	only uint16
	// maxConvsSet reports that --max-conversations was given: otherwise
	// the formats that hold conversations follow fewer (see
	// conversationLimit).
	maxConvsSet bool
}

// register adds the live flags to fs.
func (c *liveConfig) register(fs *flag.FlagSet) {
	if c.out.format == "" {
		// Packets as they arrive; --format ladder draws each conversation
		// as it ends.
		c.out.format = "lines"
	}
	c.out.register(fs)
	fs.StringVar(&c.write, "w", "", "also save every captured packet to `FILE` (pcap; tcpdump, Wireshark and tcpshow replay read it)")
	fs.IntVar(&c.count, "c", 0, "stop after `N` packets")
	fs.DurationVar(&c.duration, "duration", 0, "stop after `D` (e.g. 30s, 5m)")
	fs.IntVar(&c.snaplen, "s", capture.DefaultSnapLen, "keep at most `N` bytes of each packet")
	fs.IntVar(&c.buffer, "B", capture.DefaultBufferSize>>20, "kernel capture buffer in `MiB`")
	fs.DurationVar(&c.batch, "batch", 0, "let the kernel hold packets up to `D` (e.g. 10ms) and hand them over together: for heavy traffic, where each packet as it arrives overflows the kernel buffer")
	fs.IntVar(&c.maxConvs, "max-conversations", decode.DefaultMaxConversations, fmt.Sprintf("follow at most `N` conversations at once (%d in the formats that draw whole conversations); past it the least recently active is closed", drawnConversations))
	fs.StringVar(&c.user, "Z", "", "after opening the device, run as `USER` (default: the user who ran sudo)")
}

// registerLive adds the flags of live to fs: register's, --generate and
// the generator's.
func (c *liveConfig) registerLive(fs *flag.FlagSet) {
	c.register(fs)
	fs.StringVar(&c.generate, "generate", "", "once the capture is active, play `SCENARIO` of the traffic generator on the loopback device (see 'tcpshow scenarios')")
	c.gen.register(fs)
}

// parseLiveArgs parses the arguments of live into c.
func parseLiveArgs(e *env, c *liveConfig, args []string) error {
	fs := flag.NewFlagSet("live", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.registerLive(fs)
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, findCommand("live"), fs)
		return err
	}
	if err != nil {
		return usagef("%v", err)
	}
	if len(pos) == 0 {
		return usagef("want a device to capture on (see 'tcpshow interfaces')")
	}
	c.maxConvsSet = isSet(fs, "max-conversations")
	c.device, c.filter = pos[0], strings.Join(pos[1:], " ")
	if c.generate != "" {
		sc, ok := traffic.Lookup(c.generate)
		if !ok {
			return usagef("--generate: unknown scenario %q (choose %s)", c.generate, scenarioNames())
		}
		o, err := c.gen.options()
		if err != nil {
			return err
		}
		c.startScenario(sc, o)
	}
	return checkLiveConfig(c)
}

// checkLiveConfig checks the numeric flags of live and demo.
func checkLiveConfig(c *liveConfig) error {
	switch {
	case c.count < 0:
		return usagef("-c must be positive, not %d", c.count)
	case c.duration < 0:
		return usagef("--duration must be positive, not %v", c.duration)
	case c.snaplen <= 0 || c.snaplen > capture.DefaultSnapLen:
		return usagef("-s must be between 1 and %d, not %d", capture.DefaultSnapLen, c.snaplen)
	case c.buffer <= 0 || c.buffer > 1024:
		return usagef("-B must be between 1 and 1024 MiB, not %d", c.buffer)
	case c.maxConvs < 1:
		return usagef("--max-conversations must be at least 1, not %d", c.maxConvs)
	case c.batch < 0 || c.batch > time.Second:
		return usagef("--batch must be between 0 and 1s, not %v", c.batch)
	}
	return nil
}

func runLive(ctx context.Context, e *env, args []string) error {
	var c liveConfig
	if err := parseLiveArgs(e, &c, args); err != nil {
		return err
	}
	return c.run(ctx, e)
}

// run captures as c says until it is told to stop, ctx is cancelled or the
// device fails.
func (c *liveConfig) run(ctx context.Context, e *env) error {
	opts, err := c.out.options(e)
	if err != nil {
		return err
	}
	if _, err := render.New(c.out.format, io.Discard, opts); err != nil {
		return usagef("%v", err)
	}
	if dev, ok := capture.LoopbackName(c.device); ok {
		fmt.Fprintf(e.stderr, "tcpshow: %s is called %s here: capturing on %s\n", c.device, dev, dev)
		c.device = dev
	}
	drop, err := dropTarget(e, c.user)
	if err != nil {
		return err
	}

	var save *os.File
	if c.write != "" {
		if save, err = os.Create(c.write); err != nil {
			return fmt.Errorf("-w: %w", err)
		}
		defer save.Close()
	}
	l, err := capture.OpenLive(capture.LiveOptions{
		Device:     c.device,
		Filter:     c.filter,
		SnapLen:    c.snaplen,
		BufferSize: c.buffer << 20,
		Batch:      c.batch,
		Count:      c.count,
		Save:       writerOrNil(save),
	})
	if err != nil {
		if save != nil {
			save.Close()
			os.Remove(c.write)
		}
		return liveOpenError(err)
	}
	defer l.Close()
	out, err := openOutput(e, c.out.out)
	if err != nil {
		return err
	}
	kept := false
	defer func() {
		if !kept {
			out.finish(false)
		}
	}()
	if drop != nil {
		// Files opened as root belong to the user tcpshow runs as from
		// now on.
		for _, f := range []*os.File{save, out.tmp} {
			if f == nil {
				continue
			}
			if err := f.Chown(drop.uid, drop.gid); err != nil {
				return fmt.Errorf("%s: give it to %s: %w", f.Name(), drop.name, err)
			}
		}
	}
	fw, _ := render.New(c.out.format, out, opts)
	var w render.Writer = render.Select(fw, c.out.sel)
	if c.wrap != nil {
		w = c.wrap(w)
	}
	if drop != nil {
		if err := drop.apply(); err != nil {
			return err
		}
	}

	capCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if c.duration > 0 {
		capCtx, cancel = context.WithTimeout(capCtx, c.duration)
		defer cancel()
	}
	l.Start()
	go func() {
		<-capCtx.Done()
		l.Stop()
	}()
	activeErr := make(chan error, 1)
	if c.active != nil {
		go func() {
			err := c.active(capCtx)
			activeErr <- err
			if err != nil {
				l.Stop()
				return
			}
			if c.stopAfterActive > 0 {
				select {
				case <-time.After(c.stopAfterActive):
					l.Stop()
				case <-capCtx.Done():
				}
			}
		}()
	}

	// Formats that hold conversations draw each one as it ends: once it
	// has been quiet for liveQuiet after its FINs or RST.
	to := decode.TrackerOptions{MaxConversations: conversationLimit(c.maxConvsSet, c.maxConvs, fw), QuietPeriod: liveQuiet}
	var ends conversationEnds
	ends.wire(&to, w)
	trk := decode.NewTrackerWith(to)
	s := decode.NewStream(l, trk)
	// While no packet comes, end the conversations gone quiet by the clock
	// (live capture time is the clock's) and show them.
	l.SetIdle(liveQuiet/4, func() {
		trk.Expire(time.Now())
		if ends.err == nil {
			ends.err = out.Flush()
		}
	})
	// Flush whenever nothing more is queued, so that packets show as they
	// arrive.
	idle := func() error {
		if ends.err != nil {
			return ends.err
		}
		if l.Queued() == 0 {
			return out.Flush()
		}
		return nil
	}
	readErr := pump(context.Background(), s, w, idle)
	if closedPipe(readErr) {
		l.Stop()
	}
	trk.Close()
	if ends.err != nil && readErr == nil {
		readErr = ends.err
	}
	if err := w.Close(); err != nil && readErr == nil {
		readErr = err
	}
	kept = true
	if err := out.finish(true); err != nil && readErr == nil {
		readErr = err
	}
	cancel()
	if err := l.Close(); err != nil && readErr == nil {
		readErr = err
	}
	if save != nil {
		if err := save.Close(); err != nil && readErr == nil {
			readErr = fmt.Errorf("-w %s: %w", c.write, err)
		}
	}
	if c.active != nil {
		select {
		case err := <-activeErr:
			if err != nil && readErr == nil {
				readErr = err
			}
		default:
		}
	}
	if closedPipe(readErr) {
		return readErr
	}
	reportSkipped(e, s)
	reportLiveStats(e, l.Stats(), c.write)
	if readErr != nil && save != nil {
		readErr = fmt.Errorf("%w (%s holds every packet until then)", readErr, c.write)
	}
	return readErr
}

// writerOrNil returns f as an io.Writer, or nil if f is nil: a nil *os.File
// in an interface is not a nil interface.
func writerOrNil(f *os.File) io.Writer {
	if f == nil {
		return nil
	}
	return f
}

// liveOpenError adds the fix to an error from opening a capture device.
func liveOpenError(err error) error {
	var ud *capture.UnknownDeviceError
	switch {
	case errors.Is(err, capture.ErrPermission):
		bin, xerr := os.Executable()
		if xerr != nil {
			bin = "tcpshow"
		}
		return fmt.Errorf("%w (run with sudo, or once: sudo setcap cap_net_raw,cap_net_admin=eip %s)", err, bin)
	case errors.As(err, &ud):
		return fmt.Errorf("%w (see 'tcpshow interfaces')", err)
	}
	return err
}

// reportLiveStats writes the capture's counts to stderr, as tcpdump does
// when it stops.
func reportLiveStats(e *env, st capture.LiveStats, saved string) {
	fmt.Fprintf(e.stderr, "tcpshow: %d %s captured, %d received by filter, %d dropped by kernel, %d dropped by interface\n",
		st.Captured, plural(st.Captured, "packet"), st.Received, st.DroppedKernel, st.DroppedInterface)
	if st.DroppedKernel > 0 {
		fmt.Fprintf(e.stderr, "tcpshow: the kernel dropped packets before tcpshow could read them: --batch 10ms or a larger -B lets it hold more\n")
	}
	if st.Skipped > 0 {
		where := ""
		if saved != "" {
			where = " (" + saved + " holds them all)"
		}
		fmt.Fprintf(e.stderr, "tcpshow: %d %s not shown: output fell behind%s\n", st.Skipped, plural(st.Skipped, "packet"), where)
	}
}

// plural returns noun, with an s unless n is 1.
func plural(n uint64, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}

func runInterfaces(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("interfaces", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, findCommand("interfaces"), fs)
		return err
	} else if err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("takes no arguments")
	}
	devs, err := capture.Devices()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 8, 2, ' ', 0)
	for _, d := range devs {
		var flags []string
		if d.Up {
			flags = append(flags, "up")
		}
		if d.Running {
			flags = append(flags, "running")
		}
		if d.Loopback {
			flags = append(flags, "loopback")
		}
		addrs := make([]string, 0, len(d.Addrs))
		for _, a := range d.Addrs {
			addrs = append(addrs, a.String())
		}
		desc := strings.Join(addrs, " ")
		if d.Description != "" {
			desc = strings.TrimSpace(desc + " (" + render.Escape(d.Description) + ")")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", render.Escape(d.Name), strings.Join(flags, ","), desc)
	}
	return tw.Flush()
}
