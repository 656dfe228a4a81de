package render

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tcpshow/tcpshow/decode"
)

// Table writes, for each TCP or UDP packet, a title line and a table of
// every header field: its name, its size in bits, its value and what it
// means.
type Table struct {
	w io.Writer
	o Options
}

// NewTable returns a Table renderer writing to w.
func NewTable(w io.Writer, o Options) *Table {
	return &Table{w: w, o: o}
}

// WritePacket writes p's title and header table. Frames without TCP or UDP
// are not written.
func (t *Table) WritePacket(p *decode.Packet) error {
	if p.Proto == decode.ProtoNone {
		return nil
	}
	if _, err := io.WriteString(t.w, packetTitle(p, &t.o)+"\n"); err != nil {
		return err
	}
	if err := WriteTable(t.w, &t.o, []string{"Field", "Bits", "Value", "Meaning"}, HeaderRows(p)); err != nil {
		return err
	}
	_, err := io.WriteString(t.w, "\n")
	return err
}

// Close does nothing: every table is written as it comes.
func (t *Table) Close() error { return nil }

// packetTitle is the line above a packet's table.
func packetTitle(p *decode.Packet, o *Options) string {
	var b []byte
	b = append(b, "Frame "...)
	b = strconv.AppendInt(b, int64(p.N), 10)
	b = append(b, " · "...)
	if o.ASCII {
		b = b[:len(b)-len(" · ")]
		b = append(b, " - "...)
	}
	b = appendClock(b, p.Time.In(o.loc()))
	b = append(b, ' ')
	b = append(b, p.Src.String()...)
	if o.ASCII {
		b = append(b, " -> "...)
	} else {
		b = append(b, " → "...)
	}
	b = append(b, p.Dst.String()...)
	b = append(b, ' ')
	b = append(b, strings.ToUpper(p.Proto.String())...)
	if p.Proto == decode.ProtoTCP {
		b = append(b, " ["...)
		b = p.TCP.Flags.AppendNames(b, ", ")
		b = append(b, ']')
	}
	b = append(b, " len "...)
	b = strconv.AppendInt(b, int64(p.Len), 10)
	if p.Truncated {
		b = append(b, " (truncated)"...)
	}
	if p.Malformed {
		b = append(b, " (malformed)"...)
	}
	return string(b)
}

// WriteTable writes rows under header as a tablewriter table, with plain
// ASCII borders if o.ASCII. With o.Width set (a terminal), the last column
// wraps so that the table fits the width where it can.
func WriteTable(w io.Writer, o *Options, header []string, rows [][]string) error {
	if o.Width == 0 {
		if b, ok := appendBoxTable(nil, o.ASCII, header, rows); ok {
			_, err := w.Write(b)
			return err
		}
	}
	return writeTablewriter(w, o, header, rows)
}

// writeTablewriter is WriteTable through tablewriter.
func writeTablewriter(w io.Writer, o *Options, header []string, rows [][]string) error {
	style := tw.StyleLight
	if o.ASCII {
		style = tw.StyleASCII
	}
	opts := []tablewriter.Option{
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(style)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	}
	if o.Width > 0 && len(header) > 1 {
		// Each column takes its widest cell plus a space either side and a
		// border; the last column gets what remains, at least 16 columns.
		used := 1
		for c := 0; c < len(header)-1; c++ {
			wc := runewidth.StringWidth(header[c])
			for _, r := range rows {
				if c < len(r) {
					wc = max(wc, runewidth.StringWidth(r[c]))
				}
			}
			used += wc + 3
		}
		last := max(o.Width-used-4, 16)
		opts = append(opts,
			tablewriter.WithRowAutoWrap(tw.WrapNormal),
			tablewriter.WithRowConfig(tw.CellConfig{
				Formatting:   tw.CellFormatting{AutoWrap: tw.WrapNormal},
				Alignment:    tw.CellAlignment{Global: tw.AlignLeft},
				Padding:      tw.CellPadding{Global: tw.PaddingDefault},
				ColMaxWidths: tw.CellWidth{PerColumn: tw.NewMapper[int, int]().Set(len(header)-1, last)},
			}))
	}
	tbl := tablewriter.NewTable(w, opts...)
	tbl.Header(header)
	if err := tbl.Bulk(rows); err != nil {
		return fmt.Errorf("render: table: %w", err)
	}
	if err := tbl.Render(); err != nil {
		return fmt.Errorf("render: table: %w", err)
	}
	return nil
}

