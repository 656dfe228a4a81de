//go:build linux || darwin

package traffic_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture/traffic"
)

// TestFeed reads a run's calls while it goes on, as a live capture does,
// and checks that it gets every call once, in order, with its endpoints.
func TestFeed(t *testing.T) {
	for _, name := range []string{"hello", "zerowindow"} {
		t.Run(name, func(t *testing.T) {
			f := traffic.NewFeed()
			type result struct {
				res traffic.Result
				err error
			}
			done := make(chan result, 1)
			go func() {
				res, err := traffic.Run(context.Background(), name, traffic.Options{Feed: f})
				done <- result{res, err}
			}()
			var got []traffic.Call
			for !f.Done() {
				now := time.Now()
				batch := f.Before(now, 50*time.Millisecond)
				for _, c := range batch {
					if !c.Time.Before(now) {
						t.Errorf("%s returned at %v, handed out for before %v", c.Name, c.Time, now)
					}
					if !c.Local.IsValid() {
						t.Errorf("%s %s handed out before its endpoints were known", c.Side, c.Name)
					}
				}
				got = append(got, batch...)
				time.Sleep(100 * time.Microsecond)
			}
			got = append(got, f.Rest(time.Second)...)
			r := <-done
			if r.err != nil {
				t.Fatal(r.err)
			}
			if !reflect.DeepEqual(got, r.res.Calls) {
				t.Errorf("fed %d calls, the run made %d (or they differ)", len(got), len(r.res.Calls))
			}
			if _, err := traffic.Run(context.Background(), name, traffic.Options{Feed: f}); err == nil {
				t.Error("a feed served two runs")
			}
		})
	}
}

func TestFreePort(t *testing.T) {
	s, _ := traffic.Lookup("hello")
	p, err := traffic.FreePort(s.Loopback())
	if err != nil || p == 0 {
		t.Fatalf("FreePort = %d, %v", p, err)
	}
}
