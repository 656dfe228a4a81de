package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testEnv returns an env for in-process runs: no terminal, no colour.
func testEnv(stdout, stderr io.Writer) *env {
	return &env{
		stdin:  strings.NewReader(""),
		stdout: stdout,
		stderr: stderr,
		getenv: func(string) string { return "" },
	}
}

// runCmd runs tcpshow in-process and returns its output and exit code.
func runCmd(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := testEnv(&out, &errb)
	if stdin != nil {
		e.stdin = stdin
	}
	code = run(context.Background(), args, e)
	return out.String(), errb.String(), code
}

func TestReplayStdin(t *testing.T) {
	data, err := os.ReadFile("../../testdata/handshake.pcap")
	if err != nil {
		t.Fatal(err)
	}
	fromFile, _, code := runCmd(t, nil, "replay", "--format", "lines", "--utc", "../../testdata/handshake.pcap")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	fromStdin, stderr, code := runCmd(t, bytes.NewReader(data), "replay", "--format", "lines", "--utc", "-")
	if code != exitOK || fromStdin != fromFile || stderr != "" {
		t.Errorf("stdin: exit %d, stderr %q, output differs from the file's: %v", code, stderr, fromStdin != fromFile)
	}
	if n := strings.Count(fromFile, "\n"); n != 11 {
		t.Errorf("%d lines, want 11", n)
	}
}

// TestFlagsAfterFile checks that flags may follow the file name.
func TestFlagsAfterFile(t *testing.T) {
	before, _, _ := runCmd(t, nil, "replay", "--format", "json", "../../testdata/udp.pcap")
	after, _, code := runCmd(t, nil, "replay", "../../testdata/udp.pcap", "--format", "json")
	if code != exitOK || before != after || !strings.HasPrefix(after, `{"n":1,`) {
		t.Errorf("exit %d, outputs equal %v: %.80s", code, before == after, after)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	notCapture := filepath.Join(dir, "notes.txt")
	os.WriteFile(notCapture, []byte("these are my notes, not packets\n"), 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	good, _ := os.ReadFile("../../testdata/handshake.pcap")
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, good[:len(good)-30], 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // substring of the one-line message
		lines  int    // lines on stdout
	}{
		{"no arguments", []string{}, exitUsage, "Usage:", 0},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`, 0},
		{"missing file", []string{"replay", filepath.Join(dir, "nope.pcap")}, exitError, "nope.pcap: no such file or directory", 0},
		{"not a capture", []string{"replay", notCapture}, exitError, "notes.txt: not a pcap or pcapng capture", 0},
		{"empty file", []string{"replay", empty}, exitError, "empty.pcap: empty file", 0},
		{"cut short", []string{"replay", "--format", "lines", cut}, exitError, "cut.pcap: record 11: file ends in the middle of a record", 10},
		{"bad format", []string{"replay", "--format", "xml", "../../testdata/udp.pcap"}, exitUsage, `unknown format "xml"`, 0},
		{"bad flag", []string{"replay", "--frobnicate", "../../testdata/udp.pcap"}, exitUsage, "flag provided but not defined", 0},
		{"two files", []string{"replay", "a.pcap", "b.pcap"}, exitUsage, "want one capture file", 0},
		{"bad color", []string{"replay", "--color", "sometimes", "../../testdata/udp.pcap"}, exitUsage, "--color must be", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCmd(t, nil, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q, want it to say %q", stderr, tt.stderr)
			}
			if tt.code == exitError && strings.Count(stderr, "\n") != 1 {
				t.Errorf("stderr has %d lines, want one: %q", strings.Count(stderr, "\n"), stderr)
			}
			if n := strings.Count(stdout, "\n"); n != tt.lines {
				t.Errorf("%d lines on stdout, want %d", n, tt.lines)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"help", "replay"}, {"replay", "-h"}} {
		stdout, stderr, code := runCmd(t, nil, args...)
		if code != exitOK || stderr != "" || !strings.Contains(stdout, "tcpshow replay") {
			t.Errorf("%v: exit %d stderr %q stdout %.60q", args, code, stderr, stdout)
		}
	}
	stdout, _, _ := runCmd(t, nil, "replay", "-h")
	for _, want := range []string{"--format", "Examples:", "lines", "json"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("replay -h does not mention %q", want)
		}
	}
}

// TestSkippedReport checks the one line about frames without TCP or UDP.
func TestSkippedReport(t *testing.T) {
	good, _ := os.ReadFile("../../testdata/handshake.pcap")
	// Rewrite the second frame's EtherType to ARP (0x0806).
	b := append([]byte{}, good...)
	off := 24 + 16 + 74 + 16
	b[off+12], b[off+13] = 0x08, 0x06
	stdout, stderr, code := runCmd(t, bytes.NewReader(b), "replay", "--format", "lines", "-")
	if code != exitOK || strings.Count(stdout, "\n") != 10 {
		t.Errorf("exit %d, %d lines", code, strings.Count(stdout, "\n"))
	}
	if want := "tcpshow: 1 frame without TCP or UDP skipped: 1 not IP (EtherType or family 0x0806)\n"; stderr != want {
		t.Errorf("stderr %q, want %q", stderr, want)
	}
}
