// Command tcpshow shows what TCP and UDP sockets do on the wire: it replays
// a capture file, decodes every IP, TCP and UDP header field, and draws each
// conversation as a ladder diagram with both sides' TCP states (the
// default), or prints one line per packet, a table of header fields, the
// RFC's header figure, an RTT table or JSON for programs; it also draws the
// ladders as SVG, an offline HTML page, Mermaid or PlantUML, and explains
// the numbers with --explain.
//
// Usage:
//
//	tcpshow replay [flags] FILE     read a pcap or pcapng file ("-" for stdin)
//	tcpshow gen [flags] SCENARIO    play a scenario of the traffic generator, print its socket calls
//	tcpshow scenarios               list the generator's scenarios
//	tcpshow live [flags] DEVICE [FILTER...]
//	                                capture on a device (root), packets as they arrive
//	tcpshow interfaces              list the devices live can capture on
//	tcpshow demo [flags] [SCENARIO] capture on loopback while the generator plays a scenario (root)
//	tcpshow help [COMMAND]          show help
//	tcpshow version                 print the version
//
// Examples:
//
//	tcpshow replay testdata/handshake.pcap
//	tcpshow replay --ascii --raw testdata/refused.pcap
//	tcpshow replay --conv 2 --max-rows 40 big.pcap
//	tcpshow replay --host 127.0.0.1 --port 18080 --format lines student.pcap
//	tcpshow replay --format table --ascii testdata/handshake.pcap
//	tcpshow replay --format json student.pcap | jq .tcp.flags
//	tcpshow replay --explain testdata/handshake.pcap
//	tcpshow replay --format svg -o hello.svg testdata/handshake.pcap
//	tcpshow replay --format html -o hello.html testdata/handshake.pcap
//	tcpshow replay --format mermaid testdata/refused.pcap >> notes.md
//	tcpshow replay --format header --ascii testdata/udp.pcap
//	tcpshow replay --format rtt testdata/zerowindow.pcap
//	tcpdump -i lo -w - | tcpshow replay -
//	tcpshow gen hello
//	sudo tcpshow live lo tcp port 8080
//	sudo tcpshow live -w hello.pcap --format ladder lo
//	sudo tcpshow live --generate echo lo
//	sudo tcpshow demo
//	sudo tcpshow demo --format json refused
package main
