package traffic_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/capture/traffic"
	"github.com/tcpshow/tcpshow/decode"
)

// TestMain leaves out ExampleRun where live capture is not permitted (it
// needs root or CAP_NET_RAW), saying why, since an example cannot skip
// itself.
func TestMain(m *testing.M) {
	flag.Parse()
	if l, err := capture.OpenLive(capture.LiveOptions{Device: "lo"}); err != nil {
		fmt.Fprintf(os.Stderr, "skipping ExampleRun: cannot capture on lo: %v\n", err)
		skip := "^ExampleRun$"
		if f := flag.Lookup("test.skip"); f != nil && f.Value.String() != "" {
			skip = f.Value.String() + "|" + skip
		}
		flag.Set("test.skip", skip)
	} else {
		l.Close()
	}
	os.Exit(m.Run())
}

// Run a scenario while capturing the loopback device, then list its socket
// calls with the packets they put on the wire: each packet is shown above
// the call during which it was sent. Capturing needs root or CAP_NET_RAW.
func ExampleRun() {
	const port = 47813 // the server's port, to pick this scenario's packets out
	live, err := capture.OpenLive(capture.LiveOptions{Device: "lo"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer live.Close()
	live.Start()
	res, err := traffic.Run(context.Background(), "refused", traffic.Options{Port: port, Timeout: 5 * time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	time.Sleep(200 * time.Millisecond) // let the last packets reach the capture
	live.Stop()

	s := decode.NewStream(live, decode.NewTracker())
	var packets []decode.Packet
	for {
		p, err := s.Next()
		if err != nil {
			break // io.EOF once the queue is drained
		}
		if p.Proto == decode.ProtoTCP && (p.Src.Port() == port || p.Dst.Port() == port) {
			packets = append(packets, *p)
		}
	}
	next := 0
	for _, c := range res.Calls {
		for next < len(packets) && !packets[next].Time.After(c.Time) {
			p := &packets[next]
			from, to := "client", "server"
			if p.Src.Port() == port {
				from, to = to, from
			}
			fmt.Printf("    %s → %s %s\n", from, to, p.TCP.Flags)
			next++
		}
		result := "ok"
		if c.Failed() {
			result = c.Result
		}
		fmt.Printf("%s %s: %s\n", c.Side, c.Name, result)
	}
	// Output:
	// server socket: ok
	// server bind: ok
	// client socket: ok
	//     client → server SYN
	//     server → client RST,ACK
	// client connect: -1 ECONNREFUSED
	// client close: ok
	// server close: ok
}
