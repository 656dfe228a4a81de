package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/render"
)

// tsharkRow is one frame as tshark decoded it: field name → value as
// tshark -T fields prints it (occurrences joined by commas).
type tsharkRow map[string]string

// first returns the first occurrence of field, or "".
func (r tsharkRow) first(field string) string {
	v, _, _ := strings.Cut(r[field], ",")
	return v
}

// readTshark reads a .tsv file that testdata/tshark.sh wrote.
func readTshark(t *testing.T, path string) map[int]tsharkRow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	header := strings.Split(lines[0], "\t")
	rows := make(map[int]tsharkRow)
	for _, line := range lines[1:] {
		vals := strings.Split(line, "\t")
		row := make(tsharkRow, len(header))
		for i, h := range header {
			if i < len(vals) {
				row[h] = vals[i]
			}
		}
		n, err := strconv.Atoi(row["frame.number"])
		if err != nil {
			t.Fatalf("%s: bad frame number %q", path, row["frame.number"])
		}
		rows[n] = row
	}
	return rows
}

// replayJSON runs "tcpshow replay --format json" on path and returns its
// packets by frame number.
func replayJSON(t *testing.T, path string) map[int]render.JSONPacket {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"replay", "--format", "json", path}, testEnv(&stdout, &stderr))
	if code != exitOK {
		t.Fatalf("replay %s: exit %d: %s", path, code, stderr.String())
	}
	pkts := make(map[int]render.JSONPacket)
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p render.JSONPacket
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("replay %s: line %q: %v", path, sc.Text(), err)
		}
		pkts[p.N] = p
	}
	return pkts
}

