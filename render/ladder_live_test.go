package render

import (
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/capture/traffic"
	"github.com/tcpshow/tcpshow/decode"
)

// freePort returns a TCP port on 127.0.0.1 that nobody listens on now.
func freePort(t *testing.T) uint16 {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return uint16(l.Addr().(*net.TCPAddr).Port)
}

// TestLadderLiveCalls plays generator scenarios under a live capture on
// the loopback device and checks where their socket calls land among the
// real packets: connect just above its SYN and its return after the
// SYN-ACK (or beside the RST that refuses it), accept after the final ACK,
// write above its data, close above its FIN. It needs permission to
// capture (root in CI) and skips without it.
func TestLadderLiveCalls(t *testing.T) {
	tests := []struct {
		scenario string
		want     []string // rows of shape() in this order, not necessarily adjacent
		adjacent []string // pairs of rows that must follow each other
	}{
		{"hello",
			[]string{"call1:listen", "call0:connect…", "SYN>", "<SYN,ACK", "ACK>", "call0:connect→", "call1:accept", "call0:write", "PSH,ACK>", "call0:close", "FIN,ACK>"},
			[]string{"call0:connect… SYN>", "call0:write PSH,ACK>", "call0:close FIN,ACK>"}},
		{"refused",
			[]string{"call0:connect…", "SYN>", "<RST,ACK", "call0:connect→"},
			[]string{"call0:connect… SYN>", "<RST,ACK call0:connect→"}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			port := freePort(t)
			l, err := capture.OpenLive(capture.LiveOptions{Device: "lo", Filter: fmt.Sprintf("tcp port %d", port)})
			if err != nil {
				t.Skipf("no live capture on lo: %v", err)
			}
			defer l.Close()
			l.Start()
			// Give the capture time to be active on a busy machine.
			time.Sleep(250 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			res, err := traffic.Run(ctx, tt.scenario, traffic.Options{Port: port})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			l.Stop()
			var ds []*Diagram
			c := NewCollector(CollectorOptions{}, func(d *Diagram) error { ds = append(ds, d); return nil })
			for _, call := range res.Calls {
				c.WriteCall(Call{Time: call.Time, Proto: call.Proto, Local: call.Local, Peer: call.Peer,
					Side: string(call.Side), Name: call.Name, Args: call.Args, Result: call.Result})
			}
			s := decode.NewStream(l, decode.NewTracker())
			for {
				p, err := s.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := c.WritePacket(p); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 {
				t.Fatalf("%d conversations on port %d, want 1 (capture stats %+v)", len(ds), port, l.Stats())
			}
			got := " " + shape(ds[0]) + " "
			at := 0
			for _, w := range tt.want {
				i := strings.Index(got[at:], " "+w+" ")
				if i < 0 {
					t.Fatalf("no %q after position %d in\n%s", w, at, got)
				}
				at += i + len(w)
			}
			for _, pair := range tt.adjacent {
				if !strings.Contains(got, " "+pair+" ") {
					t.Errorf("%q not next to each other in\n%s", pair, got)
				}
			}
		})
	}
}
