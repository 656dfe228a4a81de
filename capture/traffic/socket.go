//go:build linux || darwin

package traffic

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcpshow/tcpshow/decode"
)

// maxCalls bounds the calls one scenario may make.
const maxCalls = 512

// errTooManyCalls is returned when a scenario runs past maxCalls.
var errTooManyCalls = errors.New("too many calls")

// sock is one socket of a scenario, with what is known of its endpoints.
type sock struct {
	fd     int
	side   Side
	proto  decode.Proto
	local  netip.AddrPort
	peer   netip.AddrPort
	calls  []int // indexes of this socket's calls in the runner's feed
	known  bool  // the endpoints are known: calls need no more filling in
	closed bool
}

// runner makes a scenario's calls and records them.
type runner struct {
	ctx   context.Context
	loop  netip.Addr // 127.0.0.1 or ::1
	port  uint16     // the server's port; 0 lets the kernel choose
	log   *Feed      // the calls made
	socks []*sock
}

// family returns the address family of the runner's loopback address.
func (r *runner) family() int {
	if r.loop.Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// record appends a call made on s (nil for none) that returned ret and
// err, and returns err wrapped with the call's name.
func (r *runner) record(s *sock, c Call, ret int, err error) error {
	c.Ret = ret
	if err != nil {
		c.Ret = -1
		var en syscall.Errno
		if errors.As(err, &en) {
			c.Errno = en
		}
	}
	if c.Result == "" {
		c.Result = result(c.Ret, c.Errno, err)
	}
	if s != nil {
		c.Side, c.Proto, c.FD = s.side, s.proto, s.fd
		if !c.Local.IsValid() {
			c.Local = s.local
		}
		if !c.Peer.IsValid() {
			c.Peer = s.peer
		}
	}
	if r.log.len() >= maxCalls {
		return fmt.Errorf("%s: %w (more than %d)", c.Name, errTooManyCalls, maxCalls)
	}
	i := r.log.add(c, s == nil || s.known)
	if s != nil {
		s.calls = append(s.calls, i)
	}
	if err != nil {
		return fmt.Errorf("%s %s(%s): %w", c.Side, c.Name, c.Args, err)
	}
	return nil
}

// result is the text of a return value.
func result(ret int, en syscall.Errno, err error) string {
	switch {
	case en != 0:
		return "-1 " + unix.ErrnoName(en)
	case err != nil:
		return "-1 " + err.Error()
	}
	return strconv.Itoa(ret)
}

// learn reads s's endpoints from the kernel and fills them into every call
// of s that was made before they were known.
func (r *runner) learn(s *sock) {
	if sa, err := unix.Getsockname(s.fd); err == nil {
		if a := addrPort(sa); a.Port() != 0 {
			// An unbound socket reports the wildcard address; on the
			// wire its packets carry the loopback address.
			if a.Addr().IsUnspecified() {
				a = netip.AddrPortFrom(r.loop, a.Port())
			}
			s.local = a
		}
	}
	if s.proto == decode.ProtoTCP {
		if sa, err := unix.Getpeername(s.fd); err == nil {
			s.peer = addrPort(sa)
		}
	}
	s.known = true
	r.backfill(s)
}

// backfill gives s's calls the endpoints s now knows.
func (r *runner) backfill(s *sock) {
	r.log.update(s.calls, func(c *Call) {
		if c.Name == "accept" {
			return
		}
		if !c.Local.IsValid() {
			c.Local = s.local
		}
		if !c.Peer.IsValid() && s.peer.IsValid() {
			c.Peer = s.peer
		}
	})
}

// addrPort converts a socket address.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port))
	}
	return netip.AddrPort{}
}

// sockaddr converts an address to a socket address.
func sockaddr(a netip.AddrPort) unix.Sockaddr {
	if a.Addr().Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: a.Addr().As4()}
	}
	return &unix.SockaddrInet6{Port: int(a.Port()), Addr: a.Addr().As16()}
}

// server returns the server's address: the loopback address and the port
// asked for (0: the kernel chooses at bind).
func (r *runner) server() netip.AddrPort { return netip.AddrPortFrom(r.loop, r.port) }

