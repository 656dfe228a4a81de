package render_test

import (
	"fmt"
	"io"
	"os"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
	"github.com/tcpshow/tcpshow/render"
)

// Replay a capture file and print each conversation's ladder diagram as
// soon as the conversation ends: the tracker's OnEnd hands it to the
// ladder, which draws it and forgets it.
func ExampleLadder() {
	src, err := capture.Open("../testdata/refused.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	ladder := render.NewLadder(os.Stdout, render.Options{Width: 80})
	var drawErr error
	trk := decode.NewTrackerWith(decode.TrackerOptions{OnEnd: func(c *decode.Conversation) {
		if err := ladder.EndConversation(c); err != nil && drawErr == nil {
			drawErr = err
		}
	}})
	s := decode.NewStream(src, trk)
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if err := ladder.WritePacket(p); err != nil {
			fmt.Println(err)
			return
		}
	}
	trk.Close() // ends the conversations still open
	if err := ladder.Close(); err != nil || drawErr != nil {
		fmt.Println(err, drawErr)
	}
	// Output:
	// Conversation 1 (TCP): 2 packets, 0 B of payload, 0.224 ms
	// #    ms  127.0.0.1:59572                                         127.0.0.1:18081
	//          CLOSED   │                                                   │ CLOSED
	// 1 0.000  SYN-SENT │─ SYN seq 0 win 65495 mss 65495 ws 10 sack TS ────▶│
	// 2 0.224  CLOSED   │◀────────────────────── RST,ACK seq 1 ack 1 win 0 ─│
}

// Explain what the numbers of a packet mean: the notes an Explainer gives,
// each once per conversation, where it first applies.
func ExampleExplainer() {
	src, err := capture.Open("../testdata/refused.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	s := decode.NewStream(src, decode.NewTracker())
	ex := render.NewExplainer()
	for {
		p, err := s.Next()
		if err != nil {
			break
		}
		for _, n := range ex.Notes(nil, p) {
			fmt.Printf("frame %d, %s\n", n.Frame, n.Topic)
		}
	}
	// Output:
	// frame 1, relative
	// frame 1, mss
	// frame 1, checksum
	// frame 2, refused
}
