//go:build linux || darwin

package traffic

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// The messages of the tutorials.
var (
	helloClient = []byte("Hello from client")
	helloServer = []byte("Hello from server")
)

// readSize is the buffer size of every read.
const readSize = 1024

func scenarios() []Scenario {
	return []Scenario{
		{Name: "hello", Help: `the tutorials' client and server: connect, "Hello from client", "Hello from server", close`, play: playHello},
		{Name: "refused", Help: "connect to a port nobody listens on: SYN, RST-ACK, ECONNREFUSED", play: playRefused},
		{Name: "udp", Help: "a datagram each way over UDP: no handshake, no close", play: playUDP},
		{Name: "boundaries", Help: "two writes arrive in one read on TCP; three sendto arrive as three recvfrom on UDP", play: playBoundaries},
		{Name: "echo", Help: "an echo server: three lines sent, each sent back", play: playEcho},
		{Name: "halfclose", Help: "shutdown(SHUT_WR) sends the client's FIN, then the server still answers", play: playHalfclose},
		{Name: "reset", Help: "SO_LINGER 0 and close: RST instead of FIN, ECONNRESET for the peer", play: playReset},
		{Name: "backlog", Help: "listen(fd, 1) with its queue full: the third SYN is dropped and retransmitted (2 to 3 s)", play: playBacklog},
		{Name: "ipv6", Help: "hello over ::1", play: playHello},
		{Name: "zerowindow", Help: "the server stops reading: its window closes, the client probes it, then reading opens it again", play: playZeroWindow},
	}
}

// listener opens the server's listening TCP socket the way the tutorials
// do: socket, setsockopt(SO_REUSEADDR), bind, listen.
func (r *runner) listener(backlog int, before func(*sock) error) (*sock, error) {
	l, err := r.socket(Server, unix.SOCK_STREAM)
	if err != nil {
		return nil, err
	}
	if err := r.reuseAddr(l); err != nil {
		return nil, err
	}
	if before != nil {
		if err := before(l); err != nil {
			return nil, err
		}
	}
	if err := r.bind(l, r.server()); err != nil {
		return nil, err
	}
	if err := r.listen(l, backlog); err != nil {
		return nil, err
	}
	return l, nil
}

// dial opens a client TCP socket and connects it to l.
func (r *runner) dial(l *sock) (*sock, error) {
	c, err := r.socket(Client, unix.SOCK_STREAM)
	if err != nil {
		return nil, err
	}
	return c, r.connect(c, l.local)
}

// expect checks what a read returned.
func expect(side Side, got, want []byte) error {
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s read %q, want %q", side, got, want)
	}
	return nil
}

// expectEOF reads from s and checks that the peer has closed.
func (r *runner) expectEOF(s *sock) error {
	b, err := r.read(s, readSize)
	if err != nil {
		return err
	}
	return expect(s.side, b, nil)
}

// closeAllOf closes socks in order.
func (r *runner) closeAllOf(socks ...*sock) error {
	for _, s := range socks {
		if err := r.close(s); err != nil {
			return err
		}
	}
	return nil
}

// playHello is the tutorials' exchange. The client closes first, so it is
// the one left in TIME_WAIT.
func playHello(r *runner) error {
	l, err := r.listener(5, nil)
	if err != nil {
		return err
	}
	c, err := r.dial(l)
	if err != nil {
		return err
	}
	s, err := r.accept(l)
	if err != nil {
		return err
	}
	if _, err := r.write(c, helloClient); err != nil {
		return err
	}
	b, err := r.read(s, readSize)
	if err != nil {
		return err
	}
	if err := expect(Server, b, helloClient); err != nil {
		return err
	}
	if _, err := r.write(s, helloServer); err != nil {
		return err
	}
	b, err = r.read(c, readSize)
	if err != nil {
		return err
	}
	if err := expect(Client, b, helloServer); err != nil {
		return err
	}
	if err := r.close(c); err != nil {
		return err
	}
	if err := r.expectEOF(s); err != nil {
		return err
	}
	return r.closeAllOf(s, l)
}