// socket creates a socket for side: unix.SOCK_STREAM (TCP) or
// unix.SOCK_DGRAM (UDP).
func (r *runner) socket(side Side, typ int) (*sock, error) {
	fam, famName := r.family(), "AF_INET"
	if fam == unix.AF_INET6 {
		famName = "AF_INET6"
	}
	s := &sock{side: side, proto: decode.ProtoTCP}
	typName := "SOCK_STREAM"
	if typ == unix.SOCK_DGRAM {
		s.proto, typName = decode.ProtoUDP, "SOCK_DGRAM"
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	fd, err := unix.Socket(fam, typ, 0)
	s.fd = fd
	c := Call{Name: "socket", Args: famName + ", " + typName + ", 0"}
	if err == nil {
		unix.CloseOnExec(fd)
		c.Result = "fd " + strconv.Itoa(fd)
		r.socks = append(r.socks, s)
	} else {
		s.fd = -1
	}
	if err := r.record(s, c, fd, err); err != nil {
		return nil, err
	}
	return s, nil
}

// setsockoptInt sets an integer socket option.
func (r *runner) setsockoptInt(s *sock, level, opt int, levelName, optName string, v int) error {
	err := unix.SetsockoptInt(s.fd, level, opt, v)
	return r.record(s, Call{Name: "setsockopt", Args: fmt.Sprintf("fd %d, %s, %s, %d", s.fd, levelName, optName, v)}, 0, err)
}

// reuseAddr is setsockopt(SO_REUSEADDR, 1), as servers in the tutorials
// do before bind.
func (r *runner) reuseAddr(s *sock) error {
	return r.setsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, "SOL_SOCKET", "SO_REUSEADDR", 1)
}

// lingerZero sets SO_LINGER on with a zero timeout: close then resets the
// connection instead of closing it.
func (r *runner) lingerZero(s *sock) error {
	err := unix.SetsockoptLinger(s.fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
	return r.record(s, Call{Name: "setsockopt", Args: fmt.Sprintf("fd %d, SOL_SOCKET, SO_LINGER, {on 1, linger 0}", s.fd)}, 0, err)
}

// bind binds s to a and learns the address the kernel gave it.
func (r *runner) bind(s *sock, a netip.AddrPort) error {
	err := unix.Bind(s.fd, sockaddr(a))
	if err == nil {
		r.learn(s)
	}
	return r.record(s, Call{Name: "bind", Args: fmt.Sprintf("fd %d, %s", s.fd, a)}, 0, err)
}

// listen makes s a listening socket with the given backlog.
func (r *runner) listen(s *sock, backlog int) error {
	err := unix.Listen(s.fd, backlog)
	return r.record(s, Call{Name: "listen", Args: fmt.Sprintf("fd %d, %d", s.fd, backlog)}, 0, err)
}

// connect connects s to a. On success or failure it learns s's endpoints.
func (r *runner) connect(s *sock, a netip.AddrPort) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	err := unix.Connect(s.fd, sockaddr(a))
	s.peer = a
	r.learn(s)
	return r.record(s, Call{Name: "connect", Args: fmt.Sprintf("fd %d, %s", s.fd, a)}, 0, err)
}

// accept waits for a connection on the listening socket l and accepts it.
func (r *runner) accept(l *sock) (*sock, error) {
	if err := r.wait(l, unix.POLLIN); err != nil {
		return nil, fmt.Errorf("%s accept(fd %d): %w", l.side, l.fd, err)
	}
	fd, sa, err := unix.Accept(l.fd)
	c := Call{Name: "accept", Args: fmt.Sprintf("fd %d", l.fd)}
	var s *sock
	if err == nil {
		unix.CloseOnExec(fd)
		s = &sock{fd: fd, side: l.side, proto: l.proto, peer: addrPort(sa)}
		r.socks = append(r.socks, s)
		r.learn(s)
		c.Local, c.Peer = s.local, s.peer
		c.Result = "fd " + strconv.Itoa(fd)
	}
	if err := r.record(l, c, fd, err); err != nil {
		return nil, err
	}
	return s, nil
}

