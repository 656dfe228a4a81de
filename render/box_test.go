package render

import (
	"bytes"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// boxMatches reports, through t, whether appendBoxTable draws header and
// rows as tablewriter does, in both border styles. It reports whether the
// fast path took the table.
func boxMatches(t *testing.T, what string, header []string, rows [][]string) bool {
	t.Helper()
	took := false
	for _, ascii := range []bool{false, true} {
		fast, ok := appendBoxTable(nil, ascii, header, rows)
		if !ok {
			if len(fast) != 0 {
				t.Fatalf("%s: the fast path gave up after appending %q", what, fast)
			}
			continue
		}
		took = true
		var slow bytes.Buffer
		if err := writeTablewriter(&slow, &Options{ASCII: ascii}, header, rows); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if !bytes.Equal(fast, slow.Bytes()) {
			t.Fatalf("%s (ascii %v): the fast path draws\n%s\ntablewriter draws\n%s", what, ascii, fast, slow.Bytes())
		}
	}
	return took
}

// TestBoxTableMatchesTablewriter holds the fast table drawing to
// tablewriter's, byte for byte, on the header table of every packet of
// every capture in testdata and its corpus subset, and on the cells that
// must send a table to tablewriter.
func TestBoxTableMatchesTablewriter(t *testing.T) {
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	more, _ := filepath.Glob("../testdata/corpus/*")
	caps = append(caps, more...)
	header := []string{"Field", "Bits", "Value", "Meaning"}
	fast, total := 0, 0
	for _, path := range caps {
		src, err := capture.Open(path)
		if err != nil {
			continue // the corpus holds files that are not captures
		}
		s := decode.NewStream(src, decode.NewTracker())
		for {
			p, err := s.Next()
			if err == io.EOF || err != nil {
				break
			}
			if p.Proto == decode.ProtoNone {
				continue
			}
			total++
			if boxMatches(t, path, header, HeaderRows(p)) {
				fast++
			}
		}
		src.Close()
	}
	if total == 0 || fast < total*9/10 {
		t.Errorf("the fast path drew %d of %d tables, want nine in ten", fast, total)
	}
	t.Logf("the fast path drew %d of %d header tables", fast, total)

	for _, tc := range []struct {
		name  string
		cells []string
		fast  bool
	}{
		{"plain", []string{"a", "", "x · y"}, true},
		{"wide", []string{"a", "端口", "c"}, false},
		{"combining", []string{"a", "e\u0301", "c"}, false},
		{"control", []string{"a", "tab\there", "c"}, false},
		{"newline", []string{"a", "two\nlines", "c"}, false},
		{"leading space", []string{"a", " b", "c"}, false},
		{"trailing space", []string{"a", "b ", "c"}, false},
		{"invalid UTF-8", []string{"a", "\xff", "c"}, false},
		{"escape", []string{"a", "\x1b[31m", "c"}, false},
	} {
		rows := [][]string{tc.cells, {"1", "2", "3"}}
		if got := boxMatches(t, tc.name, []string{"A", "B", "C"}, rows); got != tc.fast {
			t.Errorf("%s: fast path %v, want %v", tc.name, got, tc.fast)
		}
	}
	if _, ok := appendBoxTable(nil, false, []string{"A", "B"}, [][]string{{"only one"}}); ok {
		t.Error("a row short of cells took the fast path")
	}
}

// FuzzBoxTable holds the fast table drawing to tablewriter's on arbitrary
// cells.
func FuzzBoxTable(f *testing.F) {
	f.Add("Field", "x · y", "", "0x5faf (correct)")
	f.Add("a", "端口", "\t", "é")
	// U+07FD, which go-runewidth counts one column wide and tablewriter
	// none: the fast path once padded it one space short.
	f.Add("\u07fd", "0", "", "0")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		if strings.Count(a+b+c+d, "") > 400 {
			return
		}
		boxMatches(t, "fuzz", []string{a, "B"}, [][]string{{b, c}, {d, a}})
	})
}
