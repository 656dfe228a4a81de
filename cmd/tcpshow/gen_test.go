//go:build linux || darwin

package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tcpshow/tcpshow/capture/traffic"
)

func TestScenariosCommand(t *testing.T) {
	out, stderr, code := runCmd(t, nil, "scenarios")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(traffic.Scenarios()) {
		t.Errorf("%d lines for %d scenarios", len(lines), len(traffic.Scenarios()))
	}
	for i, s := range traffic.Scenarios() {
		if f := strings.Fields(lines[i]); len(f) < 2 || f[0] != s.Name {
			t.Errorf("line %d %q, want scenario %s and its help", i, lines[i], s.Name)
		}
	}
	if _, _, code := runCmd(t, nil, "scenarios", "extra"); code != exitUsage {
		t.Errorf("scenarios extra: exit %d, want %d", code, exitUsage)
	}
}

// callLine matches the lines gen prints.
var callLine = regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6} CALL (client|server) \S+( > \S+)?: [a-z]+\(.*\) = .+$`)

func TestGen(t *testing.T) {
	out, stderr, code := runCmd(t, nil, "gen", "--utc", "refused")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if !callLine.MatchString(l) {
			t.Errorf("line %q is not a call line", l)
		}
	}
	if !strings.Contains(out, ": connect(") || !strings.Contains(out, ") = -1 ECONNREFUSED\n") {
		t.Errorf("no refused connect in\n%s", out)
	}

	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"gen"}, exitUsage, "want one scenario"},
		{[]string{"gen", "nosuch"}, exitUsage, `unknown scenario "nosuch" (choose hello,`},
		{[]string{"gen", "--server-port", "70000", "hello"}, exitUsage, "--server-port 70000"},
		{[]string{"gen", "--timeout", "0s", "hello"}, exitUsage, "--timeout"},
		{[]string{"gen", "--timeout", "100ms", "backlog"}, exitError, "backlog"},
	} {
		_, stderr, code := runCmd(t, nil, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.msg) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line with %q", tt.args, code, stderr, tt.code, tt.msg)
		}
	}
	help, _, code := runCmd(t, nil, "help", "gen")
	if code != exitOK || !strings.Contains(help, "--server-port") || !strings.Contains(help, "--timeout") {
		t.Errorf("help gen: exit %d, missing flags:\n%s", code, help)
	}
}
