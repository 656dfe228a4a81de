package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
	"github.com/tcpshow/tcpshow/render"
)

// skipUnlessCapture skips the test where live capture on lo is not
// permitted or not built in.
func skipUnlessCapture(t *testing.T) {
	t.Helper()
	l, err := capture.OpenLive(capture.LiveOptions{Device: "lo"})
	switch {
	case errors.Is(err, capture.ErrPermission):
		t.Skipf("live capture not permitted here (needs root or CAP_NET_RAW): %v", err)
	case errors.Is(err, capture.ErrNoLivePcap):
		t.Skipf("no live capture in this build: %v", err)
	case err != nil:
		t.Skipf("no loopback capture here: %v", err)
	}
	l.Close()
}

// portFilter returns the filter words for port, or none in builds without
// libpcap, which have no filters.
func portFilter(port int) []string {
	if capture.FilterSupport() != nil {
		return nil
	}
	return []string{"tcp", "port", fmt.Sprint(port)}
}

// helloServer listens on 127.0.0.1 and returns the listener, its port and a
// function that runs the tutorials' exchange against it: connect, "Hello
// from client", "Hello from server", close, waiting for both sides.
func helloServer(t *testing.T) (port int, exchange func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().(*net.TCPAddr).Port, func() error {
		done := make(chan error, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 64)
			if _, err := c.Read(buf); err != nil {
				done <- err
				return
			}
			if _, err := c.Write([]byte("Hello from server")); err != nil {
				done <- err
				return
			}
			if _, err := c.Read(buf); err != io.EOF {
				done <- fmt.Errorf("server: want EOF, got %v", err)
				return
			}
			done <- nil
		}()
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
		if err != nil {
			return err
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("Hello from client")); err != nil {
			return err
		}
		if _, err := c.Read(make([]byte, 64)); err != nil {
			return err
		}
		c.Close()
		return <-done
	}
}

// runLiveWith runs live in-process with args and the active hook.
func runLiveWith(t *testing.T, ctx context.Context, args []string, active func(context.Context) error, stopAfter time.Duration) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := testEnv(&out, &errb)
	var c liveConfig
	if err := parseLiveArgs(e, &c, args); err != nil {
		t.Fatal(err)
	}
	c.active, c.stopAfterActive = active, stopAfter
	err = c.run(ctx, e)
	return out.String(), errb.String(), err
}

// linesOf returns the lines of out that mention port.
func linesOf(out string, port int) []string {
	var ls []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, fmt.Sprintf(".%d ", port)) || strings.Contains(l, fmt.Sprintf(".%d:", port)) || strings.Contains(l, fmt.Sprintf(`"sport":%d,`, port)) || strings.Contains(l, fmt.Sprintf(`"dport":%d,`, port)) {
			ls = append(ls, l)
		}
	}
	return ls
}

// TestLiveEveryFormat runs the hello exchange under live in every output
// format: each shows it, and the ladder draws the whole conversation.
func TestLiveEveryFormat(t *testing.T) {
	skipUnlessCapture(t)
	for _, f := range render.Formats() {
		t.Run(f.Name, func(t *testing.T) {
			port, exchange := helloServer(t)
			args := append([]string{"--format", f.Name, "--utc", "lo"}, portFilter(port)...)
			stdout, stderr, err := runLiveWith(t, context.Background(), args, func(context.Context) error { return exchange() }, 200*time.Millisecond)
			if err != nil {
				t.Fatalf("%v (stderr %q)", err, stderr)
			}
			if !strings.Contains(stdout, fmt.Sprint(port)) {
				t.Errorf("output does not show port %d:\n%s", port, stdout)
			}
			if !strings.Contains(stderr, "packets captured") {
				t.Errorf("stderr %q has no capture statistics", stderr)
			}
			switch f.Name {
			case "lines", "json":
				if n := len(linesOf(stdout, port)); n < 8 || n > 12 {
					t.Errorf("%d packets of the exchange shown, want 8 to 12:\n%s", n, stdout)
				}
			case "ladder":
				for _, want := range []string{"SYN", "FIN", "len 17"} {
					if !strings.Contains(stdout, want) {
						t.Errorf("ladder lacks %q:\n%s", want, stdout)
					}
				}
			}
		})
	}
}

