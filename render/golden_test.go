package render

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// renderFile renders a capture with the named format, as tcpshow replay
// does, with times in UTC.
func renderFile(t *testing.T, path, format string, o Options) []byte {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if o.Location == nil {
		o.Location = time.UTC
	}
	var buf bytes.Buffer
	w, err := New(format, &buf, o)
	if err != nil {
		t.Fatal(err)
	}
	var to decode.TrackerOptions
	if ce, ok := w.(ConversationEnder); ok {
		to.OnEnd = func(c *decode.Conversation) {
			if err := ce.EndConversation(c); err != nil {
				t.Fatal(err)
			}
		}
	}
	trk := decode.NewTrackerWith(to)
	s := decode.NewStream(src, trk)
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	trk.Close()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./render -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test ./render -update rewrites it):\n%s", golden, lineDiff(string(want), string(got)))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wl), len(gl)) && shown < 10; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			fmt.Fprintf(&b, "line %d:\n  want: %s\n  got:  %s\n", i+1, w, g)
			shown++
		}
	}
	return b.String()
}

// goldenFormats are the formats and options with golden files for every
// capture in testdata/.
var goldenFormats = []struct {
	suffix string
	format string
	opts   Options
}{
	{"lines", "lines", Options{}},
	{"table", "table", Options{}},
	{"table-ascii", "table", Options{ASCII: true}},
	{"table-80", "table", Options{Width: 80}},
	{"json", "json", Options{}},
	{"header", "header", Options{}},
	{"header-ascii", "header", Options{ASCII: true}},
	{"rtt", "rtt", Options{}},
	{"summary", "summary", Options{}},
	{"summary-ascii", "summary", Options{ASCII: true}},
	{"ladder", "ladder", Options{}},
	{"ladder-ascii", "ladder", Options{ASCII: true}},
	{"ladder-wide", "ladder", Options{Width: 132}},
	{"lines-explain", "lines", Options{Explain: true}},
	{"table-explain-ascii", "table", Options{Explain: true, ASCII: true}},
	{"ladder-explain", "ladder", Options{Explain: true}},
	{"svg", "svg", Options{}},
	{"html", "html", Options{Explain: true}},
	{"mermaid", "mermaid", Options{}},
	{"mermaid-explain", "mermaid", Options{Explain: true}},
	{"plantuml", "plantuml", Options{}},
}

func TestGolden(t *testing.T) {
	caps, err := filepath.Glob("../testdata/*.pcap*")
	if err != nil || len(caps) == 0 {
		t.Fatalf("no captures in testdata: %v", err)
	}
	for _, path := range caps {
		for _, gf := range goldenFormats {
			name := filepath.Base(path) + "." + gf.suffix
			t.Run(name, func(t *testing.T) {
				got := renderFile(t, path, gf.format, gf.opts)
				checkGolden(t, filepath.Join("..", "testdata", "golden", name), got)
			})
		}
	}
}
