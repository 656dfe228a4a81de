package main

import (
	"strings"
	"testing"
)

// TestSelect checks --conv, --host and --port on multi-link.pcapng, which
// holds a TCP conversation (1, port 18080) and a UDP one (2, port 18080
// too, from 127.0.0.1:44616), in every format.
func TestSelect(t *testing.T) {
	const file = "../../testdata/multi-link.pcapng"
	tests := []struct {
		name  string
		args  []string
		lines int    // lines of --format lines output
		want  string // in the ladder
		not   string // not in the ladder
	}{
		{"all", nil, 17, "Conversation 2 (UDP)", ""},
		{"conv 1", []string{"--conv", "1"}, 11, "Conversation 1 (TCP)", "Conversation 2"},
		{"conv 2", []string{"--conv", "2"}, 6, "Conversation 2 (UDP)", "Conversation 1"},
		{"conv list", []string{"--conv", "1,2"}, 17, "Conversation 2", ""},
		{"port both", []string{"--port", "18080"}, 17, "Conversation 1", ""},
		{"port client", []string{"--port", "44616"}, 6, "Conversation 2", "Conversation 1"},
		{"host", []string{"--host", "127.0.0.1", "--port", "39270"}, 11, "Conversation 1", "Conversation 2"},
		{"host none", []string{"--host", "::1"}, 0, "", "Conversation"},
		{"conv and port disjoint", []string{"--conv", "1", "--port", "44616"}, 0, "", "Conversation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, stderr, code := runCmd(t, nil, append([]string{"replay", "--format", "lines", file}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if n := strings.Count(lines, "\n"); n != tt.lines {
				t.Errorf("lines: %d lines, want %d", n, tt.lines)
			}
			ladder, _, code := runCmd(t, nil, append([]string{"replay", file}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("ladder: exit %d", code)
			}
			if tt.want != "" && !strings.Contains(ladder, tt.want) {
				t.Errorf("ladder lacks %q:\n%s", tt.want, ladder)
			}
			if tt.not != "" && strings.Contains(ladder, tt.not) {
				t.Errorf("ladder has %q:\n%s", tt.not, ladder)
			}
			js, _, _ := runCmd(t, nil, append([]string{"replay", "--format", "json", file}, tt.args...)...)
			if n := strings.Count(js, "\n"); n != tt.lines {
				t.Errorf("json: %d lines, want %d", n, tt.lines)
			}
		})
	}
}

func TestSelectBadArgs(t *testing.T) {
	for _, args := range [][]string{
		{"--conv", "0"}, {"--conv", "x"}, {"--host", "localhost"}, {"--port", "70000"}, {"--port", "0"}, {"--max-rows", "1"},
	} {
		_, stderr, code := runCmd(t, nil, append([]string{"replay", "../../testdata/handshake.pcap"}, args...)...)
		if code != exitUsage || !strings.Contains(stderr, strings.TrimLeft(args[0], "-")) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %s", args, code, stderr, args[0])
		}
	}
}

// TestReplayDefaultLadder checks that replay draws ladders by default and
// that the --ascii ladder is plain ASCII.
func TestReplayDefaultLadder(t *testing.T) {
	out, _, code := runCmd(t, nil, "replay", "--ascii", "../../testdata/handshake.pcap")
	if code != exitOK || !strings.HasPrefix(out, "Conversation 1 (TCP): 11 packets") {
		t.Fatalf("exit %d: %.200s", code, out)
	}
	for i, c := range []byte(out) {
		if c >= 0x80 {
			t.Fatalf("non-ASCII byte %#x at %d in --ascii output", c, i)
		}
	}
}
