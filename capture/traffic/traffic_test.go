//go:build linux || darwin

package traffic_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcpshow/tcpshow/capture/traffic"
)

// find returns the calls of side named name, in order.
func find(calls []traffic.Call, side traffic.Side, name string) []traffic.Call {
	var out []traffic.Call
	for _, c := range calls {
		if c.Side == side && c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// index returns the position of the first call of side named name with
// data d (any data if d is nil), or -1.
func index(calls []traffic.Call, side traffic.Side, name string, d []byte) int {
	for i, c := range calls {
		if c.Side == side && c.Name == name && (d == nil || bytes.Equal(c.Data, d)) {
			return i
		}
	}
	return -1
}

func TestScenarios(t *testing.T) {
	hello, server := []byte("Hello from client"), []byte("Hello from server")
	tests := []struct {
		name  string
		check func(t *testing.T, calls []traffic.Call)
	}{
		{"hello", func(t *testing.T, calls []traffic.Call) {
			w, r := index(calls, traffic.Client, "write", hello), index(calls, traffic.Server, "read", hello)
			if w < 0 || r < w {
				t.Errorf("server read of %q (call %d) does not follow the client's write (call %d)", hello, r, w)
			}
			if index(calls, traffic.Client, "read", server) < 0 {
				t.Errorf("client never read %q", server)
			}
			acc := find(calls, traffic.Server, "accept")
			if len(acc) != 1 || !strings.HasPrefix(acc[0].Result, "fd ") || acc[0].Peer != find(calls, traffic.Client, "connect")[0].Local {
				t.Errorf("accept = %+v, want one accept of the client's connection", acc)
			}
		}},
		{"refused", func(t *testing.T, calls []traffic.Call) {
			c := find(calls, traffic.Client, "connect")
			if len(c) != 1 || c[0].Errno != unix.ECONNREFUSED || c[0].Result != "-1 ECONNREFUSED" {
				t.Fatalf("connect = %+v, want ECONNREFUSED", c)
			}
			if !c[0].Local.IsValid() || c[0].Local.Port() == 0 || !c[0].Local.Addr().IsLoopback() {
				t.Errorf("refused connect's local endpoint %v, want the loopback address and the port its SYN left from", c[0].Local)
			}
			if len(find(calls, traffic.Server, "listen")) != 0 {
				t.Error("the refusing side listens")
			}
		}},
		{"udp", func(t *testing.T, calls []traffic.Call) {
			if len(find(calls, traffic.Client, "connect")) != 0 || len(find(calls, traffic.Server, "accept")) != 0 {
				t.Error("udp connects or accepts")
			}
			if index(calls, traffic.Server, "recvfrom", hello) < 0 || index(calls, traffic.Client, "recvfrom", server) < 0 {
				t.Error("a datagram was not received whole")
			}
		}},
		{"boundaries", func(t *testing.T, calls []traffic.Call) {
			var tcpWrites, tcpReads, sent, recvd []traffic.Call
			for _, c := range calls {
				switch {
				case c.Name == "write" && c.Side == traffic.Client:
					tcpWrites = append(tcpWrites, c)
				case c.Name == "read" && c.Side == traffic.Server && c.Ret > 0:
					tcpReads = append(tcpReads, c)
				case c.Name == "sendto":
					sent = append(sent, c)
				case c.Name == "recvfrom":
					recvd = append(recvd, c)
				}
			}
			if len(tcpWrites) != 2 || len(tcpReads) != 1 || len(tcpReads[0].Data) != len(tcpWrites[0].Data)+len(tcpWrites[1].Data) {
				t.Errorf("TCP: %d writes read in %d reads, want 2 writes in one read", len(tcpWrites), len(tcpReads))
			}
			if len(sent) != 3 || len(recvd) != 3 {
				t.Fatalf("UDP: %d sendto, %d recvfrom, want 3 and 3", len(sent), len(recvd))
			}
			for i := range sent {
				if !bytes.Equal(sent[i].Data, recvd[i].Data) {
					t.Errorf("datagram %d sent %q, received %q", i, sent[i].Data, recvd[i].Data)
				}
			}
		}},
		{"echo", func(t *testing.T, calls []traffic.Call) {
			ws, rs := find(calls, traffic.Client, "write"), find(calls, traffic.Client, "read")
			if len(ws) != 3 || len(rs) != 3 {
				t.Fatalf("client wrote %d and read %d times, want 3 and 3", len(ws), len(rs))
			}
			for i := range ws {
				if !bytes.Equal(ws[i].Data, rs[i].Data) {
					t.Errorf("line %d: sent %q, echoed %q", i, ws[i].Data, rs[i].Data)
				}
			}
		}},
		{"halfclose", func(t *testing.T, calls []traffic.Call) {
			sh := index(calls, traffic.Client, "shutdown", nil)
			eof := -1
			for i, c := range calls {
				if c.Side == traffic.Server && c.Name == "read" && c.Ret == 0 {
					eof = i
				}
			}
			w := index(calls, traffic.Server, "write", server)
			r := index(calls, traffic.Client, "read", server)
			if sh < 0 || eof < sh || w < eof || r < w {
				t.Errorf("order shutdown %d, server EOF %d, server write %d, client read %d: want increasing", sh, eof, w, r)
			}
		}},
		{"reset", func(t *testing.T, calls []traffic.Call) {
			var reads []traffic.Call
			for _, c := range find(calls, traffic.Server, "read") {
				if c.Failed() {
					reads = append(reads, c)
				}
			}
			if len(reads) != 1 || reads[0].Errno != unix.ECONNRESET {
				t.Errorf("failed server reads %+v, want one ECONNRESET", reads)
			}
		}},
		{"backlog", func(t *testing.T, calls []traffic.Call) {
			c := find(calls, traffic.Client, "connect")
			if len(c) != 3 || c[2].Errno != unix.EINPROGRESS {
				t.Fatalf("connects %+v, want a third one in progress", c)
			}
			p := find(calls, traffic.Client, "poll")
			if len(p) != 2 || p[0].Ret != 0 || p[1].Ret != 1 {
				t.Fatalf("polls %+v, want a timeout then the connection", p)
			}
			if d := p[1].Time.Sub(c[2].Time); d < time.Second {
				t.Errorf("third connection took %v, want over a second (a SYN retransmission)", d)
			}
			if n := len(find(calls, traffic.Server, "accept")); n != 3 {
				t.Errorf("%d accepts, want 3", n)
			}
		}},
		{"ipv6", func(t *testing.T, calls []traffic.Call) {
			for _, c := range calls {
				if !c.Local.Addr().Is6() || c.Local.Addr() != c.Local.Addr().Unmap() || !c.Local.Addr().IsLoopback() {
					t.Fatalf("%s %s on %v, want ::1", c.Side, c.Name, c.Local)
				}
			}
			if index(calls, traffic.Client, "read", server) < 0 {
				t.Error("client never read the server's hello")
			}
		}},
		{"zerowindow", func(t *testing.T, calls []traffic.Call) {
			sent, got, again := 0, 0, false
			for _, c := range calls {
				switch {
				case c.Name == "write" && c.Side == traffic.Client && c.Errno == unix.EAGAIN:
					again = true
				case c.Name == "write" && c.Side == traffic.Client:
					sent += c.Ret
				case c.Name == "read" && c.Side == traffic.Server:
					got += c.Ret
				}
			}
			if !again || sent == 0 || got != sent {
				t.Errorf("client wrote %d bytes (EAGAIN %v), server read %d", sent, again, got)
			}
		}},
	}
	names := traffic.Names()
	if len(names) != len(tests) {
		t.Errorf("%d scenarios (%v), %d tested", len(names), names, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "ipv6" && !hasIPv6() {
				t.Skip("no ::1 on this machine")
			}
			fds := openFDs(t)
			start := time.Now()
			res, err := traffic.Run(context.Background(), tt.name, traffic.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			checkCommon(t, res.Calls)
			tt.check(t, res.Calls)
			if n := openFDs(t); fds >= 0 && n != fds {
				t.Errorf("%d open files before, %d after", fds, n)
			}
		})
	}
}

// checkCommon checks what holds for every scenario: calls in time order,
// every socket's endpoints known, every socket closed.
func checkCommon(t *testing.T, calls []traffic.Call) {
	t.Helper()
	if len(calls) == 0 {
		t.Fatal("no calls")
	}
	open := map[int]bool{}
	for i, c := range calls {
		if i > 0 && c.Time.Before(calls[i-1].Time) {
			t.Errorf("call %d (%s) returned before call %d", i, c.Name, i-1)
		}
		if c.Side != traffic.Client && c.Side != traffic.Server {
			t.Errorf("call %d: side %q", i, c.Side)
		}
		if !c.Local.IsValid() || c.Local.Port() == 0 || !c.Local.Addr().IsLoopback() {
			t.Errorf("call %d %s %s(%s): local endpoint %v", i, c.Side, c.Name, c.Args, c.Local)
		}
		if c.Failed() != strings.HasPrefix(c.Result, "-1 ") {
			t.Errorf("call %d %s: result %q, errno %v", i, c.Name, c.Result, c.Errno)
		}
		switch c.Name {
		case "socket":
			open[c.FD] = true
		case "accept":
			open[c.Ret] = true
		case "close":
			delete(open, c.FD)
		}
	}
	if len(open) != 0 {
		t.Errorf("sockets left open: %v", open)
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := traffic.Run(context.Background(), "nosuch", traffic.Options{}); err == nil || !strings.Contains(err.Error(), "hello") {
		t.Errorf("unknown scenario: %v, want an error listing the scenarios", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	fds := openFDs(t)
	res, err := traffic.Run(ctx, "hello", traffic.Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v, want context.Canceled", err)
	}
	if len(res.Calls) > 5 {
		t.Errorf("cancelled run made %d calls", len(res.Calls))
	}
	if n := openFDs(t); fds >= 0 && n != fds {
		t.Errorf("%d open files before, %d after", fds, n)
	}
	// A timeout shorter than the backlog scenario's wait stops it early.
	start := time.Now()
	if _, err := traffic.Run(context.Background(), "backlog", traffic.Options{Timeout: 200 * time.Millisecond}); err == nil {
		t.Error("backlog with a 200ms timeout succeeded")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("backlog with a 200ms timeout took %v", d)
	}
}

func TestPort(t *testing.T) {
	// Ask for a port the kernel just gave out and released.
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}})
	sa, _ := unix.Getsockname(fd)
	unix.Close(fd)
	port := uint16(sa.(*unix.SockaddrInet4).Port)
	res, err := traffic.Run(context.Background(), "hello", traffic.Options{Port: port})
	if err != nil {
		t.Fatal(err)
	}
	if l := res.Calls[0].Local; l.Port() != port {
		t.Errorf("server on %v, want port %d", l, port)
	}
}

// openFDs counts this process's open files, or returns -1 where it cannot.
func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// hasIPv6 reports whether ::1 can be bound.
func hasIPv6() bool {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	return unix.Bind(fd, &unix.SockaddrInet6{Addr: [16]byte{15: 1}}) == nil
}
