// Command bench measures tcpshow against tcpdump, tshark and tcptrace on a
// large real loopback capture and prints the comparison as a Markdown table.
// `make bench` builds tcpshow and the load program and runs it.
//
// Usage:
//
//	go run ./testdata/bench -tcpshow ./tcpshow -load LOADPROG [-dir DIR] [-runs N]
//
// The capture is recorded once into DIR (default .cache/bench, outside what
// git tracks) with tcpdump on lo while LOADPROG (testdata/load) makes
// traffic on 127.0.0.1, and reused by later runs; delete it to record a new
// one. A file ten times larger, the same packets repeated with later
// timestamps, is written beside it for the memory check.
//
// Every command runs with its output to /dev/null; the table gives its
// wall-clock time (the best of -runs), CPU time and peak resident memory
// (from getrusage), tcpshow and the reference tool side by side in the same
// row, and how many times faster tcpshow is. Tools that are not installed
// are marked so. The table is also written to DIR/table.md.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.tcpshow, "tcpshow", "./tcpshow", "the tcpshow binary to measure")
	flag.StringVar(&cfg.load, "load", "", "the load program (testdata/load) to record the capture with")
	flag.StringVar(&cfg.dir, "dir", ".cache/bench", "where the capture is kept")
	flag.IntVar(&cfg.runs, "runs", 3, "runs of each command; the fastest counts")
	flag.IntVar(&cfg.short, "short", 12000, "short connections in a new capture")
	flag.IntVar(&cfg.chatty, "chatty", 50000, "round trips of the chatty connection in a new capture")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type config struct {
	tcpshow, load, dir string
	runs               int
	short, chatty      int
}

// loadPort is the first of the two ports the load program listens on; the
// capture filter keeps only their traffic, not whatever else uses lo.
const loadPort = 47310

// growFactor is how many times the large file repeats the capture.
const growFactor = 10

// slowRun is how long a run may take before the command is not run again.
const slowRun = 10 * time.Second

