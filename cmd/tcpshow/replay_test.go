package main

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpshow/tcpshow/render"
)

// TestConversationLimit checks the default of --max-conversations: the
// formats that hold whole conversations follow fewer unless the user says
// otherwise, in replay, live and demo alike.
func TestConversationLimit(t *testing.T) {
	for _, tc := range []struct {
		format string
		args   []string
		n      int
		want   int
	}{
		{"lines", nil, 50000, 50000},
		{"json", nil, 50000, 50000},
		{"ladder", nil, 50000, drawnConversations},
		{"svg", nil, 50000, drawnConversations},
		{"ladder", nil, 100, 100},
		{"ladder", []string{"--max-conversations", "20000"}, 20000, 20000},
		{"lines", []string{"--max-conversations", "7"}, 7, 7},
	} {
		w, err := render.New(tc.format, io.Discard, render.Options{MaxRows: render.DefaultMaxRows})
		if err != nil {
			t.Fatal(err)
		}
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.Int("max-conversations", tc.n, "")
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if got := conversationLimit(isSet(fs, "max-conversations"), tc.n, w); got != tc.want {
			t.Errorf("%s %v: limit %d, want %d", tc.format, tc.args, got, tc.want)
		}
	}
	var c liveConfig
	if err := parseLiveArgs(testEnv(io.Discard, io.Discard), &c, []string{"--format", "ladder", "lo"}); err != nil {
		t.Fatal(err)
	}
	if c.maxConvsSet {
		t.Error("live without --max-conversations reports it set")
	}
	if err := parseLiveArgs(testEnv(io.Discard, io.Discard), &c, []string{"--max-conversations", "9", "lo"}); err != nil {
		t.Fatal(err)
	}
	if !c.maxConvsSet || c.maxConvs != 9 {
		t.Errorf("live --max-conversations 9: set %v, %d", c.maxConvsSet, c.maxConvs)
	}
}

// TestReplayReadAheadSameOutput replays every capture in testdata in every
// format twice: from its file, which replay reads ahead on a second
// goroutine, and from standard input, which it reads as it goes. The
// outputs must be the same bytes: formats that hold packets until their
// conversation ends must not keep views into frames read ahead.
func TestReplayReadAheadSameOutput(t *testing.T) {
	caps, _ := filepath.Glob("../../testdata/*.pcap*")
	if len(caps) == 0 {
		t.Fatal("no captures in testdata")
	}
	for _, path := range caps {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range render.Formats() {
			fromFile, errFile, codeFile := runCmd(t, nil, "replay", "--format", f.Name, path)
			fromPipe, errPipe, codePipe := runCmd(t, bytes.NewReader(data), "replay", "--format", f.Name, "-")
			if codeFile != codePipe || errFile != errPipe {
				t.Errorf("%s --format %s: exit %d %q from the file, %d %q from stdin", path, f.Name, codeFile, errFile, codePipe, errPipe)
			}
			if fromFile != fromPipe {
				t.Errorf("%s --format %s: the output read ahead differs from the output read from stdin", path, f.Name)
			}
		}
	}
}
