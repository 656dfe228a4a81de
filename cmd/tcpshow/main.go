package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"golang.org/x/term"
)

// memoryLimit is the heap size past which the garbage collector works
// harder rather than let the process grow: replays are held to 64 MiB of
// resident memory whatever the capture. GOMEMLIMIT overrides it.
const memoryLimit = 48 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C stops cleanly (a live capture flushes its -w file);
	// a second one, while that is under way, kills as usual.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], &env{
		stdin:    os.Stdin,
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		terminal: term.IsTerminal(int(os.Stdout.Fd())),
		errTerm:  term.IsTerminal(int(os.Stderr.Fd())),
		getenv:   os.Getenv,
		width: func() int {
			w, _, err := term.GetSize(int(os.Stdout.Fd()))
			if err != nil {
				return 0
			}
			return w
		},
	})
	stop()
	os.Exit(code)
}
