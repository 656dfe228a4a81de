package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/tcpshow/tcpshow/capture"
)

// synthCapture writes a pcap of n TCP segments over many connections, with
// payloads of varied size and, from frame giant on, eight frames of 200,000
// bytes, which fill a read-ahead batch's frame bytes before its packets.
func synthCapture(t *testing.T, n, giant int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range n {
		size := (i * 37) % 1500
		if giant >= 0 && i >= giant && i < giant+8 {
			size = 200000
		}
		eth := &layers.Ethernet{SrcMAC: make([]byte, 6), DstMAC: make([]byte, 6), EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
			SrcIP: []byte{127, 0, 0, 1}, DstIP: []byte{127, 0, 0, 2}}
		tcp := &layers.TCP{SrcPort: layers.TCPPort(40000 + i%300), DstPort: 8080,
			Seq: uint32(i * 1000), Ack: 1, ACK: true, PSH: size > 0, Window: 512}
		if i%300 == i%7 {
			tcp.SYN, tcp.ACK = true, false
		}
		tcp.SetNetworkLayerForChecksum(ip)
		payload := bytes.Repeat([]byte{byte(i)}, size)
		sb := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(sb, opts, eth, ip, tcp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		data := sb.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// collect reads every packet of data through a Stream with options o and
// returns copies of them (conversations replaced by their IDs, payloads
// copied) and the error that ended the stream.
func collect(t *testing.T, data []byte, o StreamOptions) ([]Packet, []int, error) {
	t.Helper()
	src, err := capture.NewFile(bytes.NewReader(data), "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStreamWith(src, NewTracker(), o)
	defer s.Close()
	var pkts []Packet
	var convs []int
	for {
		p, err := s.Next()
		if err != nil {
			return pkts, convs, err
		}
		c := *p
		c.Payload = bytes.Clone(p.Payload)
		c.TCP.Options.Raw = bytes.Clone(p.TCP.Options.Raw)
		id := 0
		if c.Conv != nil {
			id = c.Conv.ID
		}
		c.Conv = nil
		pkts = append(pkts, c)
		convs = append(convs, id)
	}
}

// TestReadAheadSamePackets checks that reading ahead changes nothing a
// caller sees: the same packets, conversations and final error, for the
// captures in testdata, a capture of many batches with a frame larger than
// a batch, and the same cut off mid-record.
func TestReadAheadSamePackets(t *testing.T) {
	files, _ := filepath.Glob("../testdata/*.pcap*")
	inputs := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = b
	}
	big := synthCapture(t, 3000, 1234)
	inputs["synthetic"] = big
	inputs["synthetic, cut short"] = big[:len(big)-700]
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			want, wantConvs, wantErr := collect(t, data, StreamOptions{})
			if strings.HasPrefix(name, "synthetic") && len(want) < 2999 {
				t.Fatalf("the synthetic capture reads only %d packets (%v)", len(want), wantErr)
			}
			got, gotConvs, gotErr := collect(t, data, StreamOptions{ReadAhead: true})
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Errorf("read ahead ends with %v, without %v", gotErr, wantErr)
			}
			if len(got) != len(want) {
				t.Fatalf("read ahead gives %d packets, without %d", len(got), len(want))
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) || gotConvs[i] != wantConvs[i] {
					t.Fatalf("packet %d differs:\nread ahead %+v (conv %d)\nwithout    %+v (conv %d)", i+1, got[i], gotConvs[i], want[i], wantConvs[i])
				}
			}
		})
	}
	if len(files) < 10 {
		t.Errorf("only %d captures in testdata", len(files))
	}
}

// TestReadAheadClose stops a read-ahead stream in the middle: Close ends
// the reading goroutine and Next fails afterwards.
func TestReadAheadClose(t *testing.T) {
	data := synthCapture(t, 5000, -1)
	before := runtime.NumGoroutine()
	src, err := capture.NewFile(bytes.NewReader(data), "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	s := NewStreamWith(src, NewTracker(), StreamOptions{ReadAhead: true})
	for range 10 {
		if _, err := s.Next(); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	s.Close() // a second Close is harmless
	if _, err := s.Next(); err == nil || err == io.EOF {
		t.Fatalf("Next after Close returned %v, want an error", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after Close, %d before the stream", n, before)
	}
	sync := NewStream(src, nil)
	sync.Close()
	if _, err := sync.Next(); err == nil || err == io.EOF {
		t.Fatalf("Next after Close without read-ahead returned %v, want an error", err)
	}
}

// TestReadAheadPipe reads ahead from a pipe that stops in the middle of the
// capture: the packets written so far arrive without waiting for more, and
// the stream reports itself idle, the moment a caller flushes its output.
func TestReadAheadPipe(t *testing.T) {
	data := synthCapture(t, 40, -1)
	// The first 24-byte header and some whole records, then the rest.
	cut := 24
	for range 5 {
		n := int(data[cut+8]) | int(data[cut+9])<<8 | int(data[cut+10])<<16
		cut += 16 + n
	}
	pr, pw := io.Pipe()
	go pw.Write(data[:cut])
	type result struct {
		s   *Stream
		err error
	}
	opened := make(chan result, 1)
	go func() {
		src, err := capture.NewFile(pr, "pipe", nil)
		if err != nil {
			opened <- result{err: err}
			return
		}
		opened <- result{s: NewStreamWith(src, NewTracker(), StreamOptions{ReadAhead: true})}
	}()
	var s *Stream
	select {
	case r := <-opened:
		if r.err != nil {
			t.Fatal(r.err)
		}
		s = r.s
	case <-time.After(10 * time.Second):
		t.Fatal("opening the pipe did not return")
	}
	got := make(chan error, 1)
	go func() {
		for range 5 {
			if _, err := s.Next(); err != nil {
				got <- err
				return
			}
		}
		got <- nil
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the 5 packets written to the pipe did not come out")
	}
	if !s.Idle() {
		t.Error("a stream waiting on its pipe is not idle")
	}
	go func() {
		pw.Write(data[cut:])
		pw.Close()
	}()
	n := 5
	for {
		_, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 40 {
		t.Errorf("%d packets through the pipe, want 40", n)
	}
	s.Close()
}
