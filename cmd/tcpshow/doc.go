// Command tcpshow shows what TCP and UDP sockets do on the wire: it replays
// a capture file, decodes every IP, TCP and UDP header field, and prints one
// line per packet, a table of header fields, or JSON for programs.
//
// Usage:
//
//	tcpshow replay [flags] FILE     read a pcap or pcapng file ("-" for stdin)
//	tcpshow help [COMMAND]          show help
//	tcpshow version                 print the version
//
// Examples:
//
//	tcpshow replay testdata/handshake.pcap
//	tcpshow replay --format table --ascii testdata/handshake.pcap
//	tcpshow replay --format json student.pcap | jq .tcp.flags
//	tcpdump -i lo -w - | tcpshow replay -
package main
