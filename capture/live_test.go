package capture_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// openLoopback opens a capture on the loopback device for packets to or
// from port, or skips the test where capturing is not permitted. Builds
// without libpcap have no filters: they capture everything and the tests
// pick their own packets out by port.
func openLoopback(t *testing.T, port int, o capture.LiveOptions) *capture.Live {
	t.Helper()
	o.Device = "lo"
	if capture.FilterSupport() == nil {
		o.Filter = fmt.Sprintf("port %d", port)
	}
	l, err := capture.OpenLive(o)
	switch {
	case errors.Is(err, capture.ErrPermission):
		t.Skipf("live capture not permitted here (needs root or CAP_NET_RAW): %v", err)
	case errors.Is(err, capture.ErrNoLivePcap):
		t.Skipf("no live capture in this build: %v", err)
	case err != nil:
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// listen returns a TCP listener on 127.0.0.1 and its port.
func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln, ln.Addr().(*net.TCPAddr).Port
}

// hello runs the tutorials' exchange over ln: connect, "Hello from client",
// "Hello from server", close, and waits until both sides have closed.
func hello(t *testing.T, ln net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		if err != nil || string(buf[:n]) != "Hello from client" {
			done <- fmt.Errorf("server read %q, %v", buf[:n], err)
			return
		}
		if _, err := c.Write([]byte("Hello from server")); err != nil {
			done <- err
			return
		}
		_, err = c.Read(buf) // the client's FIN
		if err != io.EOF {
			done <- fmt.Errorf("server: want EOF, got %v", err)
			return
		}
		done <- nil
	}()
	c, err := net.DialTimeout("tcp", ln.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("Hello from client")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "Hello from server" {
		t.Fatalf("client read %q, %v", buf[:n], err)
	}
	c.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// The last ACK is sent as the server closes; give it time to arrive.
	time.Sleep(100 * time.Millisecond)
}

// seen is a packet of a loopback exchange as the decoder saw it.
type seen struct {
	fromClient bool
	flags      decode.Flags
	len        int
}

// collect reads the packets of port from src until it ends, checking that
// no frame is seen twice.
func collect(t *testing.T, src capture.Source, port int) []seen {
	t.Helper()
	s := decode.NewStream(src, decode.NewTracker())
	frames := map[string]int{}
	var out []seen
	for {
		p, err := s.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Proto != decode.ProtoTCP || (int(p.Src.Port()) != port && int(p.Dst.Port()) != port) {
			continue
		}
		// Two copies of one packet agree in every field, IP ID included.
		id := fmt.Sprint(p.Src, p.Dst, p.IP.ID, p.TCP.Seq, p.TCP.Ack, p.TCP.Flags, p.TCP.Window, p.Len)
		if n, dup := frames[id]; dup {
			t.Errorf("frame %d repeats frame %d: loopback packets must be seen once", p.N, n)
		}
		frames[id] = p.N
		out = append(out, seen{fromClient: int(p.Dst.Port()) == port, flags: p.TCP.Flags, len: p.Len})
		if l, ok := src.(*capture.Live); ok && p.LinkType != l.LinkType() {
			t.Errorf("frame %d: link type %v, want the device's %v", p.N, p.LinkType, l.LinkType())
		}
	}
}

// checkHello checks that pkts hold the tutorials' exchange: the handshake,
// both greetings and both FINs, each once.
func checkHello(t *testing.T, pkts []seen) {
	t.Helper()
	type key struct {
		fromClient bool
		what       string
	}
	count := map[key]int{}
	for _, p := range pkts {
		switch {
		case p.flags&(decode.SYN|decode.ACK) == decode.SYN:
			count[key{p.fromClient, "SYN"}]++
		case p.flags&(decode.SYN|decode.ACK) == decode.SYN|decode.ACK:
			count[key{p.fromClient, "SYN-ACK"}]++
		case p.flags&decode.FIN != 0:
			count[key{p.fromClient, "FIN"}]++
		case p.len == 17:
			count[key{p.fromClient, "hello"}]++
		}
	}
	want := map[key]int{
		{true, "SYN"}: 1, {false, "SYN-ACK"}: 1,
		{true, "hello"}: 1, {false, "hello"}: 1,
		{true, "FIN"}: 1, {false, "FIN"}: 1,
	}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d × %s from the %s, want %d (%d packets: %+v)", count[k], k.what, map[bool]string{true: "client", false: "server"}[k.fromClient], n, len(pkts), pkts)
		}
	}
	if len(pkts) < 8 || len(pkts) > 12 {
		t.Errorf("%d packets, want the 8 to 12 of a hello exchange: %+v", len(pkts), pkts)
	}
}

// TestLiveLoopbackTCP captures the tutorials' exchange on the loopback
// device and checks every packet of it through the decoder, each once.
func TestLiveLoopbackTCP(t *testing.T) {
	ln, port := listen(t)
	l := openLoopback(t, port, capture.LiveOptions{})
	l.Start()
	hello(t, ln)
	l.Stop()
	pkts := collect(t, l, port)
	checkHello(t, pkts)
	st := l.Stats()
	if st.Captured == 0 || st.Skipped != 0 || st.DroppedKernel != 0 {
		t.Errorf("stats %+v", st)
	}
	if capture.FilterSupport() == nil && st.Captured != uint64(len(pkts)) {
		t.Errorf("captured %d frames, %d of them the exchange's: the filter let others through", st.Captured, len(pkts))
	}
}

