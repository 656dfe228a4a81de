package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/tcpshow/tcpshow/render"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// env is everything a command reads from or writes to outside its
// arguments, so that tests can run commands in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// terminal reports whether stdout is a terminal, errTerm whether
	// stderr is.
	terminal, errTerm bool
	getenv            func(string) string
	// width returns the terminal's width, or 0 if unknown.
	width func() int
	// now is the clock for progress display; nil means time.Now.
	now func() time.Time
}

// clock returns e's clock.
func (e *env) clock() func() time.Time {
	if e.now == nil {
		return time.Now
	}
	return e.now
}

// command is a subcommand.
type command struct {
	name  string
	args  string
	short string
	long  string
	run   func(ctx context.Context, e *env, args []string) error
}

// commands returns the subcommands in the order help lists them.
func commands() []*command {
	return []*command{
		replayCommand(),
		liveCommand(),
		interfacesCommand(),
		demoCommand(),
		genCommand(),
		scenariosCommand(),
		{name: "version", short: "print the version", run: func(_ context.Context, e *env, _ []string) error {
			_, err := fmt.Fprintln(e.stdout, "tcpshow", version)
			return err
		}},
	}
}

// usageError is an error in how tcpshow was called: exit code 2.
type usageError struct{ msg string }

func (u *usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run runs tcpshow with args (without the program name) and returns the
// exit code.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "--help", "help":
		if len(args) > 1 && name == "help" {
			if c := findCommand(args[1]); c != nil {
				printCommandUsage(e.stdout, c, nil)
				return exitOK
			}
			fmt.Fprintf(e.stderr, "tcpshow: unknown command %q\n", args[1])
			return exitUsage
		}
		printUsage(e.stdout)
		return exitOK
	case "-v", "--version":
		name = "version"
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintf(e.stderr, "tcpshow: unknown command %q (run 'tcpshow help')\n", name)
		return exitUsage
	}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case closedPipe(err):
		// The reader went away (tcpshow … | head): stop quietly.
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(e.stderr, "tcpshow %s: %s (see 'tcpshow help %s')\n", c.name, oneLine(ue.msg), c.name)
		return exitUsage
	}
	fmt.Fprintf(e.stderr, "tcpshow: %s\n", oneLine(err.Error()))
	return exitError
}

// closedPipe reports whether err says that the reader of the output went
// away: a broken pipe or socket (EPIPE), or an io.Pipe closed by its reader.
func closedPipe(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe)
}

// oneLine keeps an error message on one line and makes it safe for a
// terminal: messages name files and quote capture contents, which may hold
// escape sequences.
func oneLine(s string) string {
	return render.Escape(strings.Join(strings.Fields(s), " "))
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "tcpshow shows what TCP and UDP sockets do on the wire.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  tcpshow %-28s %s\n", strings.TrimSpace(c.name+" "+c.args), c.short)
	}
	fmt.Fprintf(w, "  tcpshow %-28s %s\n", "help [COMMAND]", "show help for a command")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Examples:")
	fmt.Fprintln(w, "  tcpshow replay testdata/handshake.pcap")
	fmt.Fprintln(w, "  tcpshow replay --format json capture.pcap | jq .tcp.flags")
	fmt.Fprintln(w, "  tcpdump -i lo -w - | tcpshow replay -")
	fmt.Fprintln(w, "  sudo tcpshow demo")
}

func printCommandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: tcpshow %s %s\n\n", c.name, c.args)
	if c.long != "" {
		fmt.Fprintln(w, strings.TrimSpace(c.long))
		fmt.Fprintln(w)
	}
	if fs == nil {
		fs = flag.NewFlagSet(c.name, flag.ContinueOnError)
		switch c.name {
		case "replay":
			(&outputFlags{}).register(fs)
		case "live":
			(&liveConfig{}).registerLive(fs)
		case "demo":
			fs, _ = demoFlagSet()
		case "gen":
			fs, _, _ = genFlagSet()
		}
	}
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		fmt.Fprintln(w, "Flags:")
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			dash := "--"
			if len(f.Name) == 1 {
				dash = "-"
			}
			left := dash + f.Name
			if name != "" {
				left += " " + name
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				def = fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(w, "  %-24s %s%s\n", left, usage, def)
		})
	}
}

// parseInterspersed parses flags wherever they appear among the positional
// arguments, as users expect ("tcpshow replay file.pcap --format json").
// A "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > 0 && len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}
