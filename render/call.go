package render

import (
	"net/netip"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// Call is a socket call to show beside the packets it caused, such as the
// calls the traffic generator makes. Writers match a call to a
// conversation by its endpoints: Local is the socket's own address and
// Peer the remote one (zero while the socket has none, as for a listening
// socket, which matches every conversation whose server is Local).
type Call struct {
	// Time is when the call returned.
	Time time.Time
	// Proto is the socket's transport protocol.
	Proto decode.Proto
	// Local and Peer are the socket's endpoints as they were once known.
	Local, Peer netip.AddrPort
	// Side is "client" or "server".
	Side string
	// Name is the call as the tutorials write it: "socket", "bind",
	// "listen", "accept", "connect", "write", "read", "shutdown", "close", …
	Name string
	// Args are the call's arguments in C-like text, e.g. "fd 3, 127.0.0.1:18080".
	Args string
	// Result is what the call returned, e.g. "0", "fd 4", "17 bytes",
	// "-1 ECONNREFUSED".
	Result string
}

// CallWriter is implemented by the Writers that can show socket calls next
// to packets. Calls may come before or after the packets they caused;
// writers that hold conversations place them by Time.
type CallWriter interface {
	WriteCall(c Call) error
}