// playRefused connects to a port that a socket has bound without
// listening, so that no other program can be listening there either.
func playRefused(r *runner) error {
	b, err := r.socket(Server, unix.SOCK_STREAM)
	if err != nil {
		return err
	}
	if err := r.bind(b, r.server()); err != nil {
		return err
	}
	c, err := r.socket(Client, unix.SOCK_STREAM)
	if err != nil {
		return err
	}
	err = r.connect(c, b.local)
	if !errors.Is(err, unix.ECONNREFUSED) {
		if err == nil {
			return fmt.Errorf("connect to %s succeeded, want ECONNREFUSED", b.local)
		}
		return err
	}
	return r.closeAllOf(c, b)
}

// udpPair opens a bound server socket and an unbound client socket.
func (r *runner) udpPair() (srv, cli *sock, err error) {
	srv, err = r.socket(Server, unix.SOCK_DGRAM)
	if err != nil {
		return nil, nil, err
	}
	if err := r.bind(srv, r.server()); err != nil {
		return nil, nil, err
	}
	cli, err = r.socket(Client, unix.SOCK_DGRAM)
	return srv, cli, err
}

// playUDP sends a datagram each way.
func playUDP(r *runner) error {
	srv, cli, err := r.udpPair()
	if err != nil {
		return err
	}
	if err := r.sendto(cli, helloClient, srv.local); err != nil {
		return err
	}
	b, from, err := r.recvfrom(srv, readSize)
	if err != nil {
		return err
	}
	if err := expect(Server, b, helloClient); err != nil {
		return err
	}
	if err := r.sendto(srv, helloServer, from); err != nil {
		return err
	}
	b, _, err = r.recvfrom(cli, readSize)
	if err != nil {
		return err
	}
	if err := expect(Client, b, helloServer); err != nil {
		return err
	}
	return r.closeAllOf(cli, srv)
}

// The messages of the boundaries scenario.
var (
	streamParts = [][]byte{[]byte("Hello, "), []byte("world")}
	datagrams   = [][]byte{[]byte("one"), []byte("two"), []byte("three")}
)

// playBoundaries shows that TCP is a byte stream and UDP keeps messages:
// the server reads both writes at once, then receives three datagrams one
// by one.
func playBoundaries(r *runner) error {
	l, err := r.listener(5, nil)
	if err != nil {
		return err
	}
	c, err := r.dial(l)
	if err != nil {
		return err
	}
	s, err := r.accept(l)
	if err != nil {
		return err
	}
	total := 0
	for _, p := range streamParts {
		if _, err := r.write(c, p); err != nil {
			return err
		}
		total += len(p)
	}
	if err := r.waitQueued(s, total); err != nil {
		return err
	}
	b, err := r.readNow(s, readSize)
	if err != nil {
		return err
	}
	if err := expect(Server, b, bytes.Join(streamParts, nil)); err != nil {
		return err
	}
	if err := r.close(c); err != nil {
		return err
	}
	if err := r.expectEOF(s); err != nil {
		return err
	}
	if err := r.closeAllOf(s, l); err != nil {
		return err
	}

	srv, cli, err := r.udpPair()
	if err != nil {
		return err
	}
	for _, d := range datagrams {
		if err := r.sendto(cli, d, srv.local); err != nil {
			return err
		}
	}
	for _, d := range datagrams {
		b, _, err := r.recvfrom(srv, readSize)
		if err != nil {
			return err
		}
		if err := expect(Server, b, d); err != nil {
			return err
		}
	}
	return r.closeAllOf(cli, srv)
}

// echoLines are what the echo client sends.
var echoLines = [][]byte{[]byte("one\n"), []byte("two\n"), []byte("three\n")}

