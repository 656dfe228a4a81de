package decode

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// seed is one fuzz seed from testdata/fuzz: a commented text file of
// "key: value" lines and hex bytes.
//
//	# what the seed holds, e.g. the tcpdump line of the frame
//	link: 1
//	0000 0000 0000 0000 0000 0000 0800 4500 …
type seed struct {
	name string
	keys map[string]string
	data []byte
}

// int returns the integer value of key, failing the test if it is missing.
func (s seed) int(tb testing.TB, key string) int {
	tb.Helper()
	n, err := strconv.Atoi(s.keys[key])
	if err != nil {
		tb.Fatalf("seed %s: %s: %v", s.name, key, err)
	}
	return n
}

// loadSeeds reads every seed of a fuzz target from ../testdata/fuzz/target.
func loadSeeds(tb testing.TB, target string) []seed {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "fuzz", target, "*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seeds for %s in testdata/fuzz: %v", target, err)
	}
	var seeds []seed
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		s := seed{name: filepath.Base(file), keys: map[string]string{}}
		comment := false
		var hx strings.Builder
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(line, "#"):
				comment = true
			case strings.Contains(line, ":"):
				k, v, _ := strings.Cut(line, ":")
				s.keys[strings.TrimSpace(k)] = strings.TrimSpace(v)
			default:
				hx.WriteString(strings.Join(strings.Fields(line), ""))
			}
		}
		if !comment {
			tb.Fatalf("seed %s has no comment saying what it holds", file)
		}
		if s.data, err = hex.DecodeString(hx.String()); err != nil {
			tb.Fatalf("seed %s: %v", file, err)
		}
		seeds = append(seeds, s)
	}
	return seeds
}