// TestLiveInterruptedSave stops a `live -w` run the way Ctrl-C does
// (cancelling its context) and reads the file back whole.
func TestLiveInterruptedSave(t *testing.T) {
	skipUnlessCapture(t)
	port, exchange := helloServer(t)
	path := filepath.Join(t.TempDir(), "live.pcap")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	args := append([]string{"-w", path, "--format", "json", "lo"}, portFilter(port)...)
	stdout, stderr, err := runLiveWith(t, ctx, args, func(context.Context) error {
		err := exchange()
		time.Sleep(100 * time.Millisecond)
		cancel() // Ctrl-C
		return err
	}, 0)
	if err != nil {
		t.Fatalf("%v (stderr %q)", err, stderr)
	}
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := decode.NewStream(f, decode.NewTracker())
	mine := 0
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the saved file does not read back whole: %v", err)
		}
		if p.Proto == decode.ProtoTCP && (int(p.Src.Port()) == port || int(p.Dst.Port()) == port) {
			mine++
		}
	}
	if shown := len(linesOf(stdout, port)); mine != shown || mine < 8 {
		t.Errorf("file holds %d packets of the exchange, %d were shown", mine, shown)
	}
	if want := fmt.Sprintf("tcpshow: %d packets captured,", f.Records()); !strings.Contains(stderr, want) {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}

// TestLiveStops checks -c and --duration.
func TestLiveStops(t *testing.T) {
	skipUnlessCapture(t)
	t.Run("count", func(t *testing.T) {
		if capture.FilterSupport() != nil {
			t.Skip("without filters, other loopback traffic would count")
		}
		port, exchange := helloServer(t)
		args := append([]string{"-c", "3", "--format", "lines", "lo"}, portFilter(port)...)
		stdout, stderr, err := runLiveWith(t, context.Background(), args, func(context.Context) error { return exchange() }, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(stdout, "\n"); n != 3 || !strings.Contains(stdout, "[SYN]") {
			t.Errorf("%d lines, want the 3 of the handshake:\n%s", n, stdout)
		}
		if !strings.HasPrefix(stderr, "tcpshow: 3 packets captured,") {
			t.Errorf("stderr %q", stderr)
		}
	})
	t.Run("duration", func(t *testing.T) {
		start := time.Now()
		_, stderr, err := runLiveWith(t, context.Background(), []string{"--duration", "300ms", "lo", "udp", "port", "9"}, nil, 0)
		if capture.FilterSupport() != nil {
			_, stderr, err = runLiveWith(t, context.Background(), []string{"--duration", "300ms", "lo"}, nil, 0)
		}
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 300*time.Millisecond || d > 3*time.Second {
			t.Errorf("stopped after %v, want 300ms", d)
		}
		if !strings.Contains(stderr, "packets captured,") && !strings.Contains(stderr, "packet captured,") {
			t.Errorf("stderr %q", stderr)
		}
	})
}

func TestLiveErrors(t *testing.T) {
	skipUnlessCapture(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"unknown device", []string{"live", "nosuchdev0"}, exitError, []string{`capture on nosuchdev0: no device "nosuchdev0" (devices: `, "lo", "see 'tcpshow interfaces'"}},
		{"bad filter", []string{"live", "lo", "tcp", "prot", "80"}, exitError, []string{`capture on lo: bad filter "tcp prot 80": `}},
		{"no device", []string{"live"}, exitUsage, []string{"want a device"}},
		{"bad count", []string{"live", "-c", "-1", "lo"}, exitUsage, []string{"-c must be positive"}},
		{"bad format", []string{"live", "--format", "xml", "lo"}, exitUsage, []string{`unknown format "xml"`}},
		{"bad -w", []string{"live", "-w", "/nonexistent/dir/x.pcap", "lo"}, exitError, []string{"-w: open /nonexistent/dir/x.pcap: no such file or directory"}},
		{"-Z nobody-at-all", []string{"live", "-Z", "no-such-user-tcpshow", "lo"}, exitUsage, []string{"-Z no-such-user-tcpshow: no such user"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(t, nil, tt.args...)
			if code != tt.code || stdout != "" || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d (want %d), stdout %q, stderr %q", code, tt.code, stdout, stderr)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr %q, want it to say %q", stderr, want)
				}
			}
		})
	}
}

func TestInterfaces(t *testing.T) {
	stdout, stderr, code := runCmd(t, nil, "interfaces")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); len(f) >= 3 && f[0] == "lo" {
			if !strings.Contains(f[1], "loopback") || !strings.Contains(f[1], "up") || !strings.Contains(l, "127.0.0.1/8") {
				t.Errorf("lo listed as %q", l)
			}
			return
		}
	}
	t.Skipf("no lo device listed: %q", stdout)
}

