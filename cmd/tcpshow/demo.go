package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/capture/traffic"
	"github.com/tcpshow/tcpshow/decode"
	"github.com/tcpshow/tcpshow/render"
)

// defaultScenario is what demo plays without an argument.
const defaultScenario = "hello"

// demoLinger is how long demo keeps capturing after its scenario ends, for
// the last packets to arrive.
const demoLinger = 250 * time.Millisecond

// callWait bounds how long a packet waits for the calls that returned
// before it (a socket() call waits for its connect).
const callWait = 100 * time.Millisecond

func demoCommand() *command {
	return &command{
		name:  "demo",
		args:  "[flags] [SCENARIO]",
		short: "capture on the loopback device while the traffic generator plays a scenario",
		long: `Demo captures on the loopback device while the built-in client and server
play a scenario (default hello; 'tcpshow scenarios' lists them), shows the
packets with the socket calls that caused them, and stops by itself shortly
after the scenario ends. The capture is filtered on the server's port, so
other traffic on the loopback device stays out. It needs what live needs:
root, or the capture capabilities (see 'tcpshow help live').

Examples:
  sudo tcpshow demo
  sudo tcpshow demo refused
  sudo tcpshow demo --format lines zerowindow
  sudo tcpshow demo --format json -w reset.pcap reset`,
		run: runDemo,
	}
}

// demoFlagSet returns the flags of demo: live's and the generator's.
func demoFlagSet() (*flag.FlagSet, *liveConfig) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// The ladder by default: the handshake with its calls on the lanes.
	c := &liveConfig{out: outputFlags{format: "ladder"}}
	c.register(fs)
	c.gen.register(fs)
	return fs, c
}

func runDemo(ctx context.Context, e *env, args []string) error {
	fs, c := demoFlagSet()
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, findCommand("demo"), fs)
		return err
	}
	if err != nil {
		return usagef("%v", err)
	}
	c.maxConvsSet = isSet(fs, "max-conversations")
	name := defaultScenario
	switch len(pos) {
	case 0:
	case 1:
		name = pos[0]
	default:
		return usagef("want at most one scenario, got %d arguments", len(pos))
	}
	if err := checkLiveConfig(c); err != nil {
		return err
	}
	opts, err := c.gen.options()
	if err != nil {
		return err
	}
	sc, ok := traffic.Lookup(name)
	if !ok {
		return scenarioArg(name)
	}
	if opts.Port == 0 {
		if opts.Port, err = traffic.FreePort(sc.Loopback()); err != nil {
			return err
		}
	}
	c.device = loopbackDevice()
	c.filter = fmt.Sprintf("port %d", opts.Port)
	c.startScenario(sc, opts)
	c.only = opts.Port
	c.stopAfterActive = demoLinger
	err = c.run(ctx, e)
	var fe *capture.FilterError
	if errors.As(err, &fe) {
		// A build without libpcap cannot filter in the kernel: capture
		// everything and show only the scenario's packets.
		fmt.Fprintf(e.stderr, "tcpshow: this tcpshow cannot filter in the kernel (built without libpcap): capturing all of %s, showing port %d only\n", c.device, opts.Port)
		c.filter = ""
		err = c.run(ctx, e)
	}
	return err
}

// loopbackDevice names the loopback device of this system.
func loopbackDevice() string {
	if runtime.GOOS == "linux" {
		return "lo"
	}
	return "lo0"
}

// startScenario makes the capture run scenario sc once it is active, and
// shows its calls among the packets.
func (c *liveConfig) startScenario(sc traffic.Scenario, o traffic.Options) {
	feed := traffic.NewFeed()
	o.Feed = feed
	c.active = func(ctx context.Context) error {
		_, err := sc.Run(ctx, o)
		return err
	}
	c.wrap = func(w render.Writer) render.Writer { return &callMerger{Writer: w, feed: feed, only: c.only} }
}

// callMerger passes a running scenario's calls to a Writer among the
// packets, in time order: before each packet the calls that returned
// before it was captured, at Close the rest.
type callMerger struct {
	render.Writer
	feed *traffic.Feed
	only uint16 // if not 0, only packets to or from this port are written
}

// WritePacket writes the calls that returned before p, then p.
func (m *callMerger) WritePacket(p *decode.Packet) error {
	if m.only != 0 && p.Src.Port() != m.only && p.Dst.Port() != m.only {
		return nil
	}
	if err := m.writeCalls(m.feed.Before(p.Time, callWait)); err != nil {
		return err
	}
	return m.Writer.WritePacket(p)
}

// EndConversation hands the calls made so far to the writer, so that the
// conversation's diagram has them, then ends it.
func (m *callMerger) EndConversation(c *decode.Conversation) error {
	ce, ok := m.Writer.(render.ConversationEnder)
	if !ok {
		return nil
	}
	if err := m.writeCalls(m.feed.Before(time.Now(), 0)); err != nil {
		return err
	}
	return ce.EndConversation(c)
}

// Close writes the calls still to come (the scenario has ended by now, or
// is stopped with the capture) and closes the writer.
func (m *callMerger) Close() error {
	err := m.writeCalls(m.feed.Rest(time.Second))
	if cerr := m.Writer.Close(); err == nil {
		err = cerr
	}
	return err
}

func (m *callMerger) writeCalls(calls []traffic.Call) error {
	cw, ok := m.Writer.(render.CallWriter)
	if !ok {
		return nil
	}
	for _, c := range calls {
		if err := cw.WriteCall(renderCall(c)); err != nil {
			return err
		}
	}
	return nil
}

// scenarioNames lists the scenarios for messages.
func scenarioNames() string { return strings.Join(traffic.Names(), ", ") }
