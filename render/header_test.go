package render

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gopacket/gopacket/layers"
	"github.com/mattn/go-runewidth"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
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

// FuzzHeaderFigure draws the header figure of arbitrary frames: whatever
// the bytes, every line of the box stays 65 columns wide, edges stay on
// bit boundaries, and nothing panics. Seeds are the frames of every
// capture in testdata/ (each link type tcpshow decodes, truncated and
// IPv6 headers, every option the captures carry).
func FuzzHeaderFigure(f *testing.F) {
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	for _, path := range caps {
		src, err := capture.Open(path)
		if err != nil {
			f.Fatal(err)
		}
		for i := 0; i < 12; i++ {
			fr, err := src.Next()
			if err != nil {
				break
			}
			f.Add(uint16(fr.LinkType), append([]byte(nil), fr.Data...))
		}
		src.Close()
	}
	d := decode.NewDecoder()
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		var p decode.Packet
		d.Decode(1, capture.Frame{LinkType: layers.LinkType(link), OrigLen: len(data), Data: data}, &p)
		if p.Proto == decode.ProtoNone {
			return
		}
		for _, ascii := range []bool{false, true} {
			var buf bytes.Buffer
			if err := NewHeader(&buf, Options{ASCII: ascii}).WritePacket(&p); err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
			for i, line := range lines[3:] { // after the title and the bit ruler
				if w := runewidth.StringWidth(line); w != 65 {
					t.Fatalf("line %d is %d columns wide: %q\n%s", i+4, w, line, buf.String())
				}
			}
		}
	})
}