// testBinary copies this test binary where an unprivileged user can run it.
func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "tcpshow-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "tcpshow")
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestLiveNoPermission runs live as an unprivileged user: one line that
// says how to get the permission.
func TestLiveNoPermission(t *testing.T) {
	if os.Geteuid() != 0 || runtime.GOOS != "linux" {
		t.Skip("needs root to run a process as nobody")
	}
	cmd := exec.Command(testBinary(t), "live", "lo")
	cmd.Env = append(os.Environ(), "TCPSHOW_TEST_MAIN=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Fatalf("run as nobody: %v (stderr %q)", err, errb.String())
	}
	msg := errb.String()
	if !strings.HasPrefix(msg, "tcpshow: capture on lo: permission denied (run with sudo, or once: sudo setcap cap_net_raw,cap_net_admin=eip ") || strings.Count(msg, "\n") != 1 {
		t.Errorf("stderr %q", msg)
	}
}

// procIDs returns the real, effective, saved and filesystem user and group
// ids of every thread of process pid, one "Uid: …" and "Gid: …" line each.
func procIDs(pid int) ([]string, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil || len(tasks) == 0 {
		return nil, fmt.Errorf("no threads of %d: %v", pid, err)
	}
	var ids []string
	for _, task := range tasks {
		b, err := os.ReadFile(task)
		if err != nil {
			return nil, err
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "Uid:") || strings.HasPrefix(l, "Gid:") {
				ids = append(ids, strings.Join(strings.Fields(l), " "))
			}
		}
	}
	return ids, nil
}

// TestLivePrivilegeDrop runs live as sudo would (SUDO_UID, SUDO_GID): once
// the device is open every thread runs as that user, and the -w file
// belongs to it.
func TestLivePrivilegeDrop(t *testing.T) {
	skipUnlessCapture(t)
	if os.Geteuid() != 0 || runtime.GOOS != "linux" {
		t.Skip("needs root on Linux")
	}
	port, exchange := helloServer(t)
	path := filepath.Join(t.TempDir(), "dropped.pcap")
	// No --duration: on a busy machine the child may take a while to
	// start, so the test waits for the drop, makes the exchange, then stops
	// the capture with Ctrl-C.
	cmd := tcpshowCmd(t, append([]string{"live", "-w", path, "lo"}, portFilter(port)...)...)
	cmd.Env = append(cmd.Env, "SUDO_UID=65534", "SUDO_GID=65534")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	dropped := false
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline) && !dropped; time.Sleep(20 * time.Millisecond) {
		ids, err := procIDs(cmd.Process.Pid)
		if err != nil {
			continue
		}
		dropped = true
		for _, l := range ids {
			if l != "Uid: 65534 65534 65534 65534" && l != "Gid: 65534 65534 65534 65534" {
				dropped = false
			}
		}
	}
	if !dropped {
		ids, _ := procIDs(cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("tcpshow did not drop to uid and gid 65534 on every thread within 20 s: %v (stderr %q)", ids, errb.String())
	}
	if err := exchange(); err != nil {
		t.Error(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v (stderr %q)", err, errb.String())
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); !ok || sys.Uid != 65534 || sys.Gid != 65534 {
		t.Errorf("-w file owned by %+v, want 65534:65534", st.Sys())
	}
	if n := len(linesOf(out.String(), port)); n < 8 {
		t.Errorf("%d packets of the exchange shown after the drop, want 8 or more:\n%s", n, out.String())
	}
}

// TestLiveDeviceDisappears captures on a veth device in a network
// namespace of its own and deletes the device: one clear line, a non-zero
// exit, and the -w file valid.
func TestLiveDeviceDisappears(t *testing.T) {
	skipUnlessCapture(t)
	for _, tool := range []string{"unshare", "nsenter", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (util-linux, iproute2): %v", tool, err)
		}
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gone.pcap")
	script := `ip link add tsgone0 type veth peer name tsgone1 && ip link set tsgone0 up && ip link set tsgone1 up && exec "$0" live -w "$1" tsgone0`
	cmd := exec.Command("unshare", "--net", "sh", "-c", script, exe, path)
	cmd.Env = append(os.Environ(), "TCPSHOW_TEST_MAIN=1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	// The file has its header once the capture runs.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if st, err := os.Stat(path); err == nil && st.Size() >= 24 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Skipf("could not capture on a veth device in a new network namespace: %q", errb.String())
		}
	}
	if out, err := exec.Command("nsenter", "-t", fmt.Sprint(cmd.Process.Pid), "-n", "ip", "link", "del", "tsgone0").CombinedOutput(); err != nil {
		t.Fatalf("delete the device: %v %s", err, out)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err = <-waited:
	case <-time.After(5 * time.Second):
		t.Fatalf("tcpshow still runs 5 s after its device went away (stderr %q)", errb.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitError {
		t.Errorf("exit %v, want %d", err, exitError)
	}
	lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "tcpshow: capture on tsgone0: ") || !strings.Contains(last, path+" holds every packet until then") {
		t.Errorf("last line %q", last)
	}
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for {
		if _, err := f.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("the saved file is damaged: %v", err)
		}
	}
}