func run(cfg config) error {
	if cfg.runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	if err := os.MkdirAll(cfg.dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(cfg.dir, "loopback.pcap")
	if _, err := os.Stat(base); err != nil {
		if err := record(cfg, base); err != nil {
			return fmt.Errorf("record %s: %w", base, err)
		}
	}
	big := filepath.Join(cfg.dir, fmt.Sprintf("loopback-x%d.pcap", growFactor))
	if fresh, _ := newer(big, base); !fresh {
		fmt.Fprintf(os.Stderr, "bench: writing %s (%d× %s)\n", big, growFactor, base)
		if err := grow(base, big, growFactor); err != nil {
			return fmt.Errorf("write %s: %w", big, err)
		}
	}
	baseInfo, err := describe(base)
	if err != nil {
		return err
	}
	bigInfo, err := describe(big)
	if err != nil {
		return err
	}

	var t table
	made := "recorded on lo"
	if b, err := os.ReadFile(base + ".txt"); err == nil {
		// What the load program said when the capture was recorded.
		made = strings.TrimPrefix(strings.TrimSpace(string(b)), "load: ")
	}
	t.title = fmt.Sprintf("%s: %s packets, %s (%s; one chatty connection with Nagle off, on 127.0.0.1)",
		filepath.Base(base), thousands(baseInfo.packets), mib(baseInfo.size), made)
	t.machine = machine()
	m := measurer{runs: cfg.runs}

	summary := supportsFormat(cfg.tcpshow, "summary")
	floor := m.measure("cat", "sh", "-c", `cat "$1" >/dev/null`, "cat", base)
	t.floor = floor

	pairs := []struct {
		format, target string
		factor         float64
		ref            []string
	}{
		{"lines", "≥ 4×", 4, []string{"tcpdump", "-nn", "-r", base}},
		{"json", "≥ 20×", 20, []string{"tshark", "-r", base, "-T", "json"}},
		{"summary", "≥ 1×", 1, []string{"tcptrace", "-n", base}},
		{"summary", "≥ 1×", 1, []string{"tshark", "-r", base, "-q", "-z", "conv,tcp"}},
	}
	ours := map[string]result{}
	for _, p := range pairs {
		fmt.Fprintf(os.Stderr, "bench: %s: tcpshow vs %s\n", p.format, strings.Join(p.ref[:len(p.ref)-1], " "))
		r := row{format: p.format, target: p.target, factor: p.factor, ref: refName(p.ref, base)}
		if p.format == "summary" && !summary {
			r.ours = result{note: "not available"}
		} else if o, ok := ours[p.format]; ok {
			r.ours = o
		} else {
			r.ours = m.measure(cfg.tcpshow, cfg.tcpshow, "replay", "--format", p.format, base)
			ours[p.format] = r.ours
		}
		r.theirs = m.measure(p.ref[0], p.ref[0], p.ref[1:]...)
		t.rows = append(t.rows, r)
	}

	t.bigTitle = fmt.Sprintf("%s: %s packets, %s (%d copies of the capture, timestamps shifted)",
		filepath.Base(big), thousands(bigInfo.packets), mib(bigInfo.size), growFactor)
	once := measurer{runs: 1}
	t.bigFloor = once.measure("cat", "sh", "-c", `cat "$1" >/dev/null`, "cat", big)
	for _, f := range []string{"lines", "json", "summary"} {
		fmt.Fprintf(os.Stderr, "bench: %s on %s\n", f, filepath.Base(big))
		mr := memRow{format: f, small: ours[f]}
		if f == "summary" && !summary {
			mr.big = result{note: "not available"}
		} else {
			mr.big = once.measure(cfg.tcpshow, cfg.tcpshow, "replay", "--format", f, big)
		}
		t.mem = append(t.mem, mr)
	}

	var out bytes.Buffer
	t.write(&out)
	os.Stdout.Write(out.Bytes())
	return os.WriteFile(filepath.Join(cfg.dir, "table.md"), out.Bytes(), 0o644)
}

// record captures the load program's traffic on lo with tcpdump into path.
func record(cfg config, path string) error {
	if cfg.load == "" {
		return errors.New("no capture yet and no -load program to record one with")
	}
	if _, err := exec.LookPath("tcpdump"); err != nil {
		return errors.New("tcpdump is not installed (apt-get install tcpdump)")
	}
	tmp := path + ".tmp"
	filter := fmt.Sprintf("tcp and host 127.0.0.1 and (port %d or port %d)", loadPort, loadPort+1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	td := exec.CommandContext(ctx, "tcpdump", "-i", "lo", "-n", "-s", "0", "-B", "131072", "-w", tmp, filter)
	stderr, err := td.StderrPipe()
	if err != nil {
		return err
	}
	if err := td.Start(); err != nil {
		return err
	}
	// tcpdump says "listening on lo" once it captures.
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var tail []string
	ready := false
	for !ready {
		select {
		case l, ok := <-lines:
			if !ok {
				td.Wait()
				return fmt.Errorf("tcpdump stopped: %s", strings.Join(tail, "; "))
			}
			tail = append(tail, l)
			ready = strings.Contains(l, "listening on")
		case <-time.After(10 * time.Second):
			td.Process.Kill()
			td.Wait()
			return errors.New("tcpdump did not start listening within 10s")
		}
	}
	fmt.Fprintf(os.Stderr, "bench: recording %s on lo (%d short connections, %d chatty round trips)\n", path, cfg.short, cfg.chatty)
	load := exec.CommandContext(ctx, cfg.load, "-short", strconv.Itoa(cfg.short), "-chatty", strconv.Itoa(cfg.chatty),
		"-port", strconv.Itoa(loadPort), "-timeout", "90s")
	var said bytes.Buffer
	load.Stdout, load.Stderr = io.MultiWriter(os.Stderr, &said), os.Stderr
	loadErr := load.Run()
	time.Sleep(500 * time.Millisecond) // let the last packets reach tcpdump
	td.Process.Signal(os.Interrupt)
	tail = tail[:0]
	for l := range lines {
		tail = append(tail, l)
	}
	if err := td.Wait(); err != nil && !isInterrupt(err) {
		return fmt.Errorf("tcpdump: %v: %s", err, strings.Join(tail, "; "))
	}
	if loadErr != nil {
		return fmt.Errorf("load: %w", loadErr)
	}
	for _, l := range tail {
		if m := regexp.MustCompile(`^(\d+) packets dropped by kernel`).FindStringSubmatch(l); m != nil && m[1] != "0" {
			fmt.Fprintf(os.Stderr, "bench: note: the kernel dropped %s packets while recording\n", m[1])
		}
	}
	if err := os.WriteFile(path+".txt", said.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// isInterrupt reports whether err is a process ending on SIGINT.
func isInterrupt(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGINT
}

// newer reports whether a exists and is newer than b.
func newer(a, b string) (bool, error) {
	sa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	sb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return sa.ModTime().After(sb.ModTime()), nil
}

// grow writes n copies of the pcap file in to out, each copy's timestamps
// shifted to start a second after the one before ended.
func grow(in, out string, n int) error {
	tmp := out + ".tmp"
	o, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer o.Close()
	bw := bufio.NewWriterSize(o, 1<<20)
	var w *pcapgo.Writer
	var shift time.Duration
	for k := range n {
		f, err := os.Open(in)
		if err != nil {
			return err
		}
		r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			f.Close()
			return err
		}
		if w == nil {
			w = pcapgo.NewWriterNanos(bw)
			if err := w.WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
				f.Close()
				return err
			}
		}
		var first, last time.Time
		for {
			data, ci, err := r.ZeroCopyReadPacketData()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				f.Close()
				return fmt.Errorf("copy %d: %w", k+1, err)
			}
			if first.IsZero() {
				first = ci.Timestamp
			}
			last = ci.Timestamp
			ci.Timestamp = ci.Timestamp.Add(shift)
			if err := w.WritePacket(ci, data); err != nil {
				f.Close()
				return err
			}
		}
		f.Close()
		shift += last.Sub(first) + time.Second
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := o.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, out)
}

// fileInfo is what the table says about a capture.
type fileInfo struct {
	packets int
	size    int64
}

// describe counts the packets of a pcap file.
func describe(path string) (fileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return fileInfo{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fileInfo{}, err
	}
	r, err := pcapgo.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return fileInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	n := 0
	for {
		_, _, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			return fileInfo{packets: n, size: st.Size()}, nil
		}
		if err != nil {
			return fileInfo{}, fmt.Errorf("%s: %w", path, err)
		}
		n++
	}
}

