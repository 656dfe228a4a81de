package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputFile checks -o: the file holds exactly what standard output
// would, an existing file is replaced, no temporary file is left behind,
// and errors name the file.
func TestOutputFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := os.WriteFile(path, []byte("old contents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"lines", "header", "rtt", "json"} {
		want, _, code := runCmd(t, nil, "replay", "--format", format, "--utc", "../../testdata/handshake.pcap")
		if code != exitOK {
			t.Fatalf("%s: exit %d", format, code)
		}
		stdout, stderr, code := runCmd(t, nil, "replay", "--format", format, "--utc", "-o", path, "../../testdata/handshake.pcap")
		if code != exitOK || stdout != "" || stderr != "" {
			t.Errorf("%s -o: exit %d, stdout %.40q, stderr %q", format, code, stdout, stderr)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != want {
			t.Errorf("%s: file differs from standard output (err %v):\n%.300s", format, err, got)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want only out.txt", len(ents))
	}

	// A capture damaged at its end: what was read is kept, as on stdout.
	good, _ := os.ReadFile("../../testdata/handshake.pcap")
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, good[:len(good)-30], 0o644)
	cutOut := filepath.Join(dir, "cut.txt")
	_, stderr, code := runCmd(t, nil, "replay", "--format", "lines", "-o", cutOut, cut)
	got, _ := os.ReadFile(cutOut)
	if code != exitError || !strings.Contains(stderr, "cut.pcap") || strings.Count(string(got), "\n") != 10 {
		t.Errorf("damaged capture: exit %d, stderr %q, %d lines in the file", code, stderr, strings.Count(string(got), "\n"))
	}

	for _, tt := range []struct {
		name, path, msg string
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "dir.txt"), "dir.txt: no such file or directory"},
		{"a directory", dir, "is a directory"},
	} {
		_, stderr, code := runCmd(t, nil, "replay", "-o", tt.path, "../../testdata/udp.pcap")
		if code != exitError || !strings.Contains(stderr, tt.msg) || !strings.Contains(stderr, tt.path) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%s: exit %d, stderr %q; want one line naming %s", tt.name, code, stderr, tt.path)
		}
	}
	// A bad format creates no file.
	bad := filepath.Join(dir, "bad.txt")
	if _, _, code := runCmd(t, nil, "replay", "--format", "xml", "-o", bad, "../../testdata/udp.pcap"); code != exitUsage {
		t.Errorf("bad format: exit %d", code)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Errorf("a bad format left %s behind", bad)
	}
}

// TestExplainFormats checks that --explain is refused, with one line
// naming the formats that show notes, where a format has no place for them.
func TestExplainFormats(t *testing.T) {
	for _, tt := range []struct {
		format string
		code   int
	}{{"ladder", exitOK}, {"lines", exitOK}, {"svg", exitOK}, {"mermaid", exitOK}, {"json", exitUsage}, {"rtt", exitUsage}} {
		stdout, stderr, code := runCmd(t, nil, "replay", "--explain", "--format", tt.format, "../../testdata/refused.pcap")
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d (%s)", tt.format, code, tt.code, stderr)
		}
		if code == exitOK && !strings.Contains(stdout, "ECONNREFUSED") {
			t.Errorf("%s: no note about the refused connection:\n%s", tt.format, stdout)
		}
		if code == exitUsage && (!strings.Contains(stderr, "they show in ladder, lines") || strings.Count(stderr, "\n") != 1) {
			t.Errorf("%s: stderr %q", tt.format, stderr)
		}
	}
}