// lockedBuffer is a bytes.Buffer safe to read while another goroutine
// writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLiveLadderAsItEnds checks that a conversation's ladder is drawn
// while the capture still runs, once the conversation has ended and gone
// quiet, not only when the capture stops.
func TestLiveLadderAsItEnds(t *testing.T) {
	skipUnlessCapture(t)
	port, exchange := helloServer(t)
	var out lockedBuffer
	var errb bytes.Buffer
	e := testEnv(&out, &errb)
	var c liveConfig
	if err := parseLiveArgs(e, &c, append([]string{"--format", "ladder", "lo"}, portFilter(port)...)); err != nil {
		t.Fatal(err)
	}
	if capture.FilterSupport() != nil {
		c.out.sel.Ports = []uint16{uint16(port)}
	}
	var shownAfter time.Duration
	c.active = func(ctx context.Context) error {
		if err := exchange(); err != nil {
			return err
		}
		start := time.Now()
		for time.Since(start) < liveQuiet+3*time.Second {
			if strings.Contains(out.String(), "FIN") {
				shownAfter = time.Since(start)
				return nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		return nil
	}
	c.stopAfterActive = time.Millisecond
	if err := c.run(context.Background(), e); err != nil {
		t.Fatalf("%v (stderr %q)", err, errb.String())
	}
	if shownAfter == 0 {
		t.Fatalf("the ladder was not drawn while the capture ran; at the end:\n%s", out.String())
	}
	t.Logf("ladder drawn %v after the conversation ended", shownAfter.Round(time.Millisecond))
	if n := strings.Count(out.String(), fmt.Sprintf(":%d", port)); n != 1 {
		t.Errorf("the conversation's heading appears %d times, want once:\n%s", n, out.String())
	}
}

// TestLiveClosedPipe stops a live capture whose reader went away
// (tcpshow live lo | head): quietly, status 0, nothing on stderr.
func TestLiveClosedPipe(t *testing.T) {
	skipUnlessCapture(t)
	port, exchange := helloServer(t)
	var errb bytes.Buffer
	out := &closingWriter{n: 100, err: syscall.EPIPE}
	e := testEnv(out, &errb)
	var c liveConfig
	if err := parseLiveArgs(e, &c, append([]string{"--format", "lines", "lo"}, portFilter(port)...)); err != nil {
		t.Fatal(err)
	}
	c.active = func(context.Context) error { return exchange() }
	done := make(chan error, 1)
	go func() { done <- c.run(context.Background(), e) }()
	select {
	case err := <-done:
		if !closedPipe(err) || errb.Len() != 0 {
			t.Errorf("returned %v with stderr %q, want a closed pipe and nothing said", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("live still runs 10 s after its output closed")
	}
}

// TestLiveSignals sends a real tcpshow live process SIGINT (Ctrl-C) and
// SIGTERM: it stops with status 0, prints its statistics and leaves a
// valid -w file.
func TestLiveSignals(t *testing.T) {
	skipUnlessCapture(t)
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sig.pcap")
			cmd := tcpshowCmd(t, append([]string{"live", "-w", path, "lo"}, portFilter(9)...)...)
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				if st, err := os.Stat(path); err == nil && st.Size() >= 24 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no capture file after 3 s (stderr %q)", errb.String())
				}
			}
			cmd.Process.Signal(sig)
			waited := make(chan error, 1)
			go func() { waited <- cmd.Wait() }()
			select {
			case err := <-waited:
				if err != nil {
					t.Fatalf("%v (stderr %q)", err, errb.String())
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still running 5 s after the signal")
			}
			if !strings.Contains(errb.String(), "captured,") {
				t.Errorf("stderr %q has no statistics", errb.String())
			}
			f, err := capture.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for {
				if _, err := f.Next(); err == io.EOF {
					break
				} else if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
