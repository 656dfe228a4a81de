package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/render"
)

// TestMain lets the test binary stand in for tcpshow in tests that need a
// real process: with TCPSHOW_TEST_MAIN=1 it runs main.
func TestMain(m *testing.M) {
	if os.Getenv("TCPSHOW_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// tcpshowCmd returns a command that runs tcpshow (this test binary) with args.
func tcpshowCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "TCPSHOW_TEST_MAIN=1")
	return cmd
}

// closingWriter accepts n bytes, then fails every write with err, counting
// the writes it refused.
type closingWriter struct {
	n       int
	err     error
	refused int
}

func (w *closingWriter) Write(b []byte) (int, error) {
	if w.n <= 0 {
		w.refused++
		return 0, w.err
	}
	if len(b) > w.n {
		k := w.n
		w.n = 0
		return k, w.err
	}
	w.n -= len(b)
	return len(b), nil
}

// bigCapture returns the path of a capture with many packets (more output
// than any pipe buffer holds, in the formats that show every packet) and,
// if arp, a frame without IP at the end.
func bigCapture(t *testing.T, arp bool) string {
	t.Helper()
	var payloads [][]byte
	for range 3000 {
		payloads = append(payloads, []byte("a line of text from one side, then the other\n"))
	}
	frames := exchange(t, payloads...)
	// A frame that is not IP, so that there is a skipped-frames line that
	// a closed pipe must silence too.
	if arp {
		f := append([]byte{}, frames[0]...)
		f[12], f[13] = 0x08, 0x06
		frames = append(frames, f)
	}
	return writeTemp(t, "big.pcap", pcapBytes(t, frames...))
}

// TestClosedPipe replays into a reader that went away (tcpshow … | head):
// in every format tcpshow stops at once, quietly, with status 0.
func TestClosedPipe(t *testing.T) {
	path := bigCapture(t, true)
	for _, f := range render.Formats() {
		for _, werr := range []error{&os.PathError{Op: "write", Path: "/dev/stdout", Err: syscall.EPIPE}, io.ErrClosedPipe} {
			t.Run(f.Name+"/"+werr.Error(), func(t *testing.T) {
				w := &closingWriter{n: 4096, err: werr}
				var stderr bytes.Buffer
				e := testEnv(w, &stderr)
				code := run(context.Background(), []string{"replay", "--format", f.Name, path}, e)
				if w.n > 0 {
					// The whole output fit before the pipe closed (a summary
					// of one conversation): nothing to silence.
					t.Skipf("%s wrote less than %d bytes", f.Name, 4096)
				}
				if code != exitOK || stderr.Len() != 0 {
					t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
				}
				if w.refused > 2 {
					t.Errorf("%d more writes after the pipe closed: tcpshow did not stop", w.refused)
				}
			})
		}
	}
	// Other write errors are reported.
	w := &closingWriter{n: 4096, err: errors.New("no space left on device")}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"replay", path}, testEnv(w, &stderr)); code != exitError || !strings.Contains(stderr.String(), "no space left") {
		t.Errorf("disk full: exit %d, stderr %q", code, stderr.String())
	}
}

// TestClosedPipeProcess runs tcpshow replay | head for real: a process
// whose standard output is a pipe closed after the first line.
//
// Formats that draw whole conversations (ladder) write little; their output
// may fit in the pipe before it closes, and then tcpshow ends normally.
func TestClosedPipeProcess(t *testing.T) {
	path := bigCapture(t, false)
	for _, f := range render.Formats() {
		t.Run(f.Name, func(t *testing.T) {
			cmd := tcpshowCmd(t, "replay", "--format", f.Name, path)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 100)
			if _, err := io.ReadFull(out, buf); err != nil {
				t.Fatalf("reading the first bytes: %v", err)
			}
			out.Close() // what head does after its lines
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatal("still running 30s after its reader went away")
			}
			if stderr.Len() != 0 {
				t.Errorf("stderr %q, want nothing", stderr.String())
			}
			var ee *exec.ExitError
			switch {
			case err == nil:
			case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGPIPE:
				// Killed by SIGPIPE, as tcpdump and cat are: the shell says
				// nothing.
			default:
				t.Errorf("tcpshow ended with %v, want status 0 or SIGPIPE", err)
			}
		})
	}
}
