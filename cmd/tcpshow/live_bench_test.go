package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
)

// lineCounter counts the lines written to it and keeps none of them.
type lineCounter struct{ n int }

func (c *lineCounter) Write(b []byte) (int, error) {
	c.n += bytes.Count(b, []byte{'\n'})
	return len(b), nil
}

// benchEnv returns the integer in environment variable name, or def.
func benchEnv(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// blast sends pps UDP datagrams a second to addr for d, in bursts paced by
// the clock, and returns how many it sent.
func blast(ctx context.Context, addr *net.UDPAddr, pps int, d time.Duration) (int, error) {
	c, err := net.DialUDP("udp", nil, addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	payload := make([]byte, 32)
	total := int(int64(pps) * int64(d) / int64(time.Second))
	start := time.Now()
	sent := 0
	for sent < total && ctx.Err() == nil {
		// Catch up with the schedule, then wait for the next millisecond.
		due := min(total, int(int64(time.Since(start))*int64(pps)/int64(time.Second))+pps/1000)
		for ; sent < due; sent++ {
			payload[0], payload[1], payload[2], payload[3] = byte(sent), byte(sent>>8), byte(sent>>16), byte(sent>>24)
			if _, err := c.Write(payload); err != nil {
				// A full socket buffer on loopback (ENOBUFS): try again.
				time.Sleep(50 * time.Microsecond)
				sent--
			}
		}
		time.Sleep(time.Millisecond)
	}
	return sent, nil
}

// BenchmarkLiveLoopback runs tcpshow live on lo, lines format, while a
// bounded UDP blaster sends TCPSHOW_BENCH_PPS datagrams a second (default
// 100,000) for TCPSHOW_BENCH_SECONDS (default 10), and reports how many
// packets were sent, captured, shown, skipped by tcpshow (its queue was
// full) and dropped by the kernel. TCPSHOW_BENCH_BATCH=10ms runs live with
// --batch 10ms, TCPSHOW_BENCH_BUFFER_MIB=N with -B N, TCPSHOW_BENCH_SAVE=1
// with -w. `make bench-live` runs it in immediate mode and batched.
func BenchmarkLiveLoopback(b *testing.B) {
	b.ReportAllocs()
	pps := benchEnv("TCPSHOW_BENCH_PPS", 100000)
	secs := benchEnv("TCPSHOW_BENCH_SECONDS", 10)
	l, err := capture.OpenLive(capture.LiveOptions{Device: "lo"})
	if err != nil {
		b.Skipf("live capture on lo not possible here: %v", err)
	}
	l.Close()
	// Filter out other loopback traffic where this build can.
	filters := true
	if l, err := capture.OpenLive(capture.LiveOptions{Device: "lo", Filter: "udp"}); err != nil {
		filters = false
	} else {
		l.Close()
	}
	for i := 0; i < b.N; i++ {
		sink, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			b.Fatal(err)
		}
		addr := sink.LocalAddr().(*net.UDPAddr)
		args := []string{"--format", "lines", "-B", fmt.Sprint(benchEnv("TCPSHOW_BENCH_BUFFER_MIB", 16)), "lo"}
		if filters {
			args = append(args, "udp", "dst", "port", fmt.Sprint(addr.Port))
		}
		if batch := os.Getenv("TCPSHOW_BENCH_BATCH"); batch != "" {
			args = append([]string{"--batch", batch}, args...)
		}
		if os.Getenv("TCPSHOW_BENCH_SAVE") == "1" {
			args = append([]string{"-w", filepath.Join(b.TempDir(), "bench.pcap")}, args...)
		}
		var out lineCounter
		var errb bytes.Buffer
		e := testEnv(&out, &errb)
		var c liveConfig
		if err := parseLiveArgs(e, &c, args); err != nil {
			b.Fatal(err)
		}
		var sent int
		var took time.Duration
		c.active = func(ctx context.Context) error {
			start := time.Now()
			sent, err = blast(ctx, addr, pps, time.Duration(secs)*time.Second)
			took = time.Since(start)
			return err
		}
		c.stopAfterActive = 500 * time.Millisecond
		if err := c.run(context.Background(), e); err != nil {
			b.Fatalf("%v: %s", err, errb.String())
		}
		sink.Close()
		var st capture.LiveStats
		if _, err := fmt.Sscanf(errb.String(), "tcpshow: %d packets captured, %d received by filter, %d dropped by kernel, %d dropped by interface",
			&st.Captured, &st.Received, &st.DroppedKernel, &st.DroppedInterface); err != nil {
			b.Fatalf("no statistics in %q: %v", errb.String(), err)
		}
		fmt.Sscanf(errb.String()[bytes.IndexByte(errb.Bytes(), '\n')+1:], "tcpshow: %d packets not shown", &st.Skipped)
		b.ReportMetric(float64(sent), "sent")
		b.ReportMetric(float64(sent)/took.Seconds(), "sent/s")
		b.ReportMetric(float64(st.Captured), "captured")
		b.ReportMetric(float64(out.n), "shown")
		b.ReportMetric(float64(st.Skipped), "skipped")
		b.ReportMetric(float64(st.DroppedKernel), "kernel-drops")
		b.Logf("%s, batch %q: sent %d in %.1f s (%.0f/s); captured %d, shown %d, skipped by tcpshow %d, dropped by the kernel %d",
			capture.LiveBackend, os.Getenv("TCPSHOW_BENCH_BATCH"), sent, took.Seconds(), float64(sent)/took.Seconds(), st.Captured, out.n, st.Skipped, st.DroppedKernel)
		if filters && st.Skipped == 0 && st.DroppedKernel == 0 && uint64(sent) != st.Captured {
			b.Errorf("sent %d, captured %d with nothing dropped", sent, st.Captured)
		}
	}
}
