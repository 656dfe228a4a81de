package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fakeClock returns a clock that moves on by step at every reading.
func fakeClock(step time.Duration) func() time.Time {
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time {
		t = t.Add(step)
		return t
	}
}

func TestProgress(t *testing.T) {
	data := replicas(t, 20000)
	path := filepath.Join(t.TempDir(), "big.pcap")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	plain, _, code := runCmd(t, nil, "replay", "--format", "lines", path)
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	bar := regexp.MustCompile(`^(\rtcpshow: \[[#-]{20}\] +\d+%  [0-9.]+ of [0-9.]+ MiB(, \w+ left)?\x1b\[K)+\r\x1b\[K$`)
	tests := []struct {
		name             string
		terminal, stderr bool // stdout, stderr a terminal
		env              string
		stdin            bool // read the file as "-" through a pipe
		toFile           bool // write with -o FILE
		want             bool
	}{
		{"stderr a terminal", false, true, "", false, false, true},
		{"stdout a terminal too", true, true, "", false, false, false},
		{"stdout a terminal, -o file", true, true, "", false, true, true},
		{"stderr not a terminal", false, false, "", false, false, false},
		{"in CI", false, true, "CI=true", false, false, false},
		{"dumb terminal", false, true, "TERM=dumb", false, false, false},
		{"from a pipe", false, true, "", true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			e := testEnv(&out, &errb)
			e.terminal, e.errTerm = tt.terminal, tt.stderr
			e.now = fakeClock(300 * time.Millisecond)
			e.getenv = func(k string) string {
				if name, v, ok := strings.Cut(tt.env, "="); ok && name == k {
					return v
				}
				return ""
			}
			args := []string{"replay", "--format", "lines", "--color", "never", path}
			if tt.stdin {
				// A bytes.Reader has no size, as a pipe has none.
				e.stdin = bytes.NewReader(data)
				args[len(args)-1] = "-"
			}
			outFile := filepath.Join(t.TempDir(), "out.txt")
			if tt.toFile {
				args = append(args, "-o", outFile)
			}
			if code := run(context.Background(), args, e); code != exitOK {
				t.Fatalf("exit %d, stderr %q", code, errb.String())
			}
			if tt.toFile {
				b, err := os.ReadFile(outFile)
				if err != nil {
					t.Fatal(err)
				}
				out.Write(b)
			}
			if out.String() != plain {
				t.Errorf("output differs from a replay without a bar")
			}
			got := errb.String()
			if tt.want && !bar.MatchString(got) {
				t.Errorf("stderr is not a progress bar that ends wiped: %q", got)
			}
			if !tt.want && got != "" {
				t.Errorf("stderr %q, want nothing", got)
			}
		})
	}
}

func TestProgressDraw(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var b bytes.Buffer
	p := newProgress(&b, 10<<20, clock)
	now = now.Add(500 * time.Millisecond)
	p.update(1 << 20) // before the delay: not drawn
	now = now.Add(1500 * time.Millisecond)
	p.update(5 << 20)
	now = now.Add(100 * time.Millisecond)
	p.update(6 << 20) // too soon after the last: not drawn
	if want := "\rtcpshow: [##########----------]  50%  5.0 of 10.0 MiB, 2s left\x1b[K"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	p.finish()
	if b.String() != "\r\x1b[K" {
		t.Errorf("finish wrote %q", b.String())
	}
	// A bar never drawn is not wiped either.
	b.Reset()
	q := newProgress(&b, 10<<20, clock)
	q.update(1 << 20)
	q.finish()
	if b.Len() != 0 {
		t.Errorf("a replay shorter than the delay wrote %q", b.String())
	}
}
