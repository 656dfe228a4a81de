//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/capture/traffic"
	"github.com/tcpshow/tcpshow/render"
)

// runProcess runs tcpshow in a process of its own, as users do (a live
// capture's buffers then do not count towards this process's memory), and
// returns its output and exit code.
func runProcess(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := tcpshowCmd(t, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	go func() {
		<-ctx.Done()
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
	}()
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// needCapture skips the test unless live capture on lo is permitted.
func needCapture(t *testing.T) {
	t.Helper()
	l, err := capture.OpenLive(capture.LiveOptions{Device: "lo", BufferSize: 1 << 20, QueueFrames: 16, QueueBytes: 1 << 16})
	if err != nil {
		t.Skipf("live capture on lo not possible here: %v", err)
	}
	l.Close()
}

// demoRun is what one tcpshow demo printed as JSON: its packets, and
// every call with the index of the packet it came with (len(packets) for
// the calls after the last packet).
type demoRun struct {
	packets []render.JSONPacket
	calls   []render.JSONCall
	callAt  []int
	stderr  string
}

// runDemoJSON runs tcpshow demo --format json SCENARIO in-process.
func runDemoJSON(t *testing.T, scenario string) demoRun {
	t.Helper()
	out, stderr, code := runProcess(t, "demo", "--format", "json", scenario)
	if code != exitOK {
		t.Fatalf("demo %s: exit %d: %s", scenario, code, stderr)
	}
	var d demoRun
	d.stderr = stderr
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte(`{"calls":`)) {
			var tail render.JSONCalls
			if err := json.Unmarshal(line, &tail); err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			for _, c := range tail.Calls {
				d.calls = append(d.calls, c)
				d.callAt = append(d.callAt, len(d.packets))
			}
			continue
		}
		var p render.JSONPacket
		if err := json.Unmarshal(line, &p); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		for _, c := range p.Calls {
			d.calls = append(d.calls, c)
			d.callAt = append(d.callAt, len(d.packets))
		}
		d.packets = append(d.packets, p)
	}
	return d
}

// has reports whether p carries exactly the TCP flags given.
func has(p *render.JSONPacket, flags ...string) bool {
	return p.TCP != nil && slices.Equal(p.TCP.Flags, flags)
}

// hasFlag reports whether p carries the TCP flag f.
func hasFlag(p *render.JSONPacket, f string) bool {
	return p.TCP != nil && slices.Contains(p.TCP.Flags, f)
}

// count counts the packets for which f holds.
func count(ps []render.JSONPacket, f func(p *render.JSONPacket) bool) int {
	n := 0
	for i := range ps {
		if f(&ps[i]) {
			n++
		}
	}
	return n
}

// server returns the port every packet of a demo run involves: the
// destination of the first packet.
func serverPort(d *demoRun) uint16 { return d.packets[0].DPort }

// fromClient reports whether p goes to the server.
func fromClient(d *demoRun, p *render.JSONPacket) bool { return p.DPort == serverPort(d) }

