package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// memPackets is at least the size of the benchmark capture `make bench`
// records (219,592 packets); the memory test replays ten times that.
const memPackets = 400000

// memPorts is how many client ports the memory test's input cycles
// through for each template (see replicaTemplates). Each TCP repetition is
// a new connection that ends with FIN and is let go. UDP exchanges never
// end: the Tracker holds them until MaxConversations evicts them, so the
// UDP repetitions reuse a few ports, as a DNS client would, and what the
// 10× input adds is packets and ended connections, not open ones.
var memPorts = []int{replicaPorts, replicaPorts, 200}

// memLimit is the peak RSS tcpshow must stay under on any capture.
const memLimit = 64 << 20

// TestMemoryFlat replays a capture of memPackets frames and one ten times
// larger, real frames from testdata repeated with shifted ports and times
// and streamed through a pipe, in a tcpshow process of its own for each
// format, and checks that the larger file needs no more memory.
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("replays 4.4 million packets per format; skipped with -short")
	}
	groups := loadTemplates(t)
	// The formats that stream packet by packet. (summary and ladder hold
	// conversations until the Tracker lets them go; summary's peak RSS
	// still grows from about 23 to 33 MiB between these two inputs, and the
	// ladder is too slow for millions of packets in a test.)
	formats := []string{"lines", "json"}
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			small := peakRSS(t, groups, format, memPackets)
			big := peakRSS(t, groups, format, 10*memPackets)
			t.Logf("peak RSS %.1f MiB for %d packets, %.1f MiB for %d", mib(small), memPackets, mib(big), 10*memPackets)
			if limit := small + max(small/4, 4<<20); big > limit {
				t.Errorf("peak RSS grew from %.1f MiB to %.1f MiB for ten times the packets", mib(small), mib(big))
			}
			if big >= memLimit {
				t.Errorf("peak RSS %.1f MiB, want under %.0f MiB", mib(big), mib(memLimit))
			}
		})
	}
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// peakRSS runs tcpshow replay in format over packets frames written into its
// standard input and returns the process's peak resident set size in bytes.
func peakRSS(t *testing.T, groups [][]templateFrame, format string, packets int) int64 {
	t.Helper()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := tcpshowCmd(t, "replay", "--format", format, "-")
	cmd.Stdin = pr
	var stderr bytes.Buffer
	cmd.Stderr = &stderr // stdout is /dev/null
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	hwm := watchHWM(cmd.Process.Pid)
	genErr := make(chan error, 1)
	go func() {
		err := writeReplicas(pw, groups, packets, memPorts)
		pw.Close()
		genErr <- err
	}()
	err = cmd.Wait()
	if gerr := <-genErr; gerr != nil {
		t.Fatalf("writing the capture: %v", gerr)
	}
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("tcpshow replay --format %s: %v: %s", format, err, stderr.String())
	}
	if peak := hwm(); peak > 0 {
		return peak
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no resource usage on this system")
	}
	return ru.Maxrss << 10 // kilobytes on Linux
}

// watchHWM samples the peak resident set size (VmHWM) of process pid from
// /proc until the returned function is called, which returns the highest
// sample in bytes, or 0 where /proc does not say. The child's rusage is no
// use on Linux: its ru_maxrss starts at the parent's peak, carried across
// the exec of a process forked with a shared address space, so a test
// process that once used much memory would seem to pass it on. The status
// file is opened once: reads through it fail once the process is gone,
// where opening it by number could reach another process that reused the
// pid (pid numbers wrap quickly on a busy machine).
func watchHWM(pid int) func() int64 {
	stop := make(chan struct{})
	done := make(chan int64)
	go func() {
		var peak int64
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			<-stop
			done <- 0
			return
		}
		defer f.Close()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		buf := make([]byte, 8192)
		for {
			if n, err := f.ReadAt(buf, 0); n > 0 && (err == nil || err == io.EOF) {
				for _, l := range strings.Split(string(buf[:n]), "\n") {
					if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
						if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
							peak = max(peak, kb<<10)
						}
					}
				}
			}
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		return <-done
	}
}
