package decode_test

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gopacket/gopacket/layers"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// Decode one frame from its bytes: the SYN of testdata/handshake.pcap, an
// Ethernet frame as tcpdump -w recorded it on the loopback device.
func ExampleDecoder_Decode() {
	const syn = "000000000000000000000000 0800" + // Ethernet: dst, src, IPv4
		"4500 003c dd0a 4000 4006 5faf 7f000001 7f000001" + // IPv4: 60 bytes, DF, TTL 64, TCP
		"9966 46a0 75c741d9 00000000 a002 ffd7 fe30 0000" + // TCP: 39270 → 18080, SYN, win 65495
		"0204ffd7 0402 080ae65b36ee00000000 01 03030a" // MSS 65495, SACK-perm, TS, NOP, wscale 10
	data, err := hex.DecodeString(strings.ReplaceAll(syn, " ", ""))
	if err != nil {
		fmt.Println(err)
		return
	}
	var p decode.Packet
	decode.NewDecoder().Decode(1, capture.Frame{
		Time:     time.Date(2026, 11, 21, 14, 8, 35, 384895000, time.UTC),
		LinkType: layers.LinkTypeEthernet,
		OrigLen:  len(data),
		Data:     data,
	}, &p)
	t := &p.TCP
	fmt.Println(p.Src, "→", p.Dst, p.Proto, t.Flags)
	fmt.Println("seq", t.Seq, "window", t.Window, "header", t.HdrLen(), "bytes")
	fmt.Println("mss", t.Options.MSS, "wscale", t.Options.WScale, "TSval", t.Options.TSVal)
	fmt.Println("checksum", t.ChecksumStatus)
	// Output:
	// 127.0.0.1:39270 → 127.0.0.1:18080 tcp SYN
	// seq 1975992793 window 65495 header 40 bytes
	// mss 65495 wscale 10 TSval 3864737518
	// checksum incorrect
}

// Walk the packets of a capture and check a student's answers: the raw
// sequence number of the client's SYN, and the server's state after the
// second packet (the SYN-ACK).
func ExampleStream() {
	answers := map[string]string{"syn seq": "1975992793", "server state after 2": "SYN-RECEIVED"}

	src, err := capture.Open("../testdata/handshake.pcap")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer src.Close()
	s := decode.NewStream(src, decode.NewTracker())
	got := map[string]string{}
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		if p.Proto != decode.ProtoTCP {
			continue
		}
		if p.TCP.Flags == decode.SYN {
			got["syn seq"] = fmt.Sprint(p.TCP.Seq)
		}
		if p.N == 2 {
			// The SYN-ACK goes from the server to the client: the
			// server is its sender.
			server := p.TCP.SrcState
			if p.Conv.Dir(p) == decode.ClientToServer {
				server = p.TCP.DstState
			}
			got["server state after 2"] = server.String()
		}
	}
	for _, q := range []string{"syn seq", "server state after 2"} {
		verdict := "correct"
		if got[q] != answers[q] {
			verdict = "wrong: the capture says " + got[q]
		}
		fmt.Printf("%s = %s: %s\n", q, answers[q], verdict)
	}
	// Output:
	// syn seq = 1975992793: correct
	// server state after 2 = SYN-RECEIVED: correct
}
