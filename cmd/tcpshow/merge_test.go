//go:build linux || darwin

package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/capture/traffic"
	"github.com/tcpshow/tcpshow/decode"
	"github.com/tcpshow/tcpshow/render"
)

// TestCallMerger feeds a finished run's calls and a capture's packets,
// re-timed to fall between the calls, through the merger into the lines
// format, and checks that calls and packets come out in time order, every
// call once. It needs no capture privileges.
func TestCallMerger(t *testing.T) {
	feed := traffic.NewFeed()
	res, err := traffic.Run(context.Background(), "hello", traffic.Options{Feed: feed})
	if err != nil {
		t.Fatal(err)
	}
	src, err := capture.Open("../../testdata/handshake.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out bytes.Buffer
	m := &callMerger{Writer: render.NewLines(&out, render.Options{Location: time.UTC}), feed: feed}
	s := decode.NewStream(src, decode.NewTracker())
	var times []time.Time
	for k := 0; ; k++ {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		// Packet k is captured just after call 2k returned.
		p.Time = res.Calls[min(2*k, len(res.Calls)-1)].Time.Add(time.Nanosecond)
		times = append(times, p.Time)
		if err := m.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	calls, packets := 0, 0
	for _, l := range lines {
		if strings.Contains(l, " CALL ") {
			c := res.Calls[calls]
			if !strings.Contains(l, ": "+c.Name+"(") {
				t.Fatalf("call line %d is %q, want %s", calls, l, c.Name)
			}
			if packets < len(times) && !c.Time.Before(times[packets]) {
				t.Errorf("%s (returned %v) written after the packets before %v", c.Name, c.Time, times[packets])
			}
			if packets > 0 && c.Time.Before(times[packets-1]) {
				t.Errorf("%s (returned %v) written after a packet captured later, at %v", c.Name, c.Time, times[packets-1])
			}
			calls++
			continue
		}
		packets++
	}
	if calls != len(res.Calls) || packets != len(times) {
		t.Errorf("%d of %d calls and %d of %d packets written", calls, len(res.Calls), packets, len(times))
	}
}