// playEcho runs an echo server for three lines.
func playEcho(r *runner) error {
	l, err := r.listener(5, nil)
	if err != nil {
		return err
	}
	c, err := r.dial(l)
	if err != nil {
		return err
	}
	s, err := r.accept(l)
	if err != nil {
		return err
	}
	for _, line := range echoLines {
		if _, err := r.write(c, line); err != nil {
			return err
		}
		b, err := r.read(s, readSize)
		if err != nil {
			return err
		}
		if err := expect(Server, b, line); err != nil {
			return err
		}
		if _, err := r.write(s, b); err != nil {
			return err
		}
		b, err = r.read(c, readSize)
		if err != nil {
			return err
		}
		if err := expect(Client, b, line); err != nil {
			return err
		}
	}
	if err := r.close(c); err != nil {
		return err
	}
	if err := r.expectEOF(s); err != nil {
		return err
	}
	return r.closeAllOf(s, l)
}

// playHalfclose: the client sends its request and shuts down its sending
// side; the server reads to the end, then answers and closes.
func playHalfclose(r *runner) error {
	l, err := r.listener(5, nil)
	if err != nil {
		return err
	}
	c, err := r.dial(l)
	if err != nil {
		return err
	}
	s, err := r.accept(l)
	if err != nil {
		return err
	}
	if _, err := r.write(c, helloClient); err != nil {
		return err
	}
	if err := r.shutdown(c, unix.SHUT_WR); err != nil {
		return err
	}
	if err := r.waitQueued(s, len(helloClient)); err != nil {
		return err
	}
	b, err := r.readNow(s, readSize)
	if err != nil {
		return err
	}
	if err := expect(Server, b, helloClient); err != nil {
		return err
	}
	if err := r.expectEOF(s); err != nil {
		return err
	}
	if _, err := r.write(s, helloServer); err != nil {
		return err
	}
	if err := r.close(s); err != nil {
		return err
	}
	if err := r.waitQueued(c, len(helloServer)); err != nil {
		return err
	}
	b, err = r.readNow(c, readSize)
	if err != nil {
		return err
	}
	if err := expect(Client, b, helloServer); err != nil {
		return err
	}
	if err := r.expectEOF(c); err != nil {
		return err
	}
	return r.closeAllOf(c, l)
}

// playReset: the client closes with SO_LINGER set to zero, which sends a
// RST; the server's next read fails with ECONNRESET.
func playReset(r *runner) error {
	l, err := r.listener(5, nil)
	if err != nil {
		return err
	}
	c, err := r.dial(l)
	if err != nil {
		return err
	}
	s, err := r.accept(l)
	if err != nil {
		return err
	}
	if _, err := r.write(c, helloClient); err != nil {
		return err
	}
	b, err := r.read(s, readSize)
	if err != nil {
		return err
	}
	if err := expect(Server, b, helloClient); err != nil {
		return err
	}
	if err := r.lingerZero(c); err != nil {
		return err
	}
	if err := r.close(c); err != nil {
		return err
	}
	_, err = r.read(s, readSize)
	if !errors.Is(err, unix.ECONNRESET) {
		if err == nil {
			return errors.New("server read succeeded after the reset, want ECONNRESET")
		}
		return err
	}
	return r.closeAllOf(s, l)
}

// Timing of the backlog scenario. Linux sends the first SYN
// retransmission after 1 s and the second 2 s later.
const (
	backlogStuck = 1500 * time.Millisecond // past the first retransmission
	backlogWait  = 4 * time.Second         // past the second
)

