package render_test

import (
	"fmt"
	"io"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
	"github.com/tcpshow/tcpshow/render"
)

// A drawing of your own is a draw function over the ladder model: here,
// every row of each conversation with the states the lanes are in after
// it, RFC 9293 style.
func ExampleNewCollector() {
	src, err := capture.Open("../testdata/handshake.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	c := render.NewCollector(render.CollectorOptions{}, func(d *render.Diagram) error {
		fmt.Printf("%v  ←→  %v\n", d.Lanes[0].Endpoint, d.Lanes[1].Endpoint)
		fmt.Printf("%-12s %-36s %s\n", d.Lanes[0].Initial, "", d.Lanes[1].Initial)
		for _, r := range d.Rows {
			switch r.Kind {
			case render.RowSeparator:
				fmt.Printf("%12s ---- %s ----\n", "", r.Phase)
			case render.RowPacket:
				parts := r.Arrow.Label(false)
				label := parts[0].Text
				if len(parts) > 1 && parts[1].Kind == render.PartSeq {
					label += " " + parts[1].Text
				}
				arrow := "--> " + label
				if r.Arrow.Dir == decode.ServerToClient {
					arrow = "<-- " + label
				}
				fmt.Printf("%-12s %-36s %s\n", r.States[0], arrow, r.States[1])
			}
		}
		return nil
	})
	s := decode.NewStream(src, decode.NewTracker())
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		c.WritePacket(p)
	}
	if err := c.Close(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 127.0.0.1:39270  ←→  127.0.0.1:18080
	// CLOSED                                            LISTEN
	// SYN-SENT     --> SYN seq 0                        SYN-RECEIVED
	// ESTABLISHED  <-- SYN,ACK seq 0                    SYN-RECEIVED
	// ESTABLISHED  --> ACK                              ESTABLISHED
	//              ---- data transfer ----
	// ESTABLISHED  --> PSH,ACK seq 1:18                 ESTABLISHED
	// ESTABLISHED  <-- ACK                              ESTABLISHED
	// ESTABLISHED  <-- PSH,ACK seq 1:18                 ESTABLISHED
	// ESTABLISHED  --> ACK                              ESTABLISHED
	//              ---- teardown ----
	// CLOSE-WAIT   <-- FIN,ACK seq 18                   FIN-WAIT-1
	// CLOSE-WAIT   --> ACK                              FIN-WAIT-2
	// LAST-ACK     --> FIN,ACK seq 18                   TIME-WAIT
	// CLOSED       <-- ACK                              TIME-WAIT
}
