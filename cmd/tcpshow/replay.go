package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
	"github.com/tcpshow/tcpshow/render"
)

// outputFlags are the flags of every command that renders packets.
type outputFlags struct {
	format  string
	ascii   bool
	color   string
	utc     bool
	out     string
	maxRows int
	raw     bool
	sel     render.Selection
	explain bool
}

// register adds the output flags to fs. The default format is f.format if
// set, else the ladder.
func (f *outputFlags) register(fs *flag.FlagSet) {
	var names []string
	for _, ft := range render.Formats() {
		names = append(names, ft.Name)
	}
	def := f.format
	if def == "" {
		def = "ladder"
	}
	fs.StringVar(&f.format, "format", def, "output `format`: "+strings.Join(names, ", "))
	fs.BoolVar(&f.ascii, "ascii", false, "draw with plain ASCII instead of Unicode box drawing")
	fs.StringVar(&f.color, "color", "auto", "colour `when`: auto (on a terminal, unless NO_COLOR is set), always, never")
	fs.BoolVar(&f.utc, "utc", false, "print wall-clock times in UTC instead of local time")
	fs.BoolVar(&f.explain, "explain", false, "add short teaching notes on what the numbers in the packets mean")
	fs.StringVar(&f.out, "o", "", "write the output to `FILE` instead of standard output (replaced only once complete)")
	fs.IntVar(&f.maxRows, "max-rows", render.DefaultMaxRows, "show at most `N` packets per conversation in a ladder, summarising the middle of longer ones in one row")
	fs.BoolVar(&f.raw, "raw", false, "show raw sequence and acknowledgment numbers on ladder arrows instead of relative ones")
	fs.Func("conv", "show only conversation `N` (numbered as in the ladders, JSON conv and the summary); repeat or use commas for several", func(v string) error {
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil || n < 1 {
				return errors.New("want conversation numbers from 1")
			}
			f.sel.Convs = append(f.sel.Convs, n)
		}
		return nil
	})
	fs.Func("host", "show only conversations with an endpoint at `ADDR` (IPv4 or IPv6); repeatable", func(v string) error {
		for _, part := range strings.Split(v, ",") {
			a, err := netip.ParseAddr(strings.Trim(strings.TrimSpace(part), "[]"))
			if err != nil {
				return errors.New("want an IP address")
			}
			f.sel.Hosts = append(f.sel.Hosts, a)
		}
		return nil
	})
	fs.Func("port", "show only conversations with an endpoint on `PORT`; repeatable", func(v string) error {
		for _, part := range strings.Split(v, ",") {
			n, err := strconv.ParseUint(strings.TrimSpace(part), 10, 16)
			if err != nil || n == 0 {
				return errors.New("want a port from 1 to 65535")
			}
			f.sel.Ports = append(f.sel.Ports, uint16(n))
		}
		return nil
	})
}

// options turns the flags into render options for e's terminal.
func (f *outputFlags) options(e *env) (render.Options, error) {
	if f.maxRows < 2 {
		return render.Options{}, usagef("--max-rows must be at least 2, not %d", f.maxRows)
	}
	o := render.Options{ASCII: f.ascii, Location: time.Local, MaxRows: f.maxRows, Raw: f.raw, Explain: f.explain}
	if f.explain {
		// An unknown format is reported by render.New.
		var shows []string
		silent := false
		for _, ft := range render.Formats() {
			if ft.Explains() {
				shows = append(shows, ft.Name)
			} else if ft.Name == f.format {
				silent = true
			}
		}
		if silent {
			return o, usagef("--explain: the %s format has no place for notes (they show in %s)", f.format, strings.Join(shows, ", "))
		}
	}
	if f.utc {
		o.Location = time.UTC
	}
	switch f.color {
	case "auto":
		o.Color = e.terminal && e.getenv("NO_COLOR") == "" && e.getenv("TERM") != "dumb"
	case "always":
		o.Color = true
	case "never":
	default:
		return o, usagef("--color must be auto, always or never, not %q", f.color)
	}
	if e.terminal && e.width != nil && (f.out == "" || f.out == "-") {
		o.Width = e.width()
	}
	if f.out != "" && f.out != "-" && f.color != "always" {
		o.Color = false
	}
	return o, nil
}

func replayCommand() *command {
	return &command{
		name:  "replay",
		args:  "[flags] FILE",
		short: "show the packets of a pcap or pcapng file (- for stdin)",
		long: `Replay reads a capture file (pcap or pcapng, optionally gzipped; "-" reads
standard input) and shows its TCP and UDP packets. Replay needs neither
libpcap nor root. A replay that takes more than a second, with its output
going to a file or pipe, shows a progress bar on standard error when that
is a terminal.

By default each conversation is drawn as a ladder diagram, as RFC 9293 draws
connections: the client's lane on the left, the server's on the right, one
arrow per packet labelled with its flags, relative seq (end-exclusive, seq
1:18 is bytes 1 to 17), ack, length and window (the SYNs also show MSS,
window scale, SACK-permitted and timestamps), each side's TCP state on the
row that changes it, and the milliseconds since the conversation's first
packet. A ladder is written as soon as its conversation ends.

Examples:
  tcpshow replay testdata/handshake.pcap
  tcpshow replay --ascii --raw testdata/refused.pcap
  tcpshow replay --conv 2 --max-rows 40 big.pcap
  tcpshow replay --host 127.0.0.1 --port 18080 --format lines student.pcap
  tcpshow replay --format table --ascii testdata/handshake.pcap
  tcpshow replay --format header -o headers.txt testdata/handshake.pcap
  tcpshow replay --format json student.pcap | jq 'select(.tcp.flags == ["SYN"])'
  tcpdump -i lo -w - | tcpshow replay -`,
		run: runReplay,
	}
}

