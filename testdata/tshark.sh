#!/bin/sh
# tshark.sh stores tshark's view of every capture in testdata/ as
# testdata/tshark/<capture>.tsv, one row per frame, for the differential test
# that holds tcpshow's decoder against tshark (cmd/tcpshow/tshark_test.go).
#
# Usage: testdata/tshark.sh [-o DIR] [CAPTURE...]
#   (default: every capture in testdata/, written to testdata/tshark/)
# Needs tshark (Debian: apt-get install tshark). Rerun it after adding or
# re-recording a capture, and commit the .tsv files it writes. A capture
# tshark cannot read is reported and skipped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
outdir=$here/tshark
if [ "${1:-}" = -o ]; then
	outdir=$2
	shift 2
fi
command -v tshark >/dev/null || { echo "tshark.sh: tshark is not installed (apt-get install tshark)" >&2; exit 1; }

fields="frame.number frame.time_epoch frame.len frame.cap_len frame.protocols
ip.src ip.dst ip.hdr_len ip.dsfield ip.len ip.id ip.flags ip.ttl ip.proto ip.checksum ip.checksum.status
ipv6.src ipv6.dst ipv6.tclass ipv6.flow ipv6.plen ipv6.nxt ipv6.hlim
tcp.srcport tcp.dstport tcp.len tcp.seq tcp.ack tcp.seq_raw tcp.ack_raw tcp.flags tcp.hdr_len
tcp.window_size_value tcp.window_size tcp.window_size_scalefactor
tcp.checksum tcp.checksum.status tcp.urgent_pointer tcp.option_kind
tcp.options.mss_val tcp.options.wscale.shift tcp.options.sack_perm
tcp.options.timestamp.tsval tcp.options.timestamp.tsecr
tcp.analysis.flags tcp.analysis.retransmission tcp.analysis.fast_retransmission
tcp.analysis.spurious_retransmission tcp.analysis.duplicate_ack tcp.analysis.duplicate_ack_num
tcp.analysis.out_of_order tcp.analysis.lost_segment tcp.analysis.zero_window tcp.analysis.window_full
tcp.analysis.window_update tcp.analysis.keep_alive tcp.analysis.zero_window_probe
tcp.analysis.keep_alive_ack tcp.analysis.zero_window_probe_ack
tcp.analysis.ack_rtt tcp.analysis.acks_frame tcp.analysis.initial_rtt tcp.analysis.bytes_in_flight
udp.srcport udp.dstport udp.length udp.checksum udp.checksum.status"

prefs="-o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -o ip.check_checksum:TRUE
-o tcp.analyze_sequence_numbers:TRUE -o tcp.relative_sequence_numbers:TRUE"

mkdir -p "$outdir"
if [ $# -eq 0 ]; then
	set -- "$here"/*.pcap "$here"/*.pcapng
fi
for cap in "$@"; do
	[ -f "$cap" ] || continue
	out="$outdir/$(basename "$cap").tsv"
	args=""
	for f in $fields; do args="$args -e $f"; done
	# shellcheck disable=SC2086
	tshark -n -r "$cap" $prefs -T fields -E header=y -E separator=/t -E occurrence=a -E aggregator=, $args \
		-e tcp.options.sack_le -e tcp.options.sack_re >"$out.main" 2>/dev/null ||
		{ echo "tshark.sh: tshark cannot read $cap, skipped" >&2; rm -f "$out.main"; continue; }
	# SACK edges as raw sequence numbers: tshark shows them relative otherwise.
	# shellcheck disable=SC2086
	tshark -n -r "$cap" $prefs -o tcp.relative_sequence_numbers:FALSE -T fields -E header=y -E separator=/t \
		-E occurrence=a -E aggregator=, -e tcp.options.sack_le -e tcp.options.sack_re 2>/dev/null |
		sed '1s/sack_le/sack_le_raw/;1s/sack_re/sack_re_raw/' >"$out.raw"
	paste "$out.main" "$out.raw" >"$out"
	rm -f "$out.main" "$out.raw"
	echo "tshark.sh: wrote $(basename "$out") ($(($(wc -l <"$out") - 1)) frames)"
done