// num parses a tshark number (decimal or 0x-hex); "" gives ok == false.
func num(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// tsharkChecksum maps tshark's checksum status numbers to tcpshow's names.
func tsharkChecksum(s string) string {
	switch s {
	case "0":
		return "incorrect"
	case "1":
		return "correct"
	case "3":
		return "absent"
	}
	return "not_verifiable"
}

// TestTsharkDifferential holds every packet of every testdata capture
// against tshark's decoding of it, stored by testdata/tshark.sh.
func TestTsharkDifferential(t *testing.T) {
	tsvs, err := filepath.Glob("../../testdata/tshark/*.tsv")
	if err != nil || len(tsvs) == 0 {
		t.Fatalf("no tshark references in testdata/tshark (run testdata/tshark.sh): %v", err)
	}
	caps, _ := filepath.Glob("../../testdata/*.pcap*")
	if len(caps) != len(tsvs) {
		t.Errorf("%d captures but %d tshark references: rerun testdata/tshark.sh", len(caps), len(tsvs))
	}
	differential(t, "../../testdata", tsvs, true)
}

// TestTsharkCorpus holds a directory of captures against tshark references
// made by testdata/tshark.sh -o DIR: set TCPSHOW_TSHARK_CORPUS=CAPDIR:TSVDIR.
// "make difftest-corpus" runs it over tcpdump's test captures.
func TestTsharkCorpus(t *testing.T) {
	spec := os.Getenv("TCPSHOW_TSHARK_CORPUS")
	if spec == "" {
		t.Skip("TCPSHOW_TSHARK_CORPUS not set (make difftest-corpus sets it)")
	}
	capDir, tsvDir, _ := strings.Cut(spec, ":")
	tsvs, err := filepath.Glob(filepath.Join(tsvDir, "*.tsv"))
	if err != nil || len(tsvs) == 0 {
		t.Fatalf("no tshark references in %s", tsvDir)
	}
	differential(t, capDir, tsvs, false)
}

// differential compares each capture in capDir that has a .tsv in tsvs.
// With wantPackets, a capture without a single TCP or UDP packet fails.
func differential(t *testing.T, capDir string, tsvs []string, wantPackets bool) {
	for _, tsv := range tsvs {
		capture := filepath.Join(capDir, strings.TrimSuffix(filepath.Base(tsv), ".tsv"))
		t.Run(filepath.Base(capture), func(t *testing.T) {
			rows := readTshark(t, tsv)
			pkts := replayJSON(t, capture)
			compared := 0
			for n := 1; n <= len(rows); n++ {
				row, ok := rows[n]
				if !ok {
					t.Fatalf("frame %d missing from %s", n, tsv)
				}
				p, have := pkts[n]
				if !have {
					if directTransport(row["frame.protocols"]) {
						t.Errorf("frame %d: tshark decodes %s, tcpshow printed nothing", n, row["frame.protocols"])
					}
					continue
				}
				if slices.Contains(p.IP.Flags, "MF") || p.IP.FragOffset != 0 {
					// tshark reassembles fragments and decodes the transport
					// header on the last one; tcpshow, like tcpdump, shows it
					// on the first.
					continue
				}
				compared++
				for _, m := range compareFrame(row, &p, pkts) {
					t.Errorf("frame %d: %s", n, m)
				}
			}
			if compared == 0 && wantPackets {
				t.Errorf("no packets compared")
			}
			t.Logf("%d packets agree with tshark", compared)
		})
	}
}

// directTransport reports whether a tshark protocol chain such as
// "eth:ethertype:ip:tcp" has TCP or UDP right after the first IP header
// (IPv6 extension headers allowed), which tcpshow must decode. Transport
// headers inside tunnels, ICMP errors or reassembled fragments are not
// expected.
func directTransport(chain string) bool {
	parts := strings.Split(chain, ":")
	for i, p := range parts {
		if p != "ip" && p != "ipv6" {
			continue
		}
		for _, q := range parts[i+1:] {
			switch {
			case q == "tcp" || q == "udp":
				return true
			case strings.HasPrefix(q, "ipv6."):
				continue
			}
			return false
		}
		return false
	}
	return false
}

// compareFrame lists the fields where p disagrees with tshark's row.
func compareFrame(row tsharkRow, p *render.JSONPacket, pkts map[int]render.JSONPacket) []string {
	var bad []string
	check := func(field string, got, want any) {
		if fmt.Sprint(got) != fmt.Sprint(want) {
			bad = append(bad, fmt.Sprintf("%s: tcpshow %v, tshark %v", field, got, want))
		}
	}
	checkNum := func(field string, got int64, tsField string) {
		if want, ok := num(row.first(tsField)); ok {
			check(field, got, want)
		} else {
			bad = append(bad, fmt.Sprintf("%s: tcpshow %v, tshark has no %s", field, got, tsField))
		}
	}

	// Time, to the nanosecond.
	sec, frac, _ := strings.Cut(row.first("frame.time_epoch"), ".")
	s, _ := strconv.ParseInt(sec, 10, 64)
	ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
	tm, err := time.Parse(time.RFC3339Nano, p.Time)
	if err != nil {
		bad = append(bad, fmt.Sprintf("time %q: %v", p.Time, err))
	} else {
		check("time", tm.UnixNano(), s*1e9+ns)
	}
	capLen, _ := num(row.first("frame.cap_len"))
	wireLen, _ := num(row.first("frame.len"))
	check("truncated", p.Truncated, capLen < wireLen)

	// Network layer.
	if p.IP.Version == 4 {
		check("src", p.Src, row.first("ip.src"))
		check("dst", p.Dst, row.first("ip.dst"))
		checkNum("ip.hdr_len", int64(p.IP.HdrLen), "ip.hdr_len")
		checkNum("ip.tos", int64(p.IP.TOS), "ip.dsfield")
		checkNum("ip.length", int64(p.IP.Length), "ip.len")
		checkNum("ip.id", int64(p.IP.ID), "ip.id")
		checkNum("ip.ttl", int64(p.IP.TTL), "ip.ttl")
		checkNum("ip.proto", int64(p.IP.Proto), "ip.proto")
		flags, _ := num(row.first("ip.flags"))
		var want []string
		for _, f := range []struct {
			bit  int64
			name string
		}{{4, "RF"}, {2, "DF"}, {1, "MF"}} {
			if flags&f.bit != 0 {
				want = append(want, f.name)
			}
		}
		check("ip.flags", strings.Join(p.IP.Flags, ","), strings.Join(want, ","))
		if p.IP.Checksum != nil {
			checkNum("ip.checksum", int64(*p.IP.Checksum), "ip.checksum")
		}
		check("ip.checksum_status", p.IP.ChecksumStatus, tsharkChecksum(row.first("ip.checksum.status")))
	} else {
		check("src", p.Src, row.first("ipv6.src"))
		check("dst", p.Dst, row.first("ipv6.dst"))
		checkNum("ip.tos", int64(p.IP.TOS), "ipv6.tclass")
		checkNum("ip.length", int64(p.IP.Length), "ipv6.plen")
		checkNum("ip.ttl", int64(p.IP.TTL), "ipv6.hlim")
		if p.IP.FlowLabel != nil {
			checkNum("ip.flow_label", int64(*p.IP.FlowLabel), "ipv6.flow")
		}
	}

	switch p.Proto {
	case "udp":
		if row.first("udp.length") == "0" {
			// A zero UDP length over IPv4 (BIG TCP in a tunnel): tshark
			// gives up on the header, tcpshow takes the length from IP.
			break
		}
		checkNum("sport", int64(p.SPort), "udp.srcport")
		checkNum("dport", int64(p.DPort), "udp.dstport")
		if p.UDP == nil {
			return append(bad, "udp object missing")
		}
		checkNum("udp.length", int64(p.UDP.Length), "udp.length")
		if l, ok := num(row.first("udp.length")); ok && !(p.Malformed && int64(p.Len) < l-8) {
			// A UDP length beyond the IP packet is cut to the IP length.
			check("len", p.Len, max(l-8, 0))
		}
		checkNum("udp.checksum", int64(p.UDP.Checksum), "udp.checksum")
		check("udp.checksum_status", p.UDP.ChecksumStatus, tsharkChecksum(row.first("udp.checksum.status")))
	case "tcp":
		checkNum("sport", int64(p.SPort), "tcp.srcport")
		checkNum("dport", int64(p.DPort), "tcp.dstport")
		if p.TCP == nil {
			return append(bad, "tcp object missing")
		}
		tc := p.TCP
		checkNum("len", int64(p.Len), "tcp.len")
		checkNum("tcp.seq", int64(tc.Seq), "tcp.seq_raw")
		checkNum("tcp.rel_seq", int64(tc.RelSeq), "tcp.seq")
		if row.first("tcp.ack_raw") != "" {
			checkNum("tcp.ack", int64(tc.Ack), "tcp.ack_raw")
			checkNum("tcp.rel_ack", int64(tc.RelAck), "tcp.ack")
		}
		flags, _ := num(row.first("tcp.flags"))
		var want []string
		for _, f := range []struct {
			bit  int64
			name string
		}{{0x002, "SYN"}, {0x001, "FIN"}, {0x004, "RST"}, {0x008, "PSH"}, {0x010, "ACK"},
			{0x020, "URG"}, {0x040, "ECE"}, {0x080, "CWR"}, {0x100, "NS"}} {
			if flags&f.bit != 0 {
				want = append(want, f.name)
			}
		}
		check("tcp.flags", strings.Join(tc.Flags, ","), strings.Join(want, ","))
		check("tcp.reserved", tc.Reserved, (flags>>9)&7)
		checkNum("tcp.hdr_len", int64(tc.HdrLen), "tcp.hdr_len")
		checkNum("tcp.window", int64(tc.Window), "tcp.window_size_value")
		switch sf := row.first("tcp.window_size_scalefactor"); {
		case sf == "-1":
			if tc.WindowScaled != nil {
				bad = append(bad, fmt.Sprintf("tcp.window_scaled: tcpshow %d, tshark does not know the scale", *tc.WindowScaled))
			}
		case tc.WindowScaled == nil:
			bad = append(bad, fmt.Sprintf("tcp.window_scaled: tcpshow has none, tshark %s (scale factor %q)", row.first("tcp.window_size"), sf))
		default:
			checkNum("tcp.window_scaled", int64(*tc.WindowScaled), "tcp.window_size")
		}
		checkNum("tcp.checksum", int64(tc.Checksum), "tcp.checksum")
		check("tcp.checksum_status", tc.ChecksumStatus, tsharkChecksum(row.first("tcp.checksum.status")))
		checkNum("tcp.urgent", int64(tc.Urgent), "tcp.urgent_pointer")

		o := tc.Options
		var kinds []string
		for _, k := range o.Kinds {
			kinds = append(kinds, strconv.Itoa(k))
		}
		// tshark lists each captured padding byte after an EOL as another
		// EOL; tcpshow counts them as padding.
		tsKinds := row["tcp.option_kind"]
		if strings.HasPrefix(tsKinds, "0,") {
			tsKinds = "0"
		} else if i := strings.Index(tsKinds+",", ",0,"); i >= 0 {
			tsKinds = tsKinds[:i+2]
		}
		check("tcp.options.kinds", strings.Join(kinds, ","), tsKinds)
		optNum := func(field string, got any, tsField string) {
			if row.first(tsField) == "" {
				check(field, got, "<nil>")
				return
			}
			v, _ := num(row.first(tsField))
			check(field, derefNum(got), v)
		}
		optNum("tcp.options.mss", o.MSS, "tcp.options.mss_val")
		optNum("tcp.options.wscale", o.WScale, "tcp.options.wscale.shift")
		optNum("tcp.options.tsval", o.TSVal, "tcp.options.timestamp.tsval")
		optNum("tcp.options.tsecr", o.TSEcr, "tcp.options.timestamp.tsecr")
		check("tcp.options.sack_permitted", o.SACKPermitted, row.first("tcp.options.sack_perm") != "")
		var sack []string
		for _, b := range o.SACK {
			sack = append(sack, fmt.Sprintf("%d-%d", b[0], b[1]))
		}
		var wantSACK []string
		if le, re := row["tcp.options.sack_le_raw"], row["tcp.options.sack_re_raw"]; le != "" {
			ls, rs := strings.Split(le, ","), strings.Split(re, ",")
			for i := range min(len(ls), len(rs)) {
				wantSACK = append(wantSACK, ls[i]+"-"+rs[i])
			}
		}
		check("tcp.options.sack", slices.Clone(sack), wantSACK)
		bad = append(bad, compareAnalysis(row, p, pkts)...)
	}
	return bad
}

// tsharkAnalysis maps tshark's tcp.analysis fields to tcpshow's names.
// tshark marks a fast retransmission with both its own field and
// tcp.analysis.retransmission; tcpshow names the kind only.
var tsharkAnalysis = []struct{ field, name string }{
	{"tcp.analysis.fast_retransmission", "fast_retransmission"},
	{"tcp.analysis.spurious_retransmission", "spurious_retransmission"},
	{"tcp.analysis.retransmission", "retransmission"},
	{"tcp.analysis.duplicate_ack", "dup_ack"},
	{"tcp.analysis.out_of_order", "out_of_order"},
	{"tcp.analysis.lost_segment", "lost_segment"},
	{"tcp.analysis.zero_window", "zero_window"},
	{"tcp.analysis.window_full", "window_full"},
	{"tcp.analysis.window_update", "window_update"},
	{"tcp.analysis.keep_alive", "keep_alive"},
	{"tcp.analysis.zero_window_probe", "zero_window_probe"},
	{"tcp.analysis.keep_alive_ack", "keep_alive_ack"},
	{"tcp.analysis.zero_window_probe_ack", "zero_window_probe_ack"},
}

// compareAnalysis holds tcpshow's sequence analysis of one TCP packet
// against tshark's: the tcp.analysis flags, the duplicate ACK number, the
// frame an ACK acknowledges with its RTT, and the handshake's RTT.
//
// Two differences are tshark's, not the analysis's, and are let be: tshark
// prints initial_rtt inside its SEQ/ACK analysis tree, which it leaves out
// of a packet without payload, acknowledged frame or flags (a bare FIN, an
// ACK of nothing new); and it does not match an ACK to a SYN whose options
// the snap length cut off (it does for such a SYN-ACK).
func compareAnalysis(row tsharkRow, p *render.JSONPacket, pkts map[int]render.JSONPacket) []string {
	tc := p.TCP
	if _, ok := row["tcp.analysis.acks_frame"]; !ok {
		return []string{"the tshark reference has no analysis columns: rerun testdata/tshark.sh"}
	}
	var bad []string
	var want []string
	for _, a := range tsharkAnalysis {
		if row[a.field] == "" {
			continue
		}
		if a.name == "retransmission" && (row["tcp.analysis.fast_retransmission"] != "" || row["tcp.analysis.spurious_retransmission"] != "") {
			continue
		}
		want = append(want, a.name)
	}
	got := slices.Clone(tc.Analysis)
	slices.Sort(got)
	slices.Sort(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		bad = append(bad, fmt.Sprintf("tcp.analysis: tcpshow [%s], tshark [%s]", strings.Join(got, ","), strings.Join(want, ",")))
	}
	if n, ok := num(row.first("tcp.analysis.duplicate_ack_num")); ok && int64(tc.DupAck) != n {
		bad = append(bad, fmt.Sprintf("tcp.dup_ack: tcpshow %d, tshark %d", tc.DupAck, n))
	}
	wantFrame, _ := num(row.first("tcp.analysis.acks_frame"))
	if acked, ok := pkts[tc.AcksFrame]; ok && wantFrame == 0 && acked.Truncated && acked.TCP != nil &&
		strings.Join(acked.TCP.Flags, ",") == "SYN" {
		return bad
	}
	if int64(tc.AcksFrame) != wantFrame {
		bad = append(bad, fmt.Sprintf("tcp.acks_frame: tcpshow %d, tshark %d", tc.AcksFrame, wantFrame))
	} else if wantFrame != 0 {
		bad = append(bad, compareSeconds("tcp.ack_rtt", tc.AckRTT, row.first("tcp.analysis.ack_rtt"))...)
	}
	// tshark shows the iRTT only in a frame's SEQ/ACK analysis, which a
	// frame has only if it carries a flag, acknowledges a frame or has
	// bytes in flight (a data segment, unless a segment before it was
	// lost and no ACK came back since); tcpshow gives the iRTT on every
	// packet once known.
	_, inFlight := row["tcp.analysis.bytes_in_flight"]
	hasAnalysis := wantFrame != 0 || len(want) > 0 || inFlight && row.first("tcp.analysis.bytes_in_flight") != ""
	if !inFlight {
		// A reference written before tshark.sh asked for bytes in flight.
		hasAnalysis = hasAnalysis || p.Len > 0
	}
	if hasAnalysis || row.first("tcp.analysis.initial_rtt") != "" {
		bad = append(bad, compareSeconds("tcp.irtt", tc.IRTT, row.first("tcp.analysis.initial_rtt"))...)
	}
	return bad
}

// compareSeconds compares a duration in seconds with tshark's, to the
// nanosecond; a nil got must go with an empty want.
func compareSeconds(field string, got *float64, want string) []string {
	switch {
	case got == nil && want == "":
		return nil
	case got == nil:
		return []string{fmt.Sprintf("%s: tcpshow has none, tshark %s", field, want)}
	case want == "":
		return []string{fmt.Sprintf("%s: tcpshow %v, tshark has none", field, *got)}
	}
	w, err := strconv.ParseFloat(want, 64)
	if err != nil || math.Round(*got*1e9) != math.Round(w*1e9) {
		return []string{fmt.Sprintf("%s: tcpshow %v, tshark %s", field, *got, want)}
	}
	return nil
}

// derefNum turns an optional JSON number into its value, or "<nil>".
func derefNum(v any) any {
	switch x := v.(type) {
	case *uint16:
		if x != nil {
			return int64(*x)
		}
	case *uint8:
		if x != nil {
			return int64(*x)
		}
	case *uint32:
		if x != nil {
			return int64(*x)
		}
	}
	return "<nil>"
}
