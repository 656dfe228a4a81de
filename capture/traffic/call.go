package traffic

import (
	"net/netip"
	"syscall"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// Side says which end of a conversation made a call.
type Side string

// The two sides of every scenario.
const (
	Client Side = "client"
	Server Side = "server"
)

// Call is one socket call a scenario made, as it returned.
type Call struct {
	// Time is when the call returned (time.Now right after it).
	Time time.Time
	// Side is the end that made the call.
	Side Side
	// Proto is the socket's transport protocol.
	Proto decode.Proto
	// Name is the call as the tutorials write it: "socket", "setsockopt",
	// "bind", "listen", "accept", "connect", "write", "read", "sendto",
	// "recvfrom", "shutdown", "close", "fcntl", "poll", "getsockopt".
	Name string
	// Args are the call's arguments in C-like text, e.g.
	// "fd 3, 127.0.0.1:40000".
	Args string
	// Result is what the call returned in words: "0", "fd 4",
	// "17 bytes", "-1 ECONNREFUSED".
	Result string
	// FD is the socket the call was made on, or the new socket for
	// socket(); -1 when socket() failed.
	FD int
	// Ret is the call's return value: -1 when it failed.
	Ret int
	// Errno is the error the call failed with, 0 when it succeeded.
	Errno syscall.Errno
	// Data is what write, send and sendto sent or read, recv and recvfrom
	// received; nil for other calls.
	Data []byte
	// Local and Peer are the socket's own and remote endpoints, filled in
	// for every call of the socket once they are known (after bind,
	// connect, accept or the first sendto). Peer stays zero for a
	// listening socket and for an unconnected UDP socket's calls other
	// than sendto and recvfrom. accept's endpoints are those of the new
	// connection, so that it matches that conversation.
	Local, Peer netip.AddrPort
}

// Failed reports whether the call returned an error.
func (c *Call) Failed() bool { return c.Errno != 0 }