// write writes b to s with one write(2).
func (r *runner) write(s *sock, b []byte) (int, error) {
	n, err := unix.Write(s.fd, b)
	c := Call{Name: "write", Args: fmt.Sprintf("fd %d, %s, %d", s.fd, quote(b), len(b)), Data: b}
	if err == nil {
		c.Result = bytesResult(n)
		if n < len(b) {
			c.Data = b[:n]
		}
	}
	return n, r.record(s, c, n, err)
}

// read waits until s is readable and reads up to size bytes with one
// read(2).
func (r *runner) read(s *sock, size int) ([]byte, error) {
	if err := r.wait(s, unix.POLLIN); err != nil {
		return nil, fmt.Errorf("%s read(fd %d): %w", s.side, s.fd, err)
	}
	return r.readNow(s, size)
}

// readNow reads up to size bytes from s without waiting first.
func (r *runner) readNow(s *sock, size int) ([]byte, error) {
	buf := make([]byte, size)
	n, err := unix.Read(s.fd, buf)
	c := Call{Name: "read", Args: fmt.Sprintf("fd %d, buf, %d", s.fd, size)}
	if err == nil {
		buf = buf[:n]
		c.Data = buf
		c.Result = bytesResult(n)
	} else {
		buf = nil
	}
	return buf, r.record(s, c, n, err)
}

// sendto sends b to a as one datagram.
func (r *runner) sendto(s *sock, b []byte, a netip.AddrPort) error {
	err := unix.Sendto(s.fd, b, 0, sockaddr(a))
	if !s.local.IsValid() {
		// The first sendto binds the socket to an ephemeral port: a
		// client's socket talks to this one peer from now on.
		if s.side == Client {
			s.peer = a
		}
		r.learn(s)
	}
	c := Call{Name: "sendto", Args: fmt.Sprintf("fd %d, %s, %d, 0, %s", s.fd, quote(b), len(b), a), Data: b, Peer: a}
	n := len(b)
	if err == nil {
		c.Result = bytesResult(n)
	}
	return r.record(s, c, n, err)
}

// recvfrom waits for a datagram on s and receives it into a buffer of
// size bytes.
func (r *runner) recvfrom(s *sock, size int) ([]byte, netip.AddrPort, error) {
	if err := r.wait(s, unix.POLLIN); err != nil {
		return nil, netip.AddrPort{}, fmt.Errorf("%s recvfrom(fd %d): %w", s.side, s.fd, err)
	}
	buf := make([]byte, size)
	n, sa, err := unix.Recvfrom(s.fd, buf, 0)
	c := Call{Name: "recvfrom", Args: fmt.Sprintf("fd %d, buf, %d, 0", s.fd, size)}
	var from netip.AddrPort
	if err == nil {
		buf = buf[:n]
		from = addrPort(sa)
		c.Data, c.Peer = buf, from
		c.Result = bytesResult(n) + " from " + from.String()
	} else {
		buf = nil
	}
	return buf, from, r.record(s, c, n, err)
}

// shutdown shuts down s's sending direction (how is unix.SHUT_WR) or
// another.
func (r *runner) shutdown(s *sock, how int) error {
	name := map[int]string{unix.SHUT_RD: "SHUT_RD", unix.SHUT_WR: "SHUT_WR", unix.SHUT_RDWR: "SHUT_RDWR"}[how]
	err := unix.Shutdown(s.fd, how)
	return r.record(s, Call{Name: "shutdown", Args: fmt.Sprintf("fd %d, %s", s.fd, name)}, 0, err)
}

// close closes s.
func (r *runner) close(s *sock) error {
	err := unix.Close(s.fd)
	s.closed = true
	s.known = true
	return r.record(s, Call{Name: "close", Args: fmt.Sprintf("fd %d", s.fd)}, 0, err)
}

// setNonblock puts s in non-blocking mode, as fcntl(fd, F_SETFL,
// O_NONBLOCK) does.
func (r *runner) setNonblock(s *sock) error {
	err := unix.SetNonblock(s.fd, true)
	return r.record(s, Call{Name: "fcntl", Args: fmt.Sprintf("fd %d, F_SETFL, O_NONBLOCK", s.fd)}, 0, err)
}

