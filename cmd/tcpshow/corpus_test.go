package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/render"
)

// sharedCorpus is where tcpdump's whole test suite lives when it is there.
const sharedCorpus = "../../../shared/corpus/tcpdump-tests"

// corpusFiles lists the captures in dir.
func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.pcap", "*.pcapng"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	return files
}

// TestCorpusSubset replays the malformed captures kept in testdata/corpus in
// every output format.
func TestCorpusSubset(t *testing.T) {
	files := corpusFiles(t, "../../testdata/corpus")
	if len(files) < 10 {
		t.Fatalf("only %d captures in testdata/corpus", len(files))
	}
	replayCorpus(t, files)
}

// TestCorpus replays every capture of tcpdump's test suite in every output
// format, when the suite is beside the repository.
func TestCorpus(t *testing.T) {
	if _, err := os.Stat(sharedCorpus); err != nil {
		t.Skipf("tcpdump's test captures are not at %s: %v", sharedCorpus, err)
	}
	if testing.Short() {
		t.Skip("-short: the whole corpus takes a while")
	}
	files := corpusFiles(t, sharedCorpus)
	if len(files) < 800 {
		t.Fatalf("only %d captures in %s", len(files), sharedCorpus)
	}
	replayCorpus(t, files)
}

// replayCorpus runs replay on each file in each format. A readable capture
// must exit 0; a damaged one (cut short, impossible records) exits 1 with
// one line naming the file. Nothing may panic, hang or use unbounded memory,
// and stderr holds at most the skipped-frames line and that error line.
func replayCorpus(t *testing.T, files []string) {
	var formats []string
	for _, f := range render.Formats() {
		formats = append(formats, f.Name)
	}
	damaged, runs := 0, 0
	var (
		slowest    time.Duration
		slowestRun string
	)
	for _, file := range files {
		name := filepath.Base(file)
		readable := readsWhole(file)
		if !readable {
			damaged++
		}
		for _, format := range formats {
			runs++
			start := time.Now()
			code, stderr, err := replayBounded(file, format, 20*time.Second)
			if d := time.Since(start); d > slowest {
				slowest, slowestRun = d, name+" --format "+format
			}
			if err != nil {
				t.Errorf("%s --format %s: %v", name, format, err)
				continue
			}
			lines := strings.Count(stderr, "\n")
			switch {
			case readable && code != exitOK:
				t.Errorf("%s --format %s: exit %d for a readable capture: %s", name, format, code, stderr)
			case !readable && (code != exitError || !strings.Contains(stderr, name)):
				t.Errorf("%s --format %s: exit %d, stderr %q; want exit 1 and a line naming the file", name, format, code, stderr)
			case lines > 2 || strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic"):
				t.Errorf("%s --format %s: stderr has %d lines: %q", name, format, lines, stderr)
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("%d captures (%d damaged) × %d formats = %d runs; slowest %v (%s); heap in use at the end %d MiB, peak from the OS %d MiB",
		len(files), damaged, len(formats), runs, slowest.Round(time.Millisecond), slowestRun, ms.HeapInuse>>20, ms.Sys>>20)
	if ms.Sys > 1<<30 {
		t.Errorf("the runtime holds %d MiB from the OS: unbounded memory somewhere", ms.Sys>>20)
	}
}

// readsWhole reports whether the capture reader reads file to its end.
func readsWhole(file string) bool {
	src, err := capture.Open(file)
	if err != nil {
		return false
	}
	defer src.Close()
	for {
		if _, err := src.Next(); err != nil {
			return errors.Is(err, io.EOF)
		}
	}
}

// replayBounded runs replay in-process and reports a panic, a run longer
// than limit, or output a terminal would act on (see terminalUnsafe) as an
// error.
func replayBounded(file, format string, limit time.Duration) (code int, stderr string, err error) {
	type result struct {
		code           int
		stdout, stderr []byte
		panic          any
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		var out, errb bytes.Buffer
		defer func() {
			if r := recover(); r != nil {
				done <- result{panic: r}
			}
		}()
		c := run(ctx, []string{"replay", "--format", format, file}, testEnv(&out, &errb))
		done <- result{code: c, stdout: out.Bytes(), stderr: errb.Bytes()}
	}()
	select {
	case r := <-done:
		if r.panic != nil {
			return 0, "", fmt.Errorf("panic: %v", r.panic)
		}
		if bad := terminalUnsafe(r.stdout); bad != "" {
			return r.code, string(r.stderr), fmt.Errorf("stdout: %s", bad)
		}
		if bad := terminalUnsafe(r.stderr); bad != "" {
			return r.code, string(r.stderr), fmt.Errorf("stderr: %s", bad)
		}
		return r.code, string(r.stderr), nil
	case <-time.After(limit):
		return 0, "", fmt.Errorf("still running after %v: a hang", limit)
	}
}