// playBacklog fills a listen queue of one: the kernel queues two
// connections that nobody accepts (Linux allows one more than the
// backlog), drops the third client's SYN, and the client retransmits it.
// Once the server accepts, a retransmitted SYN gets its answer.
func playBacklog(r *runner) error {
	l, err := r.listener(1, nil)
	if err != nil {
		return err
	}
	c1, err := r.dial(l)
	if err != nil {
		return err
	}
	c2, err := r.dial(l)
	if err != nil {
		return err
	}
	c3, err := r.socket(Client, unix.SOCK_STREAM)
	if err != nil {
		return err
	}
	if err := r.setNonblock(c3); err != nil {
		return err
	}
	if err := r.connect(c3, l.local); !errors.Is(err, unix.EINPROGRESS) {
		if err == nil {
			return errors.New("connect with a full backlog succeeded at once, want EINPROGRESS")
		}
		return err
	}
	done, err := r.poll(c3, unix.POLLOUT, backlogStuck)
	if err != nil {
		return err
	}
	if done {
		return errors.New("the third connection completed with the backlog full")
	}
	s1, err := r.accept(l)
	if err != nil {
		return err
	}
	done, err = r.poll(c3, unix.POLLOUT, backlogWait)
	if err != nil {
		return err
	}
	if !done {
		return errors.New("the third connection did not complete after accept made room")
	}
	en, err := r.getsockoptError(c3)
	if err != nil {
		return err
	}
	if en != 0 {
		return fmt.Errorf("the third connection failed: %w", en)
	}
	s2, err := r.accept(l)
	if err != nil {
		return err
	}
	s3, err := r.accept(l)
	if err != nil {
		return err
	}
	return r.closeAllOf(c1, c2, c3, s1, s2, s3, l)
}

// Sizes of the zerowindow scenario.
const (
	zwRcvBuf    = 4096 // the server's SO_RCVBUF (Linux doubles it)
	zwSndBuf    = 8192 // the client's SO_SNDBUF (Linux doubles it)
	zwChunk     = 4096 // bytes per client write
	zwMaxWrites = 64   // bound on the writes that fill the window
	zwProbeWait = 1200 * time.Millisecond
	zwMaxReads  = 256
)

// playZeroWindow: the server has a small receive buffer and does not
// read; the client writes without blocking until its send buffer is full
// too. The server's window falls to zero and the client's persist timer
// sends window probes (at about 0.2 s, 0.6 s, …). Then the server reads
// everything, the window opens, and both close.
func playZeroWindow(r *runner) error {
	l, err := r.listener(5, func(l *sock) error {
		return r.setsockoptInt(l, unix.SOL_SOCKET, unix.SO_RCVBUF, "SOL_SOCKET", "SO_RCVBUF", zwRcvBuf)
	})
	if err != nil {
		return err
	}
	c, err := r.socket(Client, unix.SOCK_STREAM)
	if err != nil {
		return err
	}
	if err := r.setsockoptInt(c, unix.SOL_SOCKET, unix.SO_SNDBUF, "SOL_SOCKET", "SO_SNDBUF", zwSndBuf); err != nil {
		return err
	}
	if err := r.connect(c, l.local); err != nil {
		return err
	}
	s, err := r.accept(l)
	if err != nil {
		return err
	}
	if err := r.setNonblock(c); err != nil {
		return err
	}
	chunk := bytes.Repeat([]byte("x"), zwChunk)
	sent := 0
	full := false
	for range zwMaxWrites {
		n, err := r.write(c, chunk)
		if errors.Is(err, unix.EAGAIN) {
			full = true
			break
		}
		if err != nil {
			return err
		}
		sent += n
	}
	if !full {
		return fmt.Errorf("the client's writes did not fill its buffers after %d bytes", sent)
	}
	if _, err := r.poll(c, unix.POLLOUT, zwProbeWait); err != nil {
		return err
	}
	got := 0
	for i := 0; got < sent; i++ {
		if i == zwMaxReads {
			return fmt.Errorf("server read %d of %d bytes in %d reads", got, sent, i)
		}
		b, err := r.read(s, 65536)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return fmt.Errorf("server read end of stream after %d of %d bytes", got, sent)
		}
		got += len(b)
	}
	if err := r.close(c); err != nil {
		return err
	}
	if err := r.expectEOF(s); err != nil {
		return err
	}
	return r.closeAllOf(s, l)
}
