package render

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mattn/go-runewidth"
)

// TestHeaderFigureShape checks every figure of every capture: each line of
// the box is 65 columns wide, as the RFC's figure is (32 bits, two columns
// each, plus the closing edge), field edges sit on bit boundaries, and the
// ASCII figure is ASCII (but for payload previews).
func TestHeaderFigureShape(t *testing.T) {
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	for _, path := range caps {
		for _, ascii := range []bool{false, true} {
			out := renderFile(t, path, "header", Options{ASCII: ascii})
			figures := 0
			for i, line := range strings.Split(string(out), "\n") {
				if line == "" || strings.HasPrefix(line, "Frame ") || strings.HasPrefix(line, " 0") {
					continue
				}
				if strings.HasPrefix(line, "┌") || strings.HasPrefix(line, "+-+") {
					figures++
				}
				if w := runewidth.StringWidth(line); w != 65 {
					t.Errorf("%s line %d is %d columns wide, want 65: %q", path, i+1, w, line)
				}
				if border := strings.ContainsRune("┌├└+", []rune(line)[0]); border {
					for col, r := range []rune(line) {
						if strings.ContainsRune("┌┐└┘├┤┬┴┼+", r) && col%2 != 0 {
							t.Errorf("%s line %d: edge %q at odd column %d", path, i+1, r, col)
						}
					}
				}
				if ascii && !isASCII(line) && !strings.Contains(line, "bytes: \"") {
					t.Errorf("%s line %d is not ASCII: %q", path, i+1, line)
				}
			}
			if figures == 0 {
				t.Errorf("%s: no figure", path)
			}
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestHeaderFigureValues checks that the SYN's figure carries its raw
// numbers and options where the RFC puts them.
func TestHeaderFigureValues(t *testing.T) {
	out := string(renderFile(t, "../testdata/handshake.pcap", "header", Options{ASCII: true}))
	syn := out[:strings.Index(out, "\nFrame 2 ")]
	for _, want := range []string{
		"|          Source Port          |       Destination Port        |",
		"|             39270             |             18080             |",
		"|                    1975992793 (relative 0)                    |",
		"|  10   |0 0 0 0|0|0|0|0|0|0|1|0|             65495             |",
		"| 40 B  |       | | | | | | | | |    (never scaled in a SYN)    |",
		"|      MSS      |    length     |              MSS              |",
		"|    kind 2     |       4       |             65495             |",
		"|      NOP      |    WScale     |    length     |     shift     |",
		"|    kind 1     |    kind 3     |       3       |  10 (x1024)   |",
	} {
		if !strings.Contains(syn, want+"\n") {
			t.Errorf("the SYN's figure lacks\n%s\n%s", want, syn)
		}
	}
	// The fourth packet carries "Hello from client".
	if !strings.Contains(out, `17 bytes: "Hello from client"`) {
		t.Errorf("no data row for the payload")
	}
	// A UDP header is two rows and the data.
	udp := string(renderFile(t, "../testdata/udp.pcap", "header", Options{}))
	if !bytes.Contains([]byte(udp), []byte("│          25 = 8 + 17          │")) {
		t.Errorf("UDP figure lacks the length:\n%.1200s", udp)
	}
}