// HeaderRows returns one row per header field of p: field, bits, value,
// meaning. IP first, then TCP or UDP, then the payload.
func HeaderRows(p *decode.Packet) [][]string {
	var rows [][]string
	add := func(field string, bits int, value, meaning string) {
		bs := ""
		if bits > 0 {
			bs = strconv.Itoa(bits)
		}
		rows = append(rows, []string{field, bs, value, meaning})
	}
	ip := &p.IP
	switch ip.Version {
	case 4:
		add("IP Version", 4, "4", "IPv4")
		add("IHL", 4, fmt.Sprintf("%d (%d bytes)", ip.HdrLen/4, ip.HdrLen), "header length in 32-bit words")
		add("DSCP", 6, strconv.Itoa(int(ip.TOS>>2)), "differentiated services code point")
		add("ECN", 2, ecnName(ip.TOS&3), "explicit congestion notification")
		add("Total Length", 16, ipLength(ip.Length), "bytes in the IP packet, header included")
		add("Identification", 16, fmt.Sprintf("0x%04x (%d)", ip.ID, ip.ID), "identifies the fragments of one packet")
		add("Flags", 3, fmt.Sprintf("0b%03b%s", ip.Flags, ipFlagsSuffix(ip)), "reserved, don't fragment (DF), more fragments (MF)")
		add("Fragment Offset", 13, strconv.Itoa(int(ip.FragOffset)), "position of this fragment, in 8-byte units")
		add("TTL", 8, strconv.Itoa(int(ip.TTL)), "hops left before a router discards the packet")
		add("Protocol", 8, protoName(ip.Protocol), "what the IP packet carries")
		add("Header Checksum", 16, fmt.Sprintf("0x%04x (%s)", ip.Checksum, checksumWords(ip.ChecksumStatus)), "covers the IP header only")
		add("Source Address", 32, ip.Src.String(), "sender")
		add("Destination Address", 32, ip.Dst.String(), "receiver")
		if len(ip.Options) > 0 {
			add("IP Options", len(ip.Options)*8, hexBytes(ip.Options, 16), "IPv4 options and padding")
		}
	case 6:
		add("IP Version", 4, "6", "IPv6")
		add("Traffic Class", 8, fmt.Sprintf("%d (DSCP %d, %s)", ip.TOS, ip.TOS>>2, ecnName(ip.TOS&3)), "DSCP and ECN, as IPv4's TOS byte")
		add("Flow Label", 20, fmt.Sprintf("0x%05x", ip.FlowLabel), "marks packets of one flow for routers")
		add("Payload Length", 16, ipLength(ip.Length), "bytes after the fixed 40-byte header")
		add("Next Header", 8, protoName(ip.Protocol), "the header that follows")
		add("Hop Limit", 8, strconv.Itoa(int(ip.TTL)), "hops left before a router discards the packet")
		add("Source Address", 128, ip.Src.String(), "sender")
		add("Destination Address", 128, ip.Dst.String(), "receiver")
		for i := 0; i < ip.NExt; i++ {
			e := ip.Ext[i]
			add("Extension Header", int(e.Len)*8, fmt.Sprintf("%s, %d bytes", protoName(e.Proto), e.Len), "IPv6 extension header")
		}
	}
	switch p.Proto {
	case decode.ProtoTCP:
		rows = appendTCPRows(rows, p)
	case decode.ProtoUDP:
		u := &p.UDP
		add("Source Port", 16, strconv.Itoa(int(u.SrcPort)), "sending socket's port")
		add("Destination Port", 16, strconv.Itoa(int(u.DstPort)), "receiving socket's port")
		add("Length", 16, fmt.Sprintf("%d (8 header + %d data)", u.Length, max(int(u.Length)-8, 0)), "bytes in the datagram, header included")
		add("Checksum", 16, fmt.Sprintf("0x%04x (%s)", u.Checksum, checksumWords(u.ChecksumStatus)), "over pseudo header, header and data")
	}
	if p.Len > 0 {
		v := fmt.Sprintf("%d bytes", p.Len)
		if len(p.Payload) > 0 {
			v += " " + payloadPreview(p.Payload, 40)
		}
		if len(p.Payload) < p.Len {
			v += fmt.Sprintf(" (%d captured)", len(p.Payload))
		}
		add("Payload", 0, v, "application data")
	}
	return rows
}