// conversationEnds hands each conversation the tracker forgets to a
// writer that draws whole conversations, and keeps the first error that
// gave (or any other error of the pipeline put in err).
type conversationEnds struct{ err error }

// wire sets o.OnEnd to end conversations in w, if w holds them.
func (ce *conversationEnds) wire(o *decode.TrackerOptions, w render.Writer) {
	cw, ok := w.(render.ConversationEnder)
	if !ok {
		return
	}
	o.OnEnd = func(c *decode.Conversation) {
		if err := cw.EndConversation(c); err != nil && ce.err == nil {
			ce.err = err
		}
	}
}

// drawnConversations is the default of --max-conversations for the formats
// that hold each conversation until it ends (ladder, SVG, HTML, …): a held
// conversation costs them several kilobytes more than it costs the
// tracker, and at this many a flood of SYNs from distinct ports replays in
// about 65 MiB, well under the 100 MiB tcpshow promises.
const drawnConversations = 5000

// conversationLimit returns how many conversations to follow at once: n
// if the user set --max-conversations, else n or, for a format that holds
// conversations, drawnConversations if that is fewer.
func conversationLimit(set bool, n int, w render.Writer) int {
	if _, holds := w.(render.ConversationEnder); holds && !set {
		return min(n, drawnConversations)
	}
	return n
}

// isSet reports whether the flag name was given on the command line of fs.
func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func runReplay(ctx context.Context, e *env, args []string) error {
	c := findCommand("replay")
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var of outputFlags
	of.register(fs)
	maxConvs := fs.Int("max-conversations", decode.DefaultMaxConversations, fmt.Sprintf("follow at most `N` conversations at once (%d in the formats that draw whole conversations); past it the least recently active is closed", drawnConversations))
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, c, fs)
		return err
	}
	if err != nil {
		return usagef("%v", err)
	}
	if len(pos) != 1 {
		return usagef("want one capture file, got %d arguments", len(pos))
	}
	opts, err := of.options(e)
	if err != nil {
		return err
	}
	var src *capture.File
	if pos[0] == "-" {
		src, err = capture.NewFile(e.stdin, "-", nil)
	} else {
		src, err = capture.Open(pos[0])
	}
	if err != nil {
		return err
	}
	defer src.Close()

	if _, err := render.New(of.format, io.Discard, opts); err != nil {
		return usagef("%v", err)
	}
	out, err := openOutput(e, of.out)
	if err != nil {
		return err
	}
	fw, _ := render.New(of.format, out, opts)
	w := render.Select(fw, of.sel)
	*maxConvs = conversationLimit(isSet(fs, "max-conversations"), *maxConvs, fw)
	if *maxConvs < 1 {
		return usagef("--max-conversations must be at least 1, not %d", *maxConvs)
	}
	to := decode.TrackerOptions{MaxConversations: *maxConvs}
	var ends conversationEnds
	ends.wire(&to, w)
	trk := decode.NewTrackerWith(to)
	// A file on disk is read and decoded on a goroutine of its own, up to
	// 2,048 frames ahead of tracking and rendering; a pipe is read as its
	// packets come.
	s := decode.NewStreamWith(src, trk, decode.StreamOptions{ReadAhead: src.Size() > 0})
	defer s.Close()
	var bar *progress
	if size := src.Size(); size > 0 && showProgress(e, of.out) {
		bar = newProgress(e.stderr, size, e.clock())
	}
	n := 0
	// Flush whenever the input has nothing more read ahead, so that a
	// capture streamed through a pipe shows its packets as they arrive.
	idle := func() error {
		if n++; bar != nil && n&1023 == 0 {
			bar.update(src.BytesRead())
		}
		if s.Idle() {
			return out.Flush()
		}
		return nil
	}
	readErr := pump(ctx, s, w, func() error {
		if ends.err != nil {
			return ends.err
		}
		return idle()
	})
	trk.Close()
	if ends.err != nil && readErr == nil {
		readErr = ends.err
	}
	if err := w.Close(); err != nil && readErr == nil {
		readErr = err
	}
	// What was read before a damaged part of the capture is kept, as it is
	// on standard output.
	if err := out.finish(true); err != nil && readErr == nil {
		readErr = err
	}
	if bar != nil {
		bar.finish()
	}
	if !closedPipe(readErr) {
		reportSkipped(e, s)
	}
	return readErr
}

// pump moves every packet of s into w until the input ends, ctx is
// cancelled or writing fails. A clean end of input returns nil. idle, if not
// nil, is called before each read.
func pump(ctx context.Context, s *decode.Stream, w render.Writer, idle func() error) error {
	for i := 0; ; i++ {
		if i&1023 == 0 && ctx.Err() != nil {
			return nil
		}
		if idle != nil {
			if err := idle(); err != nil {
				return err
			}
		}
		p, err := s.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := w.WritePacket(p); err != nil {
			return err
		}
	}
}

// reportSkipped writes one line about the frames that had no TCP or UDP
// header tcpshow could decode.
func reportSkipped(e *env, s *decode.Stream) {
	sk := s.Skipped()
	if len(sk) == 0 {
		return
	}
	total := 0
	var parts []string
	for i, g := range sk {
		total += g.Count
		if i < 3 {
			parts = append(parts, fmt.Sprintf("%d %s", g.Count, g))
		}
	}
	if len(sk) > 3 {
		parts = append(parts, "…")
	}
	noun := "frames"
	if total == 1 {
		noun = "frame"
	}
	fmt.Fprintf(e.stderr, "tcpshow: %d %s without TCP or UDP skipped: %s\n", total, noun, strings.Join(parts, "; "))
}
