package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
	"github.com/tcpshow/tcpshow/render"
)

// templateFrame is one frame of a real capture, with where its ports are.
type templateFrame struct {
	ci   gopacket.CaptureInfo
	data []byte
	// sport and dport are the offsets of the transport ports in data.
	sport, dport int
	// clientSrc reports that the client (the first packet's sender) sent it.
	clientSrc bool
}

// replicaTemplates are the real captures that big test inputs repeat: a TCP
// exchange over IPv4 and over IPv6, and UDP datagrams.
var replicaTemplates = []string{"handshake.pcap", "ipv6.pcap", "udp.pcap"}

// loadTemplates reads the frames of replicaTemplates, one group per file.
func loadTemplates(tb testing.TB) [][]templateFrame {
	tb.Helper()
	var groups [][]templateFrame
	for _, name := range replicaTemplates {
		f, err := os.Open("../../testdata/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		r, err := pcapgo.NewReader(f)
		if err != nil {
			tb.Fatal(err)
		}
		if r.LinkType() != layers.LinkTypeEthernet {
			tb.Fatalf("%s: link type %v, want Ethernet", name, r.LinkType())
		}
		d := decode.NewDecoder()
		var g []templateFrame
		var client uint16
		for {
			data, ci, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				tb.Fatal(err)
			}
			var p decode.Packet
			d.Decode(1, capture.Frame{LinkType: layers.LinkTypeEthernet, OrigLen: ci.Length, Data: data}, &p)
			if p.Proto == decode.ProtoNone {
				tb.Fatalf("%s: a frame without TCP or UDP", name)
			}
			off := p.Link.HdrLen + p.IP.HdrLen
			if len(g) == 0 {
				client = p.Src.Port()
			}
			g = append(g, templateFrame{ci: ci, data: data, sport: off, dport: off + 2, clientSrc: p.Src.Port() == client})
		}
		f.Close()
		groups = append(groups, g)
	}
	return groups
}

// replicaPorts is how many client ports replicas cycle through, as the
// ephemeral ports of a busy host's connections do.
const replicaPorts = 20000

// writeReplicas writes a pcap file of at least packets frames to w: the
// template groups repeated in turn, each repetition with its own client port
// (cycling through ports[i] of them for group i), starting 100µs after the
// one before it ended, so that every repetition is a new conversation.
func writeReplicas(w io.Writer, groups [][]templateFrame, packets int, ports []int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		return err
	}
	at := groups[0][0].ci.Timestamp // when the next repetition starts
	var buf []byte
	n := 0
	for k := 0; n < packets; k++ {
		gi := k % len(groups)
		g := groups[gi]
		shift := at.Sub(g[0].ci.Timestamp)
		at = g[len(g)-1].ci.Timestamp.Add(shift + 100*time.Microsecond)
		port := uint16(30000 + k/len(groups)%ports[gi])
		for _, f := range g {
			buf = append(buf[:0], f.data...)
			off := f.dport
			if f.clientSrc {
				off = f.sport
			}
			binary.BigEndian.PutUint16(buf[off:], port)
			ci := f.ci
			ci.Timestamp = ci.Timestamp.Add(shift)
			if err := pw.WritePacket(ci, buf); err != nil {
				return err
			}
			n++
		}
	}
	return bw.Flush()
}

// replicas returns a pcap file of at least packets frames in memory.
func replicas(tb testing.TB, packets int) []byte {
	tb.Helper()
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(writeReplicas(pw, loadTemplates(tb), packets, []int{replicaPorts, replicaPorts, replicaPorts}))
	}()
	b, err := io.ReadAll(pr)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestReplicas(t *testing.T) {
	b := replicas(t, 1000)
	stdout, stderr, code := runCmd(t, bytes.NewReader(b), "replay", "--format", "json", "-")
	if code != exitOK || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	// A round of the three templates holds 11 + 13 + 6 frames.
	if len(lines) < 1000 || len(lines) >= 1000+13 {
		t.Errorf("%d packets, want 1000 to 1012", len(lines))
	}
	convs := map[int]bool{}
	var last time.Time
	for i, l := range lines {
		var p render.JSONPacket
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		convs[p.Conv] = true
		tm, err := time.Parse(time.RFC3339Nano, p.Time)
		if err != nil {
			t.Fatal(err)
		}
		if tm.Before(last) {
			t.Errorf("packet %d at %v, before the one ahead of it (%v)", p.N, tm, last)
		}
		last = tm
	}
	if want := 1000 / 13; len(convs) < want {
		t.Errorf("%d conversations, want at least %d: ports not shifted", len(convs), want)
	}
}