// TestDemoPatterns runs tcpshow demo for every scenario with live capture on
// lo and checks, through the decoder's JSON, that each shows the packet
// pattern it is named for and that each call comes with the packet it
// precedes.
func TestDemoPatterns(t *testing.T) {
	needCapture(t)
	tests := map[string]func(t *testing.T, d *demoRun){
		"hello": func(t *testing.T, d *demoRun) {
			ps := d.packets
			if len(ps) < 3 || !has(&ps[0], "SYN") || !has(&ps[1], "SYN", "ACK") || !has(&ps[2], "ACK") {
				t.Fatalf("no three-way handshake at the start")
			}
			checkData(t, d, 1, 1)
			checkFINs(t, d)
		},
		"refused": func(t *testing.T, d *demoRun) {
			ps := d.packets
			if len(ps) != 2 || !has(&ps[0], "SYN") || !has(&ps[1], "RST", "ACK") {
				t.Errorf("want SYN, RST-ACK; got %d packets", len(ps))
			}
			i := callIndex(d, "client", "connect")
			if i < 0 || d.calls[i].Result != "-1 ECONNREFUSED" || d.callAt[i] != 2 {
				t.Errorf("connect should return ECONNREFUSED after the RST: %+v at packet %d", d.calls[i], d.callAt[i])
			}
		},
		"udp": func(t *testing.T, d *demoRun) {
			if n := count(d.packets, func(p *render.JSONPacket) bool { return p.Proto != "udp" }); n > 0 || len(d.packets) != 2 {
				t.Errorf("%d packets, %d not UDP; want two datagrams and no handshake", len(d.packets), n)
			}
		},
		"boundaries": func(t *testing.T, d *demoRun) {
			var lens []int
			tcpData := 0
			for i := range d.packets {
				p := &d.packets[i]
				switch {
				case p.Proto == "udp" && fromClient(d, p):
					lens = append(lens, p.Len)
				case p.Proto == "tcp" && fromClient(d, p):
					tcpData += p.Len
				}
			}
			if !slices.Equal(lens, []int{3, 3, 5}) || tcpData != 12 {
				t.Errorf("UDP datagrams %v (want [3 3 5]), TCP bytes %d (want 12)", lens, tcpData)
			}
			r := callIndex(d, "server", "read")
			if r < 0 || d.calls[r].Result != "12 bytes" {
				t.Errorf("the server's read should return both writes")
			}
		},
		"echo": func(t *testing.T, d *demoRun) {
			checkData(t, d, 3, 3)
			checkFINs(t, d)
		},
		"halfclose": func(t *testing.T, d *demoRun) {
			fin, data := -1, -1
			for i := range d.packets {
				p := &d.packets[i]
				if fin < 0 && fromClient(d, p) && hasFlag(p, "FIN") {
					fin = i
				}
				if data < 0 && !fromClient(d, p) && p.Len > 0 {
					data = i
				}
			}
			if fin < 0 || data < fin {
				t.Errorf("the client's FIN (packet %d) should come before the server's data (packet %d)", fin, data)
			}
			checkFINs(t, d)
		},
		"reset": func(t *testing.T, d *demoRun) {
			if n := count(d.packets, func(p *render.JSONPacket) bool { return hasFlag(p, "FIN") }); n > 0 {
				t.Errorf("%d FINs, want none", n)
			}
			if n := count(d.packets, func(p *render.JSONPacket) bool { return fromClient(d, p) && hasFlag(p, "RST") }); n != 1 {
				t.Errorf("%d RSTs from the client, want 1", n)
			}
		},
		"backlog": func(t *testing.T, d *demoRun) {
			syns := map[uint16]int{}
			for i := range d.packets {
				if p := &d.packets[i]; has(p, "SYN") {
					syns[p.SPort]++
				}
			}
			retrans := count(d.packets, func(p *render.JSONPacket) bool {
				return has(p, "SYN") && slices.Contains(p.TCP.Analysis, "retransmission")
			})
			if len(syns) != 3 || slices.Max(mapValues(syns)) < 2 || retrans == 0 {
				t.Errorf("SYNs per client port %v, %d marked as retransmissions; want a third client whose SYN is retransmitted", syns, retrans)
			}
		},
		"ipv6": func(t *testing.T, d *demoRun) {
			if n := count(d.packets, func(p *render.JSONPacket) bool { return p.IP.Version != 6 || p.Src != "::1" }); n > 0 {
				t.Errorf("%d packets not over ::1", n)
			}
			checkData(t, d, 1, 1)
			checkFINs(t, d)
		},
		"zerowindow": func(t *testing.T, d *demoRun) {
			zero, probes, update := -1, 0, false
			for i := range d.packets {
				p := &d.packets[i]
				if p.TCP == nil || hasFlag(p, "RST") || hasFlag(p, "SYN") {
					continue
				}
				switch {
				case zero < 0 && !fromClient(d, p) && p.TCP.Window == 0:
					zero = i
				case zero >= 0 && fromClient(d, p) && p.Len <= 1 && !hasFlag(p, "FIN") &&
					(slices.Contains(p.TCP.Analysis, "zero_window_probe") || slices.Contains(p.TCP.Analysis, "keep_alive")):
					probes++
				case zero >= 0 && !fromClient(d, p) && p.TCP.Window > 0:
					update = true
				}
			}
			if zero < 0 || probes == 0 || !update {
				t.Errorf("zero window at packet %d, %d probes after it, window opened again %v", zero, probes, update)
			}
		},
	}
	if len(tests) != len(traffic.Scenarios()) {
		t.Errorf("%d scenarios, %d tested", len(traffic.Scenarios()), len(tests))
	}
	for _, s := range traffic.Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			check := tests[s.Name]
			if check == nil {
				t.Fatal("no test")
			}
			if _, err := traffic.FreePort(s.Loopback()); err != nil {
				t.Skipf("no %s here: %v", s.Loopback(), err)
			}
			d := runDemoJSON(t, s.Name)
			if len(d.packets) == 0 {
				t.Fatalf("no packets; stderr: %s", d.stderr)
			}
			checkCalls(t, &d)
			check(t, &d)
		})
	}
}

func mapValues(m map[uint16]int) []int {
	var v []int
	for _, n := range m {
		v = append(v, n)
	}
	return v
}

// callIndex returns the index of the first call of side named name, or -1.
func callIndex(d *demoRun, side, name string) int {
	for i, c := range d.calls {
		if c.Side == side && c.Call == name {
			return i
		}
	}
	return -1
}

// checkCalls checks that every call comes with the first packet captured
// after it returned, and that the calls start with socket().
func checkCalls(t *testing.T, d *demoRun) {
	t.Helper()
	if len(d.calls) == 0 || d.calls[0].Call != "socket" {
		t.Fatalf("calls %+v, want socket() first", d.calls)
	}
	for i, c := range d.calls {
		at := d.callAt[i]
		if at < len(d.packets) && !(c.Time < d.packets[at].Time) && !sameInstant(c.Time, d.packets[at].Time) {
			t.Errorf("%s %s returned at %s, after packet %d (%s) it came with", c.Side, c.Call, c.Time, d.packets[at].N, d.packets[at].Time)
		}
		if at > 0 && before(c.Time, d.packets[at-1].Time) {
			t.Errorf("%s %s returned at %s, before packet %d (%s), yet comes after it", c.Side, c.Call, c.Time, d.packets[at-1].N, d.packets[at-1].Time)
		}
	}
}

