// Package decode turns captured frames into Packets: the link layer, IPv4 or
// IPv6 (with options and extension headers), and every field of the TCP or
// UDP header, including each TCP option and the verification of checksums.
//
// A Decoder fills a caller-owned Packet in place and allocates nothing for
// well-formed frames. A malformed or truncated frame is data, not an error:
// the decoder keeps every field that is present, marks the packet Truncated
// or Malformed, and says in Skip why a frame carries no TCP or UDP.
//
// A Tracker follows conversations as packets stream in. It numbers
// conversations, derives relative sequence and acknowledgment numbers the
// way Wireshark does, scales windows once a handshake has announced the
// shift, infers each endpoint's RFC 9293 state, and runs Wireshark's
// sequence analysis (retransmissions, duplicate ACKs, zero windows, …,
// the handshake's and each ACK's round-trip time). It holds a bounded
// number of conversations and hands each one to TrackerOptions.OnEnd when
// it forgets it, so memory follows the open conversations, not the packets.
//
// decode does not reassemble streams or IP fragments, and it never prints.
package decode