// poll waits up to d for events on s and records the call: it returns
// whether the events came.
func (r *runner) poll(s *sock, events int16, d time.Duration) (bool, error) {
	if dl, ok := r.ctx.Deadline(); ok && time.Until(dl) < d {
		return false, fmt.Errorf("%s poll(fd %d): %w", s.side, s.fd, context.DeadlineExceeded)
	}
	ev := "POLLIN"
	if events == unix.POLLOUT {
		ev = "POLLOUT"
	}
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: events}}
	var n int
	var err error
	end := time.Now().Add(d)
	for {
		n, err = unix.Poll(fds, int(time.Until(end).Milliseconds()))
		if err != unix.EINTR {
			break
		}
	}
	c := Call{Name: "poll", Args: fmt.Sprintf("{fd %d, %s}, 1, %d", s.fd, ev, d.Milliseconds())}
	if err == nil && n == 0 {
		c.Result = "0 (timeout)"
	}
	return n > 0, r.record(s, c, n, err)
}

// getsockoptError reads and clears s's pending error, as a program does
// after a non-blocking connect: it returns the error as an errno.
func (r *runner) getsockoptError(s *sock) (syscall.Errno, error) {
	v, err := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_ERROR)
	c := Call{Name: "getsockopt", Args: fmt.Sprintf("fd %d, SOL_SOCKET, SO_ERROR", s.fd)}
	if err == nil {
		if v != 0 {
			c.Result = "0, error " + unix.ErrnoName(syscall.Errno(v))
		}
		r.learn(s)
	}
	return syscall.Errno(v), r.record(s, c, 0, err)
}

// wait waits without recording until s has one of events or the
// scenario's time is up.
func (r *runner) wait(s *sock, events int16) error {
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: events}}
	for {
		if err := r.ctx.Err(); err != nil {
			return err
		}
		n, err := unix.Poll(fds, 50)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		if n > 0 {
			return nil
		}
	}
}

// waitQueued waits without recording until n bytes are queued for reading
// on s, so that one read takes them all.
func (r *runner) waitQueued(s *sock, n int) error {
	for {
		q, err := queued(s.fd)
		if err != nil {
			return fmt.Errorf("%s: bytes queued on fd %d: %w", s.side, s.fd, err)
		}
		if q >= n {
			return nil
		}
		select {
		case <-r.ctx.Done():
			return fmt.Errorf("%s: waiting for %d bytes on fd %d (%d queued): %w", s.side, n, s.fd, q, r.ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// closeAll closes, without recording, the sockets a failed scenario left
// open.
func (r *runner) closeAll() {
	for _, s := range r.socks {
		if !s.closed {
			unix.Close(s.fd)
			s.closed = true
		}
	}
}

// bytesResult is the result of a call that moved n bytes.
func bytesResult(n int) string {
	if n == 1 {
		return "1 byte"
	}
	return strconv.Itoa(n) + " bytes"
}

// quote shows a buffer as a C string, cut short when long.
func quote(b []byte) string {
	const max = 24
	s := string(b)
	cut := len(s) > max
	if cut {
		s = s[:max]
	}
	q := strconv.Quote(s)
	if cut {
		q = strings.TrimSuffix(q, `"`) + `"...`
	}
	return q
}

// FreePort returns a TCP port on a that nobody has bound: the kernel picks
// it for a socket that is closed again at once. Programs that must know the
// server's port before a run (to filter a capture on it) pass it in
// Options.Port.
func FreePort(a netip.Addr) (uint16, error) {
	fam := unix.AF_INET
	if a.Is6() {
		fam = unix.AF_INET6
	}
	fd, err := unix.Socket(fam, unix.SOCK_STREAM, 0)
	if err != nil {
		return 0, fmt.Errorf("traffic: free port: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(a, 0))); err != nil {
		return 0, fmt.Errorf("traffic: free port on %s: %w", a, err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0, fmt.Errorf("traffic: free port on %s: %w", a, err)
	}
	return addrPort(sa).Port(), nil
}
