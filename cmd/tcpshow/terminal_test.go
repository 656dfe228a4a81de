package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpshow/tcpshow/render"
)

// hostilePayloads are packet payloads that would take over a terminal if
// they reached it as they are.
var hostilePayloads = [][]byte{
	[]byte("\x1b]0;you have been owned\x07"),                         // OSC 0: set the window title
	[]byte("\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"), // OSC 8 hyperlink, ST-terminated
	[]byte("\x1b[2J\x1b[H\x1b[10A\x1b[31mred"),                       // CSI: clear, home, cursor up, colour
	[]byte("\xc2\x9b6n \xc2\x9d0;c1 title\xc2\x9c"),                  // C1 CSI and OSC as UTF-8
	[]byte("\x9b6n raw C1 \x9d0;t\x9c"),                              // C1 controls as raw bytes
	[]byte("user\u202egnp.exe\u202c \u2066isolate\u2069 \u061c"),     // bidi overrides, isolates, Arabic letter mark
	[]byte("bad \xff\xfe utf-8 \xc3"),                                // invalid UTF-8
	[]byte("\r\b\b\x00\x7f\x1bc"),                                    // carriage return, backspaces, NUL, DEL, RIS (reset)
}

// sgr matches the colour sequences tcpshow itself writes with --color.
var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// terminalUnsafe returns a description of the first thing in b that a
// terminal would act on instead of showing: a control character other than
// newline and tab, an invalid UTF-8 sequence, a C1 control, or a format
// character such as a bidi override. It returns "" if there is none.
func terminalUnsafe(b []byte) string {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			return fmt.Sprintf("invalid UTF-8 byte %#02x at %d: %q", b[i], i, around(b, i))
		case r == '\n' || r == '\t':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Sprintf("control %U at %d: %q", r, i, around(b, i))
		case r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			return fmt.Sprintf("bidi control %U at %d: %q", r, i, around(b, i))
		}
		i += n
	}
	return ""
}

func around(b []byte, i int) string {
	return string(b[max(i-30, 0):min(i+30, len(b))])
}

// hostilePcapNG returns a pcapng file whose section and interface hold
// escape sequences in every string, with the frames on that interface.
func hostilePcapNG(t *testing.T, frames [][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&b, pcapgo.NgInterface{
		Name:        "lo\x1b]0;owned\x07",
		Description: "loopback \x1b[2J\u202e",
		Comment:     "a comment \x1b[31m\xc2\x9b",
		Filter:      "tcp \x1b[H",
		OS:          "Linux\r\x1b[K",
		LinkType:    layers.LinkTypeEthernet,
		SnapLength:  262144,
	}, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{
		Hardware: "\x1b]0;hw\x07", OS: "\x1b]0;os\x07", Application: "\x1b]0;app\x07", Comment: "section \x1b[H\x1b[2J",
	}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i, f := range frames {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestTerminalSafety replays captures whose payloads, interface names and
// comments hold escape sequences in every output format, with and without
// colour: nothing from the capture may reach the terminal unescaped.
func TestTerminalSafety(t *testing.T) {
	frames := exchange(t, hostilePayloads...)
	for i, p := range hostilePayloads {
		frames = append(frames, segment{udp: true, sport: 5353, dport: uint16(6000 + i), payload: p}.frame(t))
	}
	// A frame cut short in the middle of a payload escape.
	cut := segment{sport: 40001, dport: 8080, flags: "PA", seq: 1, ack: 1, payload: []byte("\x1b]0;cut")}.frame(t)
	captures := map[string][]byte{
		"hostile.pcap":   pcapBytes(t, append(frames, cut[:len(cut)-3])...),
		"hostile.pcapng": hostilePcapNG(t, frames),
	}
	for name, data := range captures {
		path := writeTemp(t, name, data)
		for _, f := range render.Formats() {
			for _, color := range []string{"never", "always"} {
				t.Run(fmt.Sprintf("%s/%s/color-%s", name, f.Name, color), func(t *testing.T) {
					stdout, stderr, code := runCmd(t, nil, "replay", "--format", f.Name, "--color", color, path)
					if code != exitOK {
						t.Fatalf("exit %d: %s", code, stderr)
					}
					out := []byte(stdout)
					if color == "always" {
						out = sgr.ReplaceAll(out, nil)
					}
					if bad := terminalUnsafe(out); bad != "" {
						t.Errorf("stdout: %s", bad)
					}
					if bad := terminalUnsafe([]byte(stderr)); bad != "" {
						t.Errorf("stderr: %s", bad)
					}
				})
			}
		}
	}
	// Where a format shows payloads, they appear escaped.
	stdout, _, _ := runCmd(t, nil, "replay", "--format", "table", writeTemp(t, "hostile.pcap", captures["hostile.pcap"]))
	for _, want := range []string{`\x1b]0;you have been owned\x07`, `\u009b6n`, `\x9b6n`, `user\u202egnp.exe`, `bad \xff\xfe`} {
		if !strings.Contains(stdout, want) {
			t.Errorf("table does not show the payload escaped as %s", want)
		}
	}
}

// TestHostileFileName checks that a file name with escape sequences is
// escaped in the error line that names it.
func TestHostileFileName(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"\x1b]0;owned\x07.pcap", "\x1b[2J\u202e.pcap"} {
		_, stderr, code := runCmd(t, nil, "replay", dir+"/"+name)
		if code != exitError {
			t.Errorf("exit %d", code)
		}
		if bad := terminalUnsafe([]byte(stderr)); bad != "" {
			t.Errorf("stderr for %q: %s", name, bad)
		}
		if !strings.Contains(stderr, "no such file") {
			t.Errorf("stderr %q does not say what is wrong", stderr)
		}
	}
	// Not a capture, and its first bytes are an escape sequence.
	notCap := writeTemp(t, "notes.txt", []byte("\x1b]0;owned\x07 and more text to fill a header"))
	_, stderr, _ := runCmd(t, nil, "replay", notCap)
	if bad := terminalUnsafe([]byte(stderr)); bad != "" {
		t.Errorf("stderr: %s", bad)
	}
}
