package render

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// checkXML parses doc completely with encoding/xml and returns the
// elements by name and every attribute value.
func checkXML(t *testing.T, name string, doc []byte) (elems map[string]int, attrs []xml.Attr) {
	t.Helper()
	elems = make(map[string]int)
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return elems, attrs
		}
		if err != nil {
			t.Fatalf("%s is not valid XML: %v", name, err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			elems[se.Name.Local]++
			attrs = append(attrs, se.Attr...)
		}
	}
}

// TestSVGIsStandalone checks the SVG of every capture: valid XML with one
// svg root, no external references (only the SVG namespace and local
// #marker references), an arrow per packet, and the states and text it
// should carry.
func TestSVGIsStandalone(t *testing.T) {
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	for _, path := range caps {
		for _, o := range []Options{{}, {Explain: true}} {
			doc := renderFile(t, path, "svg", o)
			elems, attrs := checkXML(t, path, doc)
			if elems["svg"] != 1 {
				t.Errorf("%s: %d svg elements, want 1", path, elems["svg"])
			}
			for _, bad := range []string{"script", "image", "a", "foreignObject", "use", "iframe"} {
				if elems[bad] > 0 {
					t.Errorf("%s: has a <%s> element", path, bad)
				}
			}
			for _, a := range attrs {
				v := strings.TrimSpace(a.Value)
				switch {
				case a.Name.Local == "xmlns" && v == "http://www.w3.org/2000/svg":
				case strings.Contains(v, "url(") && !regexp.MustCompile(`^url\(#[a-z0-9-]+\)$`).MatchString(v):
					t.Errorf("%s: attribute %s=%q refers outside the document", path, a.Name.Local, v)
				case a.Name.Local == "href" || strings.Contains(v, "http:") || strings.Contains(v, "https:") || strings.Contains(v, "data:"):
					t.Errorf("%s: attribute %s=%q is an external reference", path, a.Name.Local, v)
				}
			}
			if bytes.Contains(doc, []byte("@import")) || bytes.Contains(doc, []byte("@font-face")) {
				t.Errorf("%s: the style sheet fetches something", path)
			}
		}
	}
	doc := string(renderFile(t, "../testdata/handshake.pcap", "svg", Options{}))
	if n := strings.Count(doc, `<g class="pkt `); n != 11 {
		t.Errorf("handshake.pcap: %d packet arrows, want 11", n)
	}
	for _, want := range []string{">127.0.0.1:39270</text>", ">127.0.0.1:18080</text>", ">CLOSED</text>", ">LISTEN</text>",
		">SYN seq 0 win 65495 mss 65495 wscale 10 sackOK TS<", "data transfer", "teardown", `id="c1-f4"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("handshake.pcap SVG lacks %q", want)
		}
	}
	refused := string(renderFile(t, "../testdata/refused.pcap", "svg", Options{}))
	if !strings.Contains(refused, `class="pkt s2c rst"`) || !strings.Contains(refused, "url(#head-rst)") {
		t.Errorf("refused.pcap: the RST is not drawn as a reset")
	}
}

// TestHTMLIsSelfContained checks the page of every capture: one table per
// drawn packet whose id matches an arrow, the SVG inline, and nothing that
// the browser would fetch.
func TestHTMLIsSelfContained(t *testing.T) {
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	fetch := regexp.MustCompile(`(?i)(src|href)\s*=|@import|url\((["']?)[^#)]|https?://[^w]`)
	for _, path := range caps {
		doc := string(renderFile(t, path, "html", Options{}))
		if !strings.HasPrefix(doc, "<!DOCTYPE html>") || !strings.HasSuffix(doc, "</html>\n") {
			t.Errorf("%s: not a whole page", path)
		}
		if m := fetch.FindString(doc); m != "" && !strings.Contains(doc, "http://www.w3.org/2000/svg") {
			t.Errorf("%s: page refers to something outside it: %q", path, m)
		}
		for _, m := range fetch.FindAllString(doc, -1) {
			if !strings.HasPrefix(m, "http://w") {
				t.Errorf("%s: page refers to something outside it: %q", path, m)
			}
		}
		arrows := regexp.MustCompile(`<g class="pkt[^"]*" id="([^"]+)"`).FindAllStringSubmatch(doc, -1)
		infos := regexp.MustCompile(`<div class="info" id="([^"]+)-info" hidden>`).FindAllStringSubmatch(doc, -1)
		if len(arrows) == 0 || len(arrows) != len(infos) {
			t.Errorf("%s: %d arrows, %d header tables", path, len(arrows), len(infos))
			continue
		}
		for i := range arrows {
			if arrows[i][1] != infos[i][1] {
				t.Errorf("%s: arrow %s has table %s", path, arrows[i][1], infos[i][1])
			}
		}
	}
}

// sequenceLine matches every statement tcpshow writes in a Mermaid
// sequenceDiagram.
var mermaidLine = regexp.MustCompile(`^(` + "```mermaid|```" + `|sequenceDiagram|    title [^\n]+|    participant [CS] as [^\n]+|    [CS](->>|-x|-\))[CS]: [^;#<>%{}\n]*(#[0-9a-z]+;[^;#<>%{}\n]*)*|    Note (over [CS]|over C,S|right of S): [^\n]+|)$`)

// TestMermaidStructure checks every Mermaid diagram line by line against
// the statements of a sequenceDiagram, and that each packet is a message.
func TestMermaidStructure(t *testing.T) {
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	for _, path := range caps {
		for _, o := range []Options{{}, {Explain: true}} {
			doc := string(renderFile(t, path, "mermaid", o))
			for i, line := range strings.Split(doc, "\n") {
				if !mermaidLine.MatchString(line) {
					t.Errorf("%s line %d is not a statement tcpshow should write: %q", path, i+1, line)
				}
			}
			if strings.Count(doc, "```mermaid\n") != strings.Count(doc, "\n```\n") {
				t.Errorf("%s: unbalanced fences", path)
			}
		}
	}
	doc := string(renderFile(t, "../testdata/refused.pcap", "mermaid", Options{}))
	for _, want := range []string{"C->>S: [1] SYN seq 0", "S-xC: [2] RST,ACK seq 1 ack 1", "Note over S: CLOSED"} {
		if !strings.Contains(doc, want) {
			t.Errorf("refused.pcap Mermaid lacks %q:\n%s", want, doc)
		}
	}
	if got := mermaidText(`a;b#c<d>e%f{g}` + "\n"); got != `a#59;b#35;c#lt;d#gt;e#37;f#123;g#125;\n` {
		t.Errorf("mermaidText = %q", got)
	}
}

// TestPlantUMLStructure checks the PlantUML diagrams line by line.
func TestPlantUMLStructure(t *testing.T) {
	line := regexp.MustCompile(`^(@startuml|@enduml|title [^\n]+|skinparam monochrome true|participant "[^"]+" as [CS]|[CS] (->|->x|->>) [CS] : [^\n]+|hnote over [CS] : [A-Z0-9-]+|hnote over [CS] : [^\n]+|== [a-z ]+ ==|\.\.\. [^\n]+ \.\.\.|note right|end note|[^\n]*)$`)
	caps, _ := filepath.Glob("../testdata/*.pcap*")
	for _, path := range caps {
		doc := string(renderFile(t, path, "plantuml", Options{}))
		if strings.Count(doc, "@startuml\n") != strings.Count(doc, "@enduml\n") || !strings.HasPrefix(doc, "@startuml\n") {
			t.Errorf("%s: unbalanced @startuml/@enduml", path)
		}
		for i, l := range strings.Split(doc, "\n") {
			if !line.MatchString(l) {
				t.Errorf("%s line %d: %q", path, i+1, l)
			}
		}
	}
	if got := plantText("a\nb\\ **bold** <b> --x"); got != `a⧵nb⧵⧵ ~**bold~** ~<b> ~--x` {
		t.Errorf("plantText = %q", got)
	}
}

// TestMermaidRenders has Mermaid's own command-line renderer (mmdc, from
// the npm package @mermaid-js/mermaid-cli, driving Chromium) draw the
// diagrams of every capture. test.sh installs it; the test skips where
// it is missing. TCPSHOW_MMDC names the mmdc to use and
// TCPSHOW_MMDC_PUPPETEER its puppeteer configuration (for Chromium's
// path and flags).
func TestMermaidRenders(t *testing.T) {
	mmdc := os.Getenv("TCPSHOW_MMDC")
	if mmdc == "" {
		var err error
		if mmdc, err = exec.LookPath("mmdc"); err != nil {
			t.Skip("mmdc (@mermaid-js/mermaid-cli) is not installed: ./test.sh installs it; set TCPSHOW_MMDC to use another")
		}
	}
	dir := t.TempDir()
	var md bytes.Buffer
	for _, c := range []string{"handshake.pcap", "refused.pcap", "udp.pcap", "halfclose.pcap", "midstream.pcap", "ipv6.pcap"} {
		md.Write(renderFile(t, "../testdata/"+c, "mermaid", Options{Explain: true}))
	}
	in := filepath.Join(dir, "all.md")
	if err := os.WriteFile(in, md.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-i", in, "-o", filepath.Join(dir, "out.md")}
	if pc := os.Getenv("TCPSHOW_MMDC_PUPPETEER"); pc != "" {
		args = append(args, "-p", pc)
	}
	out, err := exec.Command(mmdc, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("mmdc failed: %v\n%s", err, out)
	}
	svgs, _ := filepath.Glob(filepath.Join(dir, "out-*.svg"))
	if want := strings.Count(md.String(), "```mermaid"); len(svgs) != want {
		t.Fatalf("mmdc drew %d diagrams, want %d:\n%s", len(svgs), want, out)
	}
	for _, s := range svgs {
		b, _ := os.ReadFile(s)
		if !bytes.Contains(b, []byte("SYN")) && !bytes.Contains(b, []byte("UDP")) {
			t.Errorf("%s does not show the packets", s)
		}
	}
}

// TestPicturesShowCalls checks that socket calls land on their caller's
// lane in the SVG, Mermaid and PlantUML drawings.
func TestPicturesShowCalls(t *testing.T) {
	msec := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	cli := netip.MustParseAddrPort("127.0.0.1:40000")
	srv := netip.MustParseAddrPort("127.0.0.1:18080")
	base := time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
	calls := []Call{
		{Time: base.Add(-msec(1)), Proto: decode.ProtoTCP, Local: srv, Side: "server", Name: "listen", Args: "fd 3, 5", Result: "0"},
		{Time: base.Add(msec(2.5)), Proto: decode.ProtoTCP, Local: cli, Peer: srv, Side: "client", Name: "connect", Args: "fd 4, 127.0.0.1:18080", Result: "0"},
		{Time: base.Add(msec(2.6)), Proto: decode.ProtoTCP, Local: srv, Peer: cli, Side: "server", Name: "accept", Args: "fd 3", Result: "fd 5"},
	}
	segs := []seg{
		{0, false, decode.SYN, 1000, 0, 0},
		{msec(1), true, decode.SYN | decode.ACK, 5000, 1001, 0},
		{msec(2), false, decode.ACK, 1001, 5001, 0},
	}
	for _, tt := range []struct {
		format              string
		listen, conn, accep string
	}{
		// connect waits on the wire: drawn where it was called, above the
		// SYN, and where it returned.
		{"mermaid", "Note over S: listen(fd 3, 5) → 0", "Note over C: connect(fd 4, 127.0.0.1:18080) …\n    C->>S: [1] SYN", "Note over C: connect() → 0\n    Note over S: accept(fd 3) → fd 5"},
		{"plantuml", "hnote over S : listen(fd 3, 5) → 0", "hnote over C : connect(fd 4, 127.0.0.1:18080) …\nC -> S : [1] SYN", "hnote over C : connect() → 0\nhnote over S : accept(fd 3) → fd 5"},
		{"svg", `text-anchor="end">listen(fd 3, 5) → 0<`, `<text class="call" x="272" y="`, `>accept(fd 3) → fd 5</text>`},
	} {
		var buf bytes.Buffer
		w, err := New(tt.format, &buf, Options{})
		if err != nil {
			t.Fatal(err)
		}
		cw := w.(CallWriter)
		for _, c := range calls {
			if err := cw.WriteCall(c); err != nil {
				t.Fatal(err)
			}
		}
		trackSegs(t, w, segs)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{tt.listen, tt.conn, tt.accep} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", tt.format, want, out)
			}
		}
	}
}

// BenchmarkPictures draws the conversations of zerowindow.pcap in each
// picture format, from packets already decoded.
func BenchmarkPictures(b *testing.B) {
	src, err := capture.Open("../testdata/zerowindow.pcap")
	if err != nil {
		b.Skip(err)
	}
	var pkts []decode.Packet
	s := decode.NewStream(src, decode.NewTracker())
	for {
		p, err := s.Next()
		if err != nil {
			break
		}
		c := *p
		c.Payload = append([]byte(nil), p.Payload...)
		pkts = append(pkts, c)
	}
	src.Close()
	for _, format := range []string{"svg", "html", "mermaid", "plantuml", "header", "rtt"} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w, _ := New(format, io.Discard, Options{Explain: true})
				for i := range pkts {
					w.WritePacket(&pkts[i])
				}
				w.Close()
			}
		})
	}
}
