package render

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// TestLadderCallText checks how the text ladder writes a call: a long
// argument list gives way before the result does, and the generator's
// C-style quoting keeps its single backslashes.
func TestLadderCallText(t *testing.T) {
	src, err := capture.Open("../testdata/refused.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	w, err := New("ladder", &buf, Options{ASCII: true, Location: time.UTC, MaxRows: 100})
	if err != nil {
		t.Fatal(err)
	}
	s := decode.NewStream(src, decode.NewTracker())
	for n := 0; ; n++ {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			cw := w.(CallWriter)
			long := "fd 3, " + strings.Repeat("x", 120)
			cw.WriteCall(Call{Time: p.Time.Add(-2 * time.Microsecond), Proto: p.Proto, Local: p.Src, Peer: p.Dst, Side: "client", Name: "sendto", Args: long, Result: "-1 EPIPE"})
			cw.WriteCall(Call{Time: p.Time.Add(-time.Microsecond), Proto: p.Proto, Local: p.Src, Peer: p.Dst, Side: "client", Name: "write", Args: `fd 3, "a\n", 2`, Result: "2 bytes"})
		}
		if err := w.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "sendto(fd 3, xxx") || !strings.Contains(out, "...) -> -1 EPIPE") {
		t.Errorf("the long call should keep its result and lose the end of its arguments:\n%s", out)
	}
	if !strings.Contains(out, `write(fd 3, "a\n", 2) -> 2 bytes`) {
		t.Errorf("the quoted argument should keep its one backslash:\n%s", out)
	}
}