// supportsFormat reports whether the tcpshow binary has the output format.
func supportsFormat(tcpshow, format string) bool {
	cmd := exec.Command(tcpshow, "replay", "--format", format, "testdata/handshake.pcap")
	return cmd.Run() == nil
}

// result is one command's measurement.
type result struct {
	wall, cpu time.Duration
	rssKiB    int64
	note      string // "not installed", "not available" or what failed
}

func (r result) ok() bool { return r.note == "" }

// measurer runs commands and keeps the best of runs.
type measurer struct{ runs int }

// measure runs name with args (output to /dev/null) up to m.runs times and
// returns the fastest wall time, the least CPU time and the largest peak RSS.
// tool is the program that must be installed.
func (m measurer) measure(tool, name string, args ...string) result {
	if _, err := exec.LookPath(tool); err != nil {
		return result{note: "not installed"}
	}
	best := result{}
	for i := range m.runs {
		r := runOnce(name, args...)
		if !r.ok() {
			return r
		}
		if i == 0 || r.wall < best.wall {
			best.wall = r.wall
		}
		if i == 0 || r.cpu < best.cpu {
			best.cpu = r.cpu
		}
		best.rssKiB = max(best.rssKiB, r.rssKiB)
		if r.wall > slowRun {
			break
		}
	}
	return best
}

// timeTool measures peak RSS exactly: getrusage on a child of this
// program counts this program's own memory too (Linux carries the peak of
// the forking process over exec), so children run under time(1) where it
// is installed.
const timeTool = "/usr/bin/time"

// runOnce runs a command with its output to /dev/null.
func runOnce(name string, args ...string) result {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return result{note: err.Error()}
	}
	defer null.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	var report string
	if _, err := os.Stat(timeTool); err == nil {
		f, err := os.CreateTemp("", "bench-time")
		if err != nil {
			return result{note: err.Error()}
		}
		f.Close()
		report = f.Name()
		defer os.Remove(report)
		cmd = exec.Command(timeTool, append([]string{"-f", "%e %U %S %M", "-o", report, name}, args...)...)
	}
	cmd.Stdout = null
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		return result{note: fmt.Sprintf("failed: %v %s", err, msg)}
	}
	r := result{wall: wall, cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rssKiB = ru.Maxrss // kilobytes on Linux
	}
	if report != "" {
		b, err := os.ReadFile(report)
		if err != nil {
			return result{note: err.Error()}
		}
		var e, u, s float64
		var m int64
		if _, err := fmt.Sscanf(lastLine(string(b)), "%f %f %f %d", &e, &u, &s, &m); err != nil {
			return result{note: fmt.Sprintf("time(1) said %q", b)}
		}
		r.cpu = time.Duration((u + s) * float64(time.Second))
		r.rssKiB = m
	}
	return r
}

