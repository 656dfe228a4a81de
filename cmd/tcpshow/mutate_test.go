package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/render"
)

// mutants is how many mutated captures the sweep replays in every format.
const mutants = 500

// mutantAllocLimit bounds what one replay of a mutated capture (a few
// kilobytes) may allocate in all.
const mutantAllocLimit = 256 << 20

// mutate returns a damaged copy of one of the captures in bases, chosen
// and damaged by r: bits flipped, bytes set to boundary values, cut short,
// spliced with another capture, or a region repeated. It also returns how.
func mutate(r *rand.Rand, bases [][]byte) ([]byte, string) {
	b := append([]byte{}, bases[r.IntN(len(bases))]...)
	var how []string
	// pos picks a byte to damage, past the 24-byte file header most of the
	// time: damage in the packets is what decoders meet.
	pos := func() int {
		if len(b) > 24 && r.IntN(10) > 0 {
			return 24 + r.IntN(len(b)-24)
		}
		return r.IntN(len(b))
	}
	for range 1 + r.IntN(2) {
		switch op := r.IntN(10); {
		case op < 4:
			n := 1 + r.IntN(16)
			for range n {
				b[pos()] ^= 1 << r.IntN(8)
			}
			how = append(how, fmt.Sprintf("%d bits flipped", n))
		case op < 6:
			vals := []byte{0x00, 0xff, 0x7f, 0x80, 0x01, 0x0f}
			n := 1 + r.IntN(8)
			for range n {
				b[pos()] = vals[r.IntN(len(vals))]
			}
			how = append(how, fmt.Sprintf("%d bytes set to boundary values", n))
		case op < 7:
			n := r.IntN(len(b) + 1)
			b = b[:n]
			how = append(how, fmt.Sprintf("cut at %d", n))
		case op < 9:
			o := bases[r.IntN(len(bases))]
			i, j := r.IntN(len(b)+1), r.IntN(len(o)+1)
			b = append(b[:i:i], o[j:]...)
			how = append(how, fmt.Sprintf("spliced at %d with another capture from %d", i, j))
		default:
			i := r.IntN(len(b) + 1)
			j := i + r.IntN(len(b)-i+1)
			b = append(b[:j:j], b[i:]...)
			how = append(how, fmt.Sprintf("bytes %d:%d repeated", i, j))
		}
		if len(b) == 0 {
			break
		}
	}
	return b, strings.Join(how, ", ")
}

// TestMutatedCaptures replays captures from testdata, mutated with a fixed
// seed, in every format: whatever the damage, tcpshow exits 0 or 1 with at
// most the skipped-frames line and one error line naming the file, and
// never panics, hangs or allocates without bound.
func TestMutatedCaptures(t *testing.T) {
	var bases [][]byte
	for _, pat := range []string{"../../testdata/*.pcap*", "../../testdata/corpus/*.pcap*"} {
		files, _ := filepath.Glob(pat)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if len(b) > 0 && len(b) < 64<<10 {
				bases = append(bases, b)
			}
		}
	}
	if len(bases) < 20 {
		t.Fatalf("only %d captures to mutate", len(bases))
	}
	var formats []string
	for _, f := range render.Formats() {
		formats = append(formats, f.Name)
	}
	r := rand.New(rand.NewPCG(0x7c95, 0x5eed))
	dir := t.TempDir()
	codes := map[int]int{}
	var peakAlloc uint64
	for i := range mutants {
		data, how := mutate(r, bases)
		name := fmt.Sprintf("mutant-%03d.pcap", i)
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, format := range formats {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			code, stderr, err := replayBounded(path, format, 20*time.Second)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			peakAlloc = max(peakAlloc, alloc)
			codes[code]++
			fail := func(msg string) {
				t.Errorf("%s (%s) --format %s: %s; kept as %s", name, how, format, msg, keepMutant(t, name, data))
			}
			switch {
			case err != nil:
				fail(err.Error())
			case code != exitOK && code != exitError:
				fail(fmt.Sprintf("exit %d", code))
			case code == exitError && !strings.Contains(stderr, name):
				fail(fmt.Sprintf("exit 1 without a line naming the file: %q", stderr))
			case strings.Count(stderr, "\n") > 2:
				fail(fmt.Sprintf("stderr has %d lines: %q", strings.Count(stderr, "\n"), stderr))
			case alloc > mutantAllocLimit:
				fail(fmt.Sprintf("allocated %d MiB", alloc>>20))
			}
		}
	}
	t.Logf("%d mutants × %d formats: exit codes %v; largest allocation by one replay %d KiB", mutants, len(formats), codes, peakAlloc>>10)
}

// keepMutant saves a mutant that broke tcpshow where it outlives the test,
// and returns its path.
func keepMutant(t *testing.T, name string, data []byte) string {
	path := filepath.Join(os.TempDir(), "tcpshow-"+name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Logf("keeping %s: %v", name, err)
	}
	return path
}
