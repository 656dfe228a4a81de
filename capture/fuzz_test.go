package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// loadSeeds reads the seeds of a fuzz target from ../testdata/fuzz/target.
// A seed is a commented text file that builds a capture file:
//
//	# what the seed holds and why
//	file: udp.pcap        start from a capture in testdata/ (optional)
//	0a0d 0d0a …           bytes to append, in hex (optional)
//	patch: 32 ffffff7f    overwrite bytes at an offset
//	gzip: yes             compress the result
//	cut: 150              keep only the first bytes
//
// The steps apply in that order.
func loadSeeds(tb testing.TB, target string) [][]byte {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "fuzz", target, "*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no seeds for %s in testdata/fuzz: %v", target, err)
	}
	var seeds [][]byte
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		var (
			data    []byte
			hx      strings.Builder
			patches []string
			zip     bool
			cut     = -1
			comment bool
		)
		for _, line := range strings.Split(string(text), "\n") {
			line = strings.TrimSpace(line)
			k, v, isKey := strings.Cut(line, ":")
			v = strings.TrimSpace(v)
			switch {
			case strings.HasPrefix(line, "#"):
				comment = true
			case !isKey:
				hx.WriteString(strings.Join(strings.Fields(line), ""))
			case k == "file":
				if data, err = os.ReadFile(filepath.Join("..", "testdata", v)); err != nil {
					tb.Fatalf("seed %s: %v", file, err)
				}
			case k == "patch":
				patches = append(patches, v)
			case k == "gzip":
				zip = v == "yes"
			case k == "cut":
				if cut, err = strconv.Atoi(v); err != nil {
					tb.Fatalf("seed %s: %v", file, err)
				}
			default:
				tb.Fatalf("seed %s: unknown key %q", file, k)
			}
		}
		if !comment {
			tb.Fatalf("seed %s has no comment saying what it holds", file)
		}
		b, err := hex.DecodeString(hx.String())
		if err != nil {
			tb.Fatalf("seed %s: %v", file, err)
		}
		data = append(data, b...)
		for _, p := range patches {
			off, h, _ := strings.Cut(p, " ")
			o, err1 := strconv.Atoi(off)
			pb, err2 := hex.DecodeString(strings.TrimSpace(h))
			if err1 != nil || err2 != nil || o+len(pb) > len(data) {
				tb.Fatalf("seed %s: bad patch %q", file, p)
			}
			copy(data[o:], pb)
		}
		if zip {
			var z bytes.Buffer
			zw := gzip.NewWriter(&z)
			zw.Write(data)
			zw.Close()
			data = z.Bytes()
		}
		if cut >= 0 && cut < len(data) {
			data = data[:cut]
		}
		seeds = append(seeds, data)
	}
	return seeds
}

// FuzzPcap reads arbitrary bytes as a pcap file. Seeds
// (testdata/fuzz/FuzzPcap) hold real captures in each byte order and
// precision, gzip, and files damaged in the ways users meet.
func FuzzPcap(f *testing.F) {
	for _, s := range loadSeeds(f, "FuzzPcap") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { readFuzzed(t, data) })
}

// FuzzPcapNG reads arbitrary bytes as a pcapng file. Seeds
// (testdata/fuzz/FuzzPcapNG) hold real captures, interfaces whose names
// and comments hold escape sequences, unknown and impossible blocks.
func FuzzPcapNG(f *testing.F) {
	for _, s := range loadSeeds(f, "FuzzPcapNG") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) { readFuzzed(t, data) })
}

// fuzzAllocBudget bounds what reading a fuzzed file may allocate beyond a
// small multiple of its size: the read buffers and a few records.
const fuzzAllocBudget = 8 << 20

// readFuzzed reads every frame of data as a capture file. Whatever data
// holds, reading must end (at the end of data or with an error), frames
// must come from data, and memory must stay proportional to data: lengths
// in a file are not to be trusted.
func readFuzzed(t *testing.T, data []byte) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	src, err := NewFile(bytes.NewReader(data), "fuzz", nil)
	if err != nil {
		if !strings.HasPrefix(err.Error(), "fuzz: ") {
			t.Fatalf("error %q does not name the file", err)
		}
		return
	}
	gz := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
	for i := 0; ; i++ {
		fr, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz: ") {
				t.Fatalf("error %q does not name the file", err)
			}
			break
		}
		if !gz && (len(fr.Data) > len(data) || i > len(data)/8) {
			t.Fatalf("frame %d of %d bytes from a %d-byte file", i+1, len(fr.Data), len(data))
		}
		if fr.OrigLen < len(fr.Data) {
			t.Fatalf("frame %d: original length %d below captured %d", i+1, fr.OrigLen, len(fr.Data))
		}
		if i > 1<<20 {
			t.Fatal("more than a million frames: the reader does not advance")
		}
	}
	for _, ifc := range src.Interfaces() {
		_ = ifc.Name + ifc.Comment + ifc.Description
	}
	runtime.ReadMemStats(&after)
	limit := uint64(fuzzAllocBudget + 64*len(data))
	if gz {
		limit += 64 << 20 // a small gzip file may hold a large capture
	}
	if a := after.TotalAlloc - before.TotalAlloc; a > limit {
		t.Fatalf("reading a %d-byte file allocated %d MiB", len(data), a>>20)
	}
}
