package render

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// TestJSONMatchesContract holds the hand-written JSON encoder to the
// documented contract: for every packet of every testdata capture, its line
// must be exactly what encoding/json makes of NewJSONPacket.
func TestJSONMatchesContract(t *testing.T) {
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	if len(caps) == 0 {
		t.Fatal("no captures in testdata")
	}
	o := &Options{}
	packets := 0
	for _, path := range caps {
		src, err := capture.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		s := decode.NewStream(src, decode.NewTracker())
		for {
			p, err := s.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.Proto == decode.ProtoNone {
				continue
			}
			packets++
			got := AppendJSON(nil, p, o)
			want, err := json.Marshal(NewJSONPacket(p, o))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s frame %d:\nhand:     %s\ncontract: %s", filepath.Base(path), p.N, got, want)
			}
			var back JSONPacket
			if err := json.Unmarshal(got, &back); err != nil {
				t.Errorf("%s frame %d: not valid JSON: %v", filepath.Base(path), p.N, err)
			}
		}
		src.Close()
	}
	if packets < 100 {
		t.Errorf("only %d packets checked", packets)
	}
}
