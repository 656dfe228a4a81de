package render

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// fuzzFrames bounds the frames FuzzRender renders per input, to keep each
// run short.
const fuzzFrames = 64

// sgrColor matches the colour sequences the renderers write with Color.
var sgrColor = regexp.MustCompile("\x1b\\[[0-9;]*m")

// unsafeForTerminal describes the first thing in b a terminal would act on
// instead of showing, or returns "".
func unsafeForTerminal(b []byte) string {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return fmt.Sprintf("invalid UTF-8 at %d: %q", i, b[max(i-20, 0):min(i+20, len(b))])
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return fmt.Sprintf("%U at %d: %q", r, i, b[max(i-20, 0):min(i+20, len(b))])
		}
		i += n
	}
	return ""
}

// FuzzRender renders arbitrary capture files in a format chosen by the
// fuzzer (the format byte, modulo the number of formats), with or without
// colour, the way tcpshow replay wires them (conversations handed to the
// formats that hold them as they end). Nothing may panic, and no output may
// hold anything a terminal would act on. Seeds: the captures in testdata/
// and testdata/corpus/ (see the README's table), each in a different
// format, and the handshake with its first payload replaced by escape
// sequences, in every format.
func FuzzRender(f *testing.F) {
	formats := Formats()
	n := 0
	for _, pat := range []string{"../testdata/*.pcap*", "../testdata/corpus/*.pcap*"} {
		files, _ := filepath.Glob(pat)
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			if len(b) <= 16<<10 {
				f.Add(b, uint8(n), n%2 == 1)
				n++
			}
		}
	}
	hs, err := os.ReadFile("../testdata/handshake.pcap")
	if err != nil {
		f.Fatal(err)
	}
	// "Hello from client" becomes an OSC title change, an 8-bit CSI and a
	// bidi override, 17 bytes as well.
	hostile := bytes.Replace(hs, []byte("Hello from client"), []byte("\x1b]0;pwn\x07\xc2\x9b2J\u202e!!"), 1)
	for i := range formats {
		f.Add(hostile, uint8(i), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, format uint8, color bool) {
		ft := formats[int(format)%len(formats)]
		out := renderFuzzed(t, data, ft, Options{Color: color, Location: time.UTC})
		if color {
			out = sgrColor.ReplaceAll(out, nil)
		}
		if bad := unsafeForTerminal(out); bad != "" {
			t.Fatalf("--format %s (colour %v): %s", ft.Name, color, bad)
		}
	})
}

// renderFuzzed renders up to fuzzFrames frames of data as a capture in
// format and returns the output.
func renderFuzzed(t *testing.T, data []byte, format Format, o Options) []byte {
	src, err := capture.NewFile(bytes.NewReader(data), "fuzz", nil)
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	w := format.New(&out, o)
	to := decode.TrackerOptions{MaxConversations: 8}
	if ce, ok := w.(ConversationEnder); ok {
		to.OnEnd = func(c *decode.Conversation) {
			if err := ce.EndConversation(c); err != nil {
				t.Fatalf("--format %s: EndConversation: %v", format.Name, err)
			}
		}
	}
	trk := decode.NewTrackerWith(to)
	s := decode.NewStream(src, trk)
	for range fuzzFrames {
		p, err := s.Next()
		if err == io.EOF || err != nil {
			break
		}
		if err := w.WritePacket(p); err != nil {
			t.Fatalf("--format %s: WritePacket: %v", format.Name, err)
		}
	}
	trk.Close()
	if err := w.Close(); err != nil {
		t.Fatalf("--format %s: Close: %v", format.Name, err)
	}
	return out.Bytes()
}