// lastLine returns the last non-empty line of s.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// refName is how the table names a reference command.
func refName(cmd []string, file string) string {
	var parts []string
	for _, a := range cmd {
		if a == file {
			a = "FILE"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// row compares tcpshow with one reference tool.
type row struct {
	format, target string
	factor         float64
	ref            string
	ours, theirs   result
}

// memRow holds the memory check of one format on the large file.
type memRow struct {
	format     string
	small, big result
}

// table is the whole report.
type table struct {
	title, machine string
	floor          result
	rows           []row
	bigTitle       string
	bigFloor       result
	mem            []memRow
}

// rssLimit is the peak RSS tcpshow must stay under on any file.
const rssLimit = 64 << 10 // KiB

func (t *table) write(w io.Writer) {
	fmt.Fprintf(w, "%s  \n%s\n\n", t.title, t.machine)
	fmt.Fprintln(w, "| output | tcpshow time | CPU | peak RSS | reference | time | CPU | peak RSS | tcpshow faster by | target |")
	fmt.Fprintln(w, "|---|--:|--:|--:|---|--:|--:|--:|--:|---|")
	fmt.Fprintf(w, "| floor | | | | cat FILE > /dev/null | %s | %s | %s | | |\n", secs(t.floor), cpu(t.floor), rss(t.floor))
	for _, r := range t.rows {
		ratio, verdict := "", ""
		if r.ours.ok() && r.theirs.ok() {
			x := r.theirs.wall.Seconds() / r.ours.wall.Seconds()
			ratio = fmt.Sprintf("%.1f× (CPU %.1f×)", x, r.theirs.cpu.Seconds()/max(r.ours.cpu.Seconds(), 0.005))
			verdict = " met"
			if x < r.factor {
				verdict = " **not met**"
			}
			if r.ours.rssKiB >= rssLimit {
				verdict += " (RSS over 64 MiB)"
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s%s |\n", r.format,
			secs(r.ours), cpu(r.ours), rss(r.ours), r.ref, secs(r.theirs), cpu(r.theirs), rss(r.theirs), ratio, r.target, verdict)
	}
	fmt.Fprintf(w, "\nMemory on a file %d× larger: %s\n\n", growFactor, t.bigTitle)
	fmt.Fprintln(w, "| output | time | CPU | peak RSS | peak RSS on the 1× file | target |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|---|")
	fmt.Fprintf(w, "| cat FILE > /dev/null | %s | %s | %s | | |\n", secs(t.bigFloor), cpu(t.bigFloor), rss(t.bigFloor))
	for _, m := range t.mem {
		verdict := ""
		if m.big.ok() {
			verdict = " met"
			if m.big.rssKiB >= rssLimit {
				verdict = " **not met**"
			}
		}
		fmt.Fprintf(w, "| tcpshow replay --format %s | %s | %s | %s | %s | < 64 MiB%s |\n", m.format,
			secs(m.big), cpu(m.big), rss(m.big), rss(m.small), verdict)
	}
	fmt.Fprintln(w, "\nTimes are wall-clock, the best of the runs, with output to /dev/null; CPU is user plus system time; peak RSS is the kernel's maximum resident set size of the process (from time(1) where it is installed). The speed-up is the reference's time over tcpshow's, wall-clock and, in brackets, CPU.")
}

func secs(r result) string {
	if !r.ok() {
		return r.note
	}
	return fmt.Sprintf("%.2f s", r.wall.Seconds())
}

func cpu(r result) string {
	if !r.ok() {
		return ""
	}
	return fmt.Sprintf("%.2f s", r.cpu.Seconds())
}

func rss(r result) string {
	if !r.ok() {
		return ""
	}
	return fmt.Sprintf("%.1f MiB", float64(r.rssKiB)/1024)
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// thousands writes n with thin separators: 399,464.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// machine describes where the table was measured.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for l := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	gov := runtime.Version()
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		gov = strings.TrimSpace(string(out))
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			load = ", load average " + f[0] + " at the start"
		}
	}
	return fmt.Sprintf("Machine: %s, %d cores, %s %s/%s, %s%s.", model, runtime.NumCPU(), gov, runtime.GOOS, runtime.GOARCH,
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), load)
}