// tcpFieldRows lists the TCP flags by header bit, most significant first.
var tcpFlagRows = [...]struct {
	f       decode.Flags
	name    string
	meaning string
}{
	{decode.NS, "NS", "ECN nonce sum (RFC 3540, historic)"},
	{decode.CWR, "CWR", "congestion window reduced"},
	{decode.ECE, "ECE", "ECN echo: congestion was seen"},
	{decode.URG, "URG", "the urgent pointer is valid"},
	{decode.ACK, "ACK", "the acknowledgment number is valid"},
	{decode.PSH, "PSH", "push: hand the data to the application now"},
	{decode.RST, "RST", "reset: abort the connection"},
	{decode.SYN, "SYN", "synchronize sequence numbers: open"},
	{decode.FIN, "FIN", "finish: the sender has no more data"},
}

func appendTCPRows(rows [][]string, p *decode.Packet) [][]string {
	t := &p.TCP
	add := func(field string, bits int, value, meaning string) {
		bs := ""
		if bits > 0 {
			bs = strconv.Itoa(bits)
		}
		rows = append(rows, []string{field, bs, value, meaning})
	}
	add("Source Port", 16, strconv.Itoa(int(t.SrcPort)), "sending socket's port")
	add("Destination Port", 16, strconv.Itoa(int(t.DstPort)), "receiving socket's port")
	if t.HdrCaptured < 8 {
		add("Sequence Number", 32, "(not captured)", "")
	} else {
		add("Sequence Number", 32, relRaw(t.Rel, t.RelSeq, t.Seq), "number of the first data byte; SYN and FIN count as one")
	}
	switch {
	case t.HdrCaptured < 12:
		add("Acknowledgment Number", 32, "(not captured)", "")
	case t.Flags.Has(decode.ACK):
		add("Acknowledgment Number", 32, relRaw(t.Rel, t.RelAck, t.Ack), "next byte expected from the other side")
	default:
		add("Acknowledgment Number", 32, fmt.Sprintf("raw %d", t.Ack), "not in use: ACK is not set")
	}
	if t.HdrCaptured < 20 {
		add("(rest of header)", 0, "(not captured)", fmt.Sprintf("the capture holds %d of 20 bytes", t.HdrCaptured))
		return rows
	}
	add("Data Offset", 4, fmt.Sprintf("%d (%d bytes)", t.DataOffset, t.HdrLen()), "header length in 32-bit words")
	add("Reserved", 3, strconv.Itoa(int(t.Reserved)), "must be zero")
	for _, f := range tcpFlagRows {
		v := "0"
		if t.Flags.Has(f.f) {
			v = "1"
		}
		add(f.name, 1, v, f.meaning)
	}
	win := strconv.Itoa(int(t.Window))
	switch {
	case t.Flags.Has(decode.SYN):
		win += " (never scaled in a SYN)"
	case t.WindowScaled >= 0 && t.WindowScaled != int(t.Window):
		win += fmt.Sprintf(" (× %d = %d bytes)", t.WindowScaled/max(int(t.Window), 1), t.WindowScaled)
	case t.WindowScaled < 0:
		win += " (scale unknown: handshake not captured)"
	}
	add("Window", 16, win, "bytes the sender can still receive")
	add("Checksum", 16, fmt.Sprintf("0x%04x (%s)", t.Checksum, checksumWords(t.ChecksumStatus)), "over pseudo header, header and data")
	urg := strconv.Itoa(int(t.Urgent))
	if !t.Flags.Has(decode.URG) {
		urg += " (unused: URG not set)"
	}
	add("Urgent Pointer", 16, urg, "end of urgent data, as an offset from seq")
	o := &t.Options
	for i := 0; i < o.N; i++ {
		opt := o.List[i]
		name, value, meaning := optionRow(o, opt)
		add("Option: "+name, int(max(opt.Len, 1))*8, value, meaning)
	}
	if o.Padding > 0 {
		add("Padding", o.Padding*8, fmt.Sprintf("%d bytes", o.Padding), "zeros after the end of the option list")
	}
	if o.Truncated {
		add("(rest of options)", 0, "(not captured)", "the capture ends inside the options")
	}
	if o.Malformed {
		add("(options malformed)", 0, "", "an option's length is impossible; walking stopped")
	}
	return rows
}

