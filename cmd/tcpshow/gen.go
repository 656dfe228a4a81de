package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tcpshow/tcpshow/capture/traffic"
	"github.com/tcpshow/tcpshow/render"
)

func scenariosCommand() *command {
	return &command{
		name:  "scenarios",
		short: "list the traffic generator's scenarios",
		long: `Scenarios lists what the traffic generator can play, one line each. Run one
with 'tcpshow gen SCENARIO' (while tcpdump or Wireshark captures the loopback
device) or watch it with 'sudo tcpshow demo SCENARIO'.`,
		run: func(_ context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usagef("takes no arguments")
			}
			return writeScenarios(e.stdout)
		},
	}
}

// writeScenarios lists the scenarios, one line each.
func writeScenarios(w io.Writer) error {
	for _, s := range traffic.Scenarios() {
		if _, err := fmt.Fprintf(w, "%-11s %s\n", s.Name, s.Help); err != nil {
			return err
		}
	}
	return nil
}

// genFlags are the flags of the commands that run the generator.
type genFlags struct {
	port    uint
	timeout time.Duration
}

func (f *genFlags) register(fs *flag.FlagSet) {
	fs.UintVar(&f.port, "server-port", 0, "the server's `port` on the loopback address (0: a free one)")
	fs.DurationVar(&f.timeout, "timeout", traffic.DefaultTimeout, "stop the scenario after this `duration`")
}

func (f *genFlags) options() (traffic.Options, error) {
	if f.port > 65535 {
		return traffic.Options{}, usagef("--server-port %d: want 0 to 65535", f.port)
	}
	if f.timeout <= 0 {
		return traffic.Options{}, usagef("--timeout %v: want a positive duration", f.timeout)
	}
	return traffic.Options{Port: uint16(f.port), Timeout: f.timeout}, nil
}

// scenarioArg checks a scenario name given on the command line.
func scenarioArg(name string) error {
	if _, ok := traffic.Lookup(name); !ok {
		return usagef("unknown scenario %q (choose %s)", name, strings.Join(traffic.Names(), ", "))
	}
	return nil
}

func genCommand() *command {
	return &command{
		name:  "gen",
		args:  "[flags] SCENARIO",
		short: "play a scenario on the loopback device and print its socket calls",
		long: `Gen runs the traffic generator alone: a client and a server in this process,
on 127.0.0.1 (::1 for ipv6), make the socket calls of the scenario, and each
call is printed with the time it returned, its side, its socket's endpoints,
its arguments and its result. Capture the loopback device meanwhile with
tcpdump or Wireshark and line the calls up with the packets by time and
port. 'tcpshow scenarios' lists the scenarios. Gen needs no privileges.

Examples:
  tcpshow gen hello
  tcpdump -i lo -w hello.pcap & tcpshow gen hello; kill %1
  tcpshow gen --server-port 18080 refused`,
		run: runGen,
	}
}

// genFlagSet returns the flags of the gen command.
func genFlagSet() (*flag.FlagSet, *genFlags, *outputFlags) {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	gf, of := &genFlags{}, &outputFlags{maxRows: render.DefaultMaxRows}
	gf.register(fs)
	fs.BoolVar(&of.utc, "utc", false, "print wall-clock times in UTC instead of local time")
	fs.StringVar(&of.color, "color", "auto", "colour `when`: auto (on a terminal, unless NO_COLOR is set), always, never")
	return fs, gf, of
}

func runGen(ctx context.Context, e *env, args []string) error {
	c := findCommand("gen")
	fs, gf, of := genFlagSet()
	pos, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		printCommandUsage(e.stdout, c, fs)
		return err
	}
	if err != nil {
		return usagef("%v", err)
	}
	if len(pos) != 1 {
		return usagef("want one scenario (%s), got %d arguments", strings.Join(traffic.Names(), ", "), len(pos))
	}
	if err := scenarioArg(pos[0]); err != nil {
		return err
	}
	opts, err := gf.options()
	if err != nil {
		return err
	}
	ro, err := of.options(e)
	if err != nil {
		return err
	}
	res, runErr := traffic.Run(ctx, pos[0], opts)
	if err := render.WriteCalls(e.stdout, renderCalls(res.Calls), ro); err != nil {
		return err
	}
	return runErr
}

// renderCalls converts the generator's calls for the writers.
func renderCalls(calls []traffic.Call) []render.Call {
	out := make([]render.Call, len(calls))
	for i, c := range calls {
		out[i] = renderCall(c)
	}
	return out
}

// renderCall converts one of the generator's calls for the writers.
func renderCall(c traffic.Call) render.Call {
	return render.Call{
		Time:   c.Time,
		Proto:  c.Proto,
		Local:  c.Local,
		Peer:   c.Peer,
		Side:   string(c.Side),
		Name:   c.Name,
		Args:   c.Args,
		Result: c.Result,
	}
}
