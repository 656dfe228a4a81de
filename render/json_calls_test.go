package render

import (
	"bytes"
	"encoding/json"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// TestJSONCalls checks that calls ride on the packet they precede, that
// the lines still hold to the contract, and that calls after the last
// packet form a last line of their own.
func TestJSONCalls(t *testing.T) {
	src, err := capture.Open("../testdata/handshake.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var buf bytes.Buffer
	j := NewJSON(&buf, Options{})
	s := decode.NewStream(src, decode.NewTracker())
	server := netip.MustParseAddrPort("127.0.0.1:18080")
	client := netip.MustParseAddrPort("127.0.0.1:39270")
	var last time.Time
	for n := 1; ; n++ {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			j.WriteCall(Call{Time: p.Time.Add(-time.Microsecond), Proto: decode.ProtoTCP, Local: client, Peer: server, Side: "client", Name: "socket", Args: "AF_INET, SOCK_STREAM, 0", Result: "fd 3"})
		}
		if n == 4 {
			j.WriteCall(Call{Time: p.Time.Add(-time.Microsecond), Proto: decode.ProtoTCP, Local: client, Peer: server, Side: "client", Name: "write", Args: `fd 3, "Hello <&>\n", 9`, Result: "9 bytes"})
		}
		last = p.Time
		if err := j.WritePacket(p); err != nil {
			t.Fatal(err)
		}
	}
	j.WriteCall(Call{Time: last.Add(time.Millisecond), Proto: decode.ProtoTCP, Local: server, Side: "server", Name: "close", Args: "fd 3", Result: "0"})
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	withCalls := map[int][]JSONCall{}
	for i, l := range lines[:len(lines)-1] {
		var p JSONPacket
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if len(p.Calls) > 0 {
			withCalls[p.N] = p.Calls
		}
		// The line is exactly encoding/json's: the contract holds with calls.
		want, _ := json.Marshal(p)
		if string(want) != l {
			t.Errorf("line %d:\nhand:     %s\ncontract: %s", i+1, l, want)
		}
	}
	if len(withCalls) != 2 || withCalls[1][0].Call != "socket" || withCalls[4][0].Args != `fd 3, "Hello <&>\n", 9` ||
		withCalls[1][0].Local != "127.0.0.1:39270" || withCalls[1][0].Peer != "127.0.0.1:18080" {
		t.Errorf("calls on packets: %+v", withCalls)
	}
	var tail JSONCalls
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &tail); err != nil || len(tail.Calls) != 1 || tail.Calls[0].Call != "close" || tail.Calls[0].Peer != "" {
		t.Errorf("last line %q: %+v, %v", lines[len(lines)-1], tail, err)
	}
	if !strings.HasSuffix(tail.Calls[0].Time, "Z") || len(tail.Calls[0].Time) != len("2026-11-21T14:08:35.385057000Z") {
		t.Errorf("call time %q, want RFC 3339 with nanoseconds", tail.Calls[0].Time)
	}
}

// TestCallLines checks the call lines of the lines format.
func TestCallLines(t *testing.T) {
	var buf bytes.Buffer
	l := NewLines(&buf, Options{})
	at := time.Date(2026, 11, 21, 14, 8, 35, 385021000, time.UTC)
	l.WriteCall(Call{Time: at, Local: netip.MustParseAddrPort("127.0.0.1:39270"), Peer: netip.MustParseAddrPort("127.0.0.1:18080"), Side: "client", Name: "connect", Args: "fd 3, 127.0.0.1:18080", Result: "0"})
	l.WriteCall(Call{Time: at, Local: netip.MustParseAddrPort("[::1]:18080"), Side: "server", Name: "write", Args: "fd 3, \"a\\n\x1b[2J\", 3", Result: "-1 EPIPE"})
	want := "14:08:35.385021 CALL client 127.0.0.1.39270 > 127.0.0.1.18080: connect(fd 3, 127.0.0.1:18080) = 0\n" +
		"14:08:35.385021 CALL server ::1.18080: write(fd 3, \"a\\n\\x1b[2J\", 3) = -1 EPIPE\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
