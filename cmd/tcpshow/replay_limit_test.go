package main

import (
	"flag"
	"io"
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