// before compares two RFC 3339 times of different precision.
func before(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Before(tb)
}

func sameInstant(a, b string) bool { return !before(a, b) && !before(b, a) }

// checkData checks the data segments each way.
func checkData(t *testing.T, d *demoRun, fromC, fromS int) {
	t.Helper()
	c := count(d.packets, func(p *render.JSONPacket) bool { return fromClient(d, p) && p.Len > 0 })
	s := count(d.packets, func(p *render.JSONPacket) bool { return !fromClient(d, p) && p.Len > 0 })
	if c != fromC || s != fromS {
		t.Errorf("data segments: %d from the client, %d from the server; want %d and %d", c, s, fromC, fromS)
	}
}

// checkFINs checks that both sides sent a FIN and nobody a RST.
func checkFINs(t *testing.T, d *demoRun) {
	t.Helper()
	c := count(d.packets, func(p *render.JSONPacket) bool { return fromClient(d, p) && hasFlag(p, "FIN") })
	s := count(d.packets, func(p *render.JSONPacket) bool { return !fromClient(d, p) && hasFlag(p, "FIN") })
	r := count(d.packets, func(p *render.JSONPacket) bool { return hasFlag(p, "RST") })
	if c != 1 || s != 1 || r != 0 {
		t.Errorf("FINs: %d from the client, %d from the server, %d RSTs; want 1, 1, 0", c, s, r)
	}
}

// TestDemoLadder checks where the ladder puts the calls of hello and
// refused: connect() just above the SYN on the client's lane, accept()
// after the handshake's last ACK on the server's, ECONNREFUSED right after
// the RST. It logs how long demo hello took (the time is a user-facing
// promise, about two seconds, but not something a test on a shared machine
// can hold).
func TestDemoLadder(t *testing.T) {
	needCapture(t)
	start := time.Now()
	out, stderr, code := runProcess(t, "demo", "--ascii", "hello")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Logf("demo hello took %v", time.Since(start).Round(time.Millisecond))
	lines := strings.Split(out, "\n")
	find := func(s string) int {
		for i, l := range lines {
			if strings.Contains(l, s) {
				return i
			}
		}
		t.Fatalf("no %q in\n%s", s, out)
		return -1
	}
	connect, syn, ack, accept := find("connect(fd"), find("SYN seq 0"), find(" ACK ack 1 "), find("accept(fd")
	if syn != connect+1 || accept <= ack || ack < syn {
		t.Errorf("connect at line %d, SYN %d, final ACK %d, accept %d: want connect right above the SYN and accept after the ACK\n%s", connect, syn, ack, accept, out)
	}
	// The client's calls are on the left lane, the server's on the right.
	if l := lines[connect]; strings.Index(l, "connect(") > len(l)/2 {
		t.Errorf("connect is not on the client's (left) lane: %q", l)
	}
	if l := lines[accept]; strings.Index(l, "accept(") < len(l)/3 {
		t.Errorf("accept is not on the server's (right) lane: %q", l)
	}

	out, stderr, code = runProcess(t, "demo", "--ascii", "refused")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines = strings.Split(out, "\n")
	rst, refused := find("RST,ACK"), find("ECONNREFUSED")
	if refused != rst+1 {
		t.Errorf("RST at line %d, ECONNREFUSED at %d: want it right beside the RST\n%s", rst, refused, out)
	}
}

// TestLiveGenerate runs live --generate with -c so that it stops by itself
// after the handshake and checks that calls come with the packets.
func TestLiveGenerate(t *testing.T) {
	needCapture(t)
	port, err := traffic.FreePort(netipLoopback4())
	if err != nil {
		t.Fatal(err)
	}
	s, errs, code := runProcess(t, "live", "--format", "lines", "--generate", "hello", "--server-port", itoa(int(port)), "-c", "10", "--duration", "10s", "lo", "port", itoa(int(port)))
	if code == exitError && strings.Contains(errs, "bad filter") {
		t.Skipf("this build cannot filter, and lo carries other traffic: %s", errs)
	}
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Count(s, " IP ") != 10 || !strings.Contains(s, "CALL client") || !strings.Contains(s, ": connect(") {
		t.Errorf("want 10 packets among the calls:\n%s", s)
	}
	if _, _, code := runCmd(t, nil, "live", "--generate", "nosuch", "lo"); code != exitUsage {
		t.Errorf("live --generate nosuch: exit %d, want %d", code, exitUsage)
	}
}

func netipLoopback4() netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 0, 1}) }

func itoa(n int) string { return strconv.Itoa(n) }