// TestLiveSave saves a capture while reading it: the file reads back whole
// with capture.Open and holds the same frames.
func TestLiveSave(t *testing.T) {
	ln, port := listen(t)
	var buf bytes.Buffer
	l := openLoopback(t, port, capture.LiveOptions{Save: &buf, SnapLen: 96})
	l.Start()
	hello(t, ln)
	l.Stop()
	live := collect(t, l, port)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hello.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := collect(t, f, port)
	if len(saved) != len(live) {
		t.Fatalf("file holds %d packets of the exchange, the capture showed %d", len(saved), len(live))
	}
	for i := range saved {
		if saved[i] != live[i] {
			t.Errorf("packet %d: saved %+v, shown %+v", i+1, saved[i], live[i])
		}
	}
	if ifs := f.Interfaces(); len(ifs) != 1 || ifs[0].SnapLen != 96 || ifs[0].LinkType != l.LinkType() {
		t.Errorf("file interfaces %+v, want snap length 96 and link type %v", ifs, l.LinkType())
	}
	if uint64(f.Records()) != l.Stats().Captured {
		t.Errorf("file has %d records, %d were captured", f.Records(), l.Stats().Captured)
	}
}

// TestLiveSkipsWhenBehind captures with a queue of four frames and reads
// nothing until the traffic is over: the read loop must not wait, and the
// frames that found the queue full are counted, and saved all the same.
func TestLiveSkipsWhenBehind(t *testing.T) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	var buf bytes.Buffer
	l := openLoopback(t, port, capture.LiveOptions{QueueFrames: 4, Save: &buf})
	l.Start()
	out, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	const sent = 50
	for i := range sent {
		if _, err := fmt.Fprintf(out, "datagram %d", i); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	l.Stop()
	mine := 0
	s := decode.NewStream(l, nil)
	for {
		p, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Proto == decode.ProtoUDP && int(p.Dst.Port()) == port {
			mine++
		}
	}
	st := l.Stats()
	if s.Frames() != 4 || st.Skipped != st.Captured-4 || st.Captured < sent {
		t.Errorf("%d frames read (%d of the test's), stats %+v; want 4 read and the rest of at least %d skipped", s.Frames(), mine, st, sent)
	}
	f, err := capture.NewFile(&buf, "saved", nil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, err := f.Next(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if uint64(n) != st.Captured {
		t.Errorf("saved %d frames, captured %d", n, st.Captured)
	}
}

// TestLiveCount stops after LiveOptions.Count frames.
func TestLiveCount(t *testing.T) {
	ln, port := listen(t)
	l := openLoopback(t, port, capture.LiveOptions{Count: 3})
	if capture.FilterSupport() != nil {
		t.Skip("without filters, other loopback traffic would count")
	}
	l.Start()
	hello(t, ln)
	pkts := collect(t, l, port) // ends by itself
	if len(pkts) != 3 || l.Stats().Captured != 3 {
		t.Errorf("%d packets, stats %+v, want 3", len(pkts), l.Stats())
	}
	if pkts[0].flags != decode.SYN {
		t.Errorf("first packet %+v, want the SYN", pkts[0])
	}
}

func TestLiveOpenErrors(t *testing.T) {
	// Skips unless capture is permitted at all.
	openLoopback(t, 9, capture.LiveOptions{}).Close()

	_, err := capture.OpenLive(capture.LiveOptions{Device: "nosuchdev0"})
	var ud *capture.UnknownDeviceError
	if !errors.As(err, &ud) || ud.Name != "nosuchdev0" {
		t.Fatalf("unknown device: %v", err)
	}
	hasLo := false
	for _, n := range ud.Known {
		hasLo = hasLo || n == "lo"
	}
	if !hasLo {
		t.Errorf("the error lists %v, not lo", ud.Known)
	}

	_, err = capture.OpenLive(capture.LiveOptions{Device: "lo", Filter: "tcp prot 80"})
	var fe *capture.FilterError
	if !errors.As(err, &fe) || fe.Filter != "tcp prot 80" {
		t.Fatalf("bad filter: %v", err)
	}
	if want := `capture on lo: bad filter "tcp prot 80": `; len(err.Error()) <= len(want) || err.Error()[:len(want)] != want {
		t.Errorf("message %q, want it to start %q", err, want)
	}
}

func TestDevices(t *testing.T) {
	devs, err := capture.Devices()
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if d.Name == "lo" {
			if !d.Loopback || !d.Up || !slicesContains(d.Addrs, netip.MustParsePrefix("127.0.0.1/8")) {
				t.Errorf("lo: %+v", d)
			}
			return
		}
	}
	t.Skipf("no lo device here: %+v", devs)
}

func slicesContains(ps []netip.Prefix, p netip.Prefix) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func TestLoopbackName(t *testing.T) {
	if _, err := net.InterfaceByName("lo"); err != nil {
		t.Skip("no lo device here")
	}
	if _, err := net.InterfaceByName("lo0"); err == nil {
		t.Skip("this system has an lo0")
	}
	if got, ok := capture.LoopbackName("lo0"); !ok || got != "lo" {
		t.Errorf("lo0 → %q, %v; want lo", got, ok)
	}
	if got, ok := capture.LoopbackName("lo"); ok || got != "lo" {
		t.Errorf("lo → %q, %v; want lo unchanged", got, ok)
	}
}
