package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpshow/tcpshow/capture"
)

// benchPackets is the size of the in-memory capture the replay benchmarks
// read: real frames from testdata, repeated as new conversations.
const benchPackets = 200000

// benchReplay replays a capture in format through the whole command (read,
// decode, track, render, buffered write), from standard input in memory,
// all on one goroutine, or from a file on disk, which is read and decoded
// ahead on a second one. The capture is benchPackets frames from testdata,
// or the file named by $TCPSHOW_BENCH_FILE (such as the one `make bench`
// records).
func benchReplay(b *testing.B, format string, fromFile bool) {
	var data []byte
	if name := os.Getenv("TCPSHOW_BENCH_FILE"); name != "" {
		var err error
		if data, err = os.ReadFile(name); err != nil {
			b.Fatal(err)
		}
	} else {
		data = replicas(b, benchPackets)
	}
	packets := countFrames(b, data)
	args := []string{"replay", "--format", format, "-"}
	if fromFile {
		name := filepath.Join(b.TempDir(), "bench.pcap")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			b.Fatal(err)
		}
		args[len(args)-1] = name
	}
	r := bytes.NewReader(data)
	e := testEnv(io.Discard, io.Discard)
	e.stdin = r
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r.Reset(data)
		if code := run(context.Background(), args, e); code != exitOK {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(packets), "ns/packet")
}

// countFrames returns the number of frames in the capture data.
func countFrames(tb testing.TB, data []byte) int {
	tb.Helper()
	f, err := capture.NewFile(bytes.NewReader(data), "bench", nil)
	if err != nil {
		tb.Fatal(err)
	}
	n := 0
	for {
		_, err := f.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n++
	}
}

func BenchmarkReplayLines(b *testing.B) { benchReplay(b, "lines", false) }

func BenchmarkReplayLinesFile(b *testing.B) { benchReplay(b, "lines", true) }

func BenchmarkReplayJSON(b *testing.B) { benchReplay(b, "json", false) }

func BenchmarkReplayJSONFile(b *testing.B) { benchReplay(b, "json", true) }

func BenchmarkReplaySummary(b *testing.B) { benchReplay(b, "summary", false) }