// optionRow describes one TCP option.
func optionRow(o *decode.Options, opt decode.Option) (name, value, meaning string) {
	d := o.Data(opt)
	complete := opt.Len >= 2 && len(d) == int(opt.Len)-2
	switch opt.Kind {
	case decode.OptEOL:
		return "EOL", "", "end of the option list"
	case decode.OptNOP:
		return "NOP", "", "no-operation: aligns the next option"
	case decode.OptMSS:
		if complete && len(d) == 2 {
			return "MSS", strconv.Itoa(int(o.MSS)), "largest segment the sender can receive"
		}
		return "MSS", badLen(opt), "largest segment the sender can receive"
	case decode.OptWScale:
		if complete && len(d) == 1 {
			return "Window Scale", fmt.Sprintf("%d (multiply by %d)", o.WScale, 1<<min(o.WScale, 14)), "shift applied to this side's later windows"
		}
		return "Window Scale", badLen(opt), "shift applied to this side's later windows"
	case decode.OptSACKPerm:
		return "SACK Permitted", "", "the sender understands selective ACKs"
	case decode.OptSACK:
		var parts []string
		for j := 0; j+8 <= len(d); j += 8 {
			parts = append(parts, fmt.Sprintf("%d-%d", be32(d[j:]), be32(d[j+4:])))
		}
		return "SACK", strings.Join(parts, ", "), "byte ranges received beyond the ACK (raw numbers)"
	case decode.OptTimestamp:
		if complete && len(d) == 8 {
			return "Timestamps", fmt.Sprintf("TSval %d, TSecr %d", o.TSVal, o.TSEcr), "sender's clock and the echo of the peer's"
		}
		return "Timestamps", badLen(opt), "sender's clock and the echo of the peer's"
	}
	name = decode.OptionName(opt.Kind)
	if name == "" {
		name = "kind " + strconv.Itoa(int(opt.Kind))
	} else {
		name += " (kind " + strconv.Itoa(int(opt.Kind)) + ")"
	}
	return name, fmt.Sprintf("length %d %s", opt.Len, hexBytes(d, 16)), "option tcpshow does not decode"
}

func badLen(opt decode.Option) string {
	return fmt.Sprintf("bad length %d", opt.Len)
}

// relRaw shows a relative number and the raw one beside it.
func relRaw(rel bool, r, raw uint32) string {
	if !rel {
		return fmt.Sprintf("raw %d", raw)
	}
	return fmt.Sprintf("rel %d · raw %d", r, raw)
}

func ecnName(e uint8) string {
	switch e {
	case 0:
		return "0 (Not-ECT)"
	case 1:
		return "1 (ECT(1))"
	case 2:
		return "2 (ECT(0))"
	}
	return "3 (CE: congestion)"
}

func ipFlagsSuffix(ip *decode.IP) string {
	s := appendIPFlags(nil, ip, " (", ", ", ")")
	return string(s)
}

// protoName names an IP protocol number.
func protoName(p uint8) string {
	names := map[uint8]string{0: "hop-by-hop", 1: "ICMP", 6: "TCP", 17: "UDP", 43: "routing", 44: "fragment",
		50: "ESP", 51: "AH", 58: "ICMPv6", 59: "no next header", 60: "destination options", 132: "SCTP"}
	if n, ok := names[p]; ok {
		return fmt.Sprintf("%d (%s)", p, n)
	}
	return strconv.Itoa(int(p))
}

func checksumWords(s decode.ChecksumStatus) string {
	switch s {
	case decode.ChecksumCorrect:
		return "correct"
	case decode.ChecksumIncorrect:
		return "incorrect"
	case decode.ChecksumAbsent:
		return "none: the sender did not compute one"
	}
	return "not verifiable"
}

// hexBytes writes up to max bytes of b in hex, with an ellipsis beyond.
func hexBytes(b []byte, max int) string {
	var s []byte
	for i, c := range b {
		if i == max {
			s = append(s, "…"...)
			break
		}
		s = append(s, hexDigits[c>>4], hexDigits[c&0xf])
	}
	return string(s)
}

// payloadPreview quotes the first max bytes of b with every control
// character escaped.
func payloadPreview(b []byte, max int) string {
	cut := len(b) > max
	if cut {
		b = b[:max]
	}
	s := append([]byte{'"'}, appendEscaped(nil, b)...)
	s = append(s, '"')
	if cut {
		s = append(s, "…"...)
	}
	return string(s)
}

// ipLength shows an IP length field. A length over 65535 cannot be in the
// 16-bit field, which held 0: the decoder took it from the frame, as for
// segmentation offload and BIG TCP.
func ipLength(n int) string {
	if n > 0xffff {
		return "0 (BIG TCP: " + strconv.Itoa(n) + " from the frame)"
	}
	return strconv.Itoa(n)
}
