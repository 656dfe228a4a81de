// Package traffic is tcpshow's traffic generator: a client and a server in
// one process, on the loopback addresses 127.0.0.1 or ::1, that make the
// socket calls of the tutorials (socket, setsockopt, bind, listen, accept,
// connect, write, read, sendto, recvfrom, shutdown, close) directly through
// golang.org/x/sys/unix, so that a capture of the loopback device shows
// the packets each call puts on the wire.
//
// Each Scenario plays one story of the socket lifecycle (a hello exchange,
// a refused connection, a reset, a full backlog, a closing window, …) and
// records every call it makes as a Call: when it returned, which side made
// it, its arguments, its result and the socket's endpoints, so that a
// writer can match it to the conversation it belongs to.
//
// Everything a scenario does is fixed except what the kernel chooses: the
// server's free port (unless Options.Port names one), the client's
// ephemeral port, the initial sequence numbers and the timing. Every
// scenario is bounded in time (Options.Timeout) and in the number of calls.
//
// traffic does not capture packets; package capture does that.
package traffic
