package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// maxRTTRows bounds the rows an RTT table holds per conversation; the
// estimates go on past it and the table says how many rows it left out.
const maxRTTRows = 2000

// RTT writes, per TCP conversation, the table classic TCP labs ask students
// to build by hand: for each data segment the time it was sent, the time
// of the first ACK that covered it and the SampleRTT between them, with the
// sender's EstimatedRTT, DevRTT and retransmission timeout after that
// sample, as RFC 6298 computes them (decode.RTTEstimator). Following Karn's
// rule, a segment that was sent more than once gives no sample.
//
// A conversation's table is written when it ends (EndConversation) or at
// Close. A UDP conversation gets one line saying why it has no table.
type RTT struct {
	w     io.Writer
	o     Options
	convs map[*decode.Conversation]*rttConv
}

// NewRTT returns an RTT renderer writing to w.
func NewRTT(w io.Writer, o Options) *RTT {
	return &RTT{w: w, o: o, convs: make(map[*decode.Conversation]*rttConv)}
}

// rttConv is what RTT holds about one conversation.
type rttConv struct {
	c       *decode.Conversation
	first   time.Time
	dirs    [2]rttDir
	rows    []rttRow
	omitted int // rows not kept past maxRTTRows
}

// rttDir follows the data segments one side sent.
type rttDir struct {
	est  decode.RTTEstimator
	out  []rttSeg // sent and not yet acknowledged, in sequence order
	high uint32   // the end of the highest segment sent
	sent bool     // high is valid
}

// rttSeg is a data segment waiting for its ACK.
type rttSeg struct {
	seq, end uint32
	sent     time.Time
	row      int // index in rows, or -1 if the row was not kept
	resent   bool
}

// rttRow is one row of the table.
type rttRow struct {
	frame    int
	dir      decode.Dir
	seq, end uint32
	sent     time.Time
	ackFrame int // 0 until acknowledged
	acked    time.Time
	resent   bool // no sample: Karn's rule
	sample   time.Duration
	srtt     time.Duration
	rttvar   time.Duration
	rawRTO   time.Duration
	rto      time.Duration
}

// seqLess reports whether a comes before b in sequence space.
func seqLess(a, b uint32) bool { return int32(a-b) < 0 }

// WritePacket follows p's data segments and ACKs. Packets of no TCP
// conversation are ignored.
func (r *RTT) WritePacket(p *decode.Packet) error {
	if p.Proto == decode.ProtoNone || p.Conv == nil {
		return nil
	}
	rc := r.convs[p.Conv]
	if rc == nil {
		rc = &rttConv{c: p.Conv, first: p.Time}
		r.convs[p.Conv] = rc
	}
	if p.Proto != decode.ProtoTCP {
		return nil
	}
	t := &p.TCP
	d := p.Conv.Dir(p)
	seq, ack := t.Seq, t.Ack
	if t.Rel {
		seq, ack = t.RelSeq, t.RelAck
	}
	if t.Flags.Has(decode.ACK) {
		rc.ack(1-d, ack, p)
	}
	if p.Len > 0 && !t.Flags.Has(decode.SYN) {
		rc.send(d, seq, seq+uint32(p.Len), p)
	}
	return nil
}

// send records a data segment of direction d.
func (rc *rttConv) send(d decode.Dir, seq, end uint32, p *decode.Packet) {
	f := &rc.dirs[d]
	resent := p.TCP.Analysis&(decode.Retransmission|decode.FastRetransmission|decode.SpuriousRetransmission) != 0
	if f.sent && seqLess(seq, f.high) {
		// Some of these bytes were sent before: every segment still
		// waiting that overlaps them is ambiguous now (Karn).
		resent = true
		for i := range f.out {
			s := &f.out[i]
			if seqLess(s.seq, end) && seqLess(seq, s.end) {
				s.resent = true
				if s.row >= 0 {
					rc.rows[s.row].resent = true
				}
			}
		}
	}
	if !f.sent || seqLess(f.high, end) {
		f.high, f.sent = end, true
	}
	row := -1
	if len(rc.rows) < maxRTTRows {
		row = len(rc.rows)
		rc.rows = append(rc.rows, rttRow{frame: p.N, dir: d, seq: seq, end: end, sent: p.Time, resent: resent})
	} else {
		rc.omitted++
	}
	// Keep out in sequence order; a retransmission of bytes still waiting
	// is not queued again, the original carries the Karn mark.
	i, found := slices.BinarySearchFunc(f.out, seq, func(s rttSeg, seq uint32) int {
		switch {
		case seqLess(s.seq, seq):
			return -1
		case s.seq == seq:
			return 0
		}
		return 1
	})
	if found {
		// The original's row takes the ACK; this one shows the
		// retransmission without an ACK of its own.
		f.out[i].resent = true
		if row >= 0 {
			rc.rows[row].resent = true
		}
		return
	}
	f.out = slices.Insert(f.out, i, rttSeg{seq: seq, end: end, sent: p.Time, row: row, resent: resent})
}

// ack applies an acknowledgment of direction d's data up to ack.
func (rc *rttConv) ack(d decode.Dir, ack uint32, p *decode.Packet) {
	f := &rc.dirs[d]
	n := 0
	for _, s := range f.out {
		if seqLess(ack, s.end) {
			break
		}
		n++
		if s.row < 0 {
			if !s.resent {
				f.est.Sample(p.Time.Sub(s.sent))
			}
			continue
		}
		row := &rc.rows[s.row]
		row.ackFrame, row.acked = p.N, p.Time
		if s.resent || row.resent {
			row.resent = true
			continue
		}
		row.sample = p.Time.Sub(s.sent)
		f.est.Sample(row.sample)
		row.srtt, row.rttvar = f.est.SRTT, f.est.RTTVar
		row.rawRTO, row.rto = f.est.RawRTO(), f.est.RTO()
	}
	f.out = slices.Delete(f.out, 0, n)
}

// EndConversation writes c's table, if c is a TCP conversation this
// writer has seen, and forgets it.
func (r *RTT) EndConversation(c *decode.Conversation) error {
	rc := r.convs[c]
	if rc == nil {
		return nil
	}
	delete(r.convs, c)
	return r.write(rc)
}

// Close writes the tables of the conversations still held, in order.
func (r *RTT) Close() error {
	held := make([]*rttConv, 0, len(r.convs))
	for _, rc := range r.convs {
		held = append(held, rc)
	}
	slices.SortFunc(held, func(a, b *rttConv) int { return cmp.Compare(a.c.ID, b.c.ID) })
	clear(r.convs)
	for _, rc := range held {
		if err := r.write(rc); err != nil {
			return err
		}
	}
	return nil
}

// ms formats d in milliseconds with microsecond precision.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}

// write writes one conversation's table.
func (r *RTT) write(rc *rttConv) error {
	c := rc.c
	arrow := " → "
	if r.o.ASCII {
		arrow = " -> "
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Conversation %d: client %s%sserver %s\n", c.ID, Escape(c.Client.String()), arrow, Escape(c.Server.String()))
	if c.Proto == decode.ProtoUDP {
		b.WriteString("UDP: datagrams are never acknowledged, so there is no round trip to time\n\n")
		_, err := io.WriteString(r.w, b.String())
		return err
	}
	if len(rc.rows) == 0 {
		b.WriteString("no data segments: nothing to time\n\n")
		_, err := io.WriteString(r.w, b.String())
		return err
	}
	b.WriteString("Times in ms since the conversation's first packet; SampleRTT = ACKed − Sent.\n")
	b.WriteString("RFC 6298: the first sample R sets EstimatedRTT = R, DevRTT = R/2; then\n")
	b.WriteString("  DevRTT       = 3/4·DevRTT + 1/4·|EstimatedRTT − SampleRTT|\n")
	b.WriteString("  EstimatedRTT = 7/8·EstimatedRTT + 1/8·SampleRTT\n")
	b.WriteString("  RTO          = EstimatedRTT + 4·DevRTT, at least 1 s\n")
	if _, err := io.WriteString(r.w, asciiIf(r.o.ASCII, b.String())); err != nil {
		return err
	}
	b.Reset()
	header := []string{"Frame", "From", "Seq", "Sent", "ACK", "ACKed", "SampleRTT", "EstimatedRTT", "DevRTT", "RTO"}
	rows := make([][]string, 0, len(rc.rows))
	minNoted, maxNoted := false, false
	for _, row := range rc.rows {
		from := "client"
		if row.dir == decode.ServerToClient {
			from = "server"
		}
		cells := []string{
			strconv.Itoa(row.frame), from,
			fmt.Sprintf("%d:%d", row.seq, row.end),
			ms(row.sent.Sub(rc.first)),
		}
		switch {
		case row.ackFrame == 0 && row.resent:
			cells = append(cells, "", "", "none: a retransmission (Karn)", "", "", "")
		case row.ackFrame == 0:
			cells = append(cells, "", "", "not acknowledged", "", "", "")
		case row.resent:
			cells = append(cells, strconv.Itoa(row.ackFrame), ms(row.acked.Sub(rc.first)), "none: sent twice (Karn)", "", "", "")
		default:
			rto := ms(row.rto)
			if row.rto != row.rawRTO {
				rto = ms(row.rawRTO) + " → " + rto
				if row.rawRTO < decode.MinRTO {
					minNoted = true
				} else {
					maxNoted = true
				}
			}
			cells = append(cells, strconv.Itoa(row.ackFrame), ms(row.acked.Sub(rc.first)), ms(row.sample), ms(row.srtt), ms(row.rttvar), rto)
		}
		rows = append(rows, cells)
	}
	if err := WriteTable(r.w, &r.o, header, rows); err != nil {
		return err
	}
	if rc.omitted > 0 {
		fmt.Fprintf(&b, "… %d more data segments not shown; ", rc.omitted)
	}
	for d := range rc.dirs {
		e := &rc.dirs[d].est
		if e.Samples == 0 {
			continue
		}
		side := "client"
		if decode.Dir(d) == decode.ServerToClient {
			side = "server"
		}
		noun := "samples"
		if e.Samples == 1 {
			noun = "sample"
		}
		fmt.Fprintf(&b, "%s: %d %s, EstimatedRTT %s ms, DevRTT %s ms, RTO %s ms\n", side, e.Samples, noun, ms(e.SRTT), ms(e.RTTVar), ms(e.RTO()))
	}
	if minNoted {
		b.WriteString("a → b: RFC 6298 (2.4) raises an RTO below 1 s to 1 s (Linux uses 200 ms).\n")
	}
	if maxNoted {
		b.WriteString("a → b: RFC 6298 (2.5) allows an RTO to be capped at 60 s.\n")
	}
	b.WriteString("\n")
	_, err := io.WriteString(r.w, asciiIf(r.o.ASCII, b.String()))
	return err
}

// asciiIf replaces the non-ASCII characters tcpshow itself writes when
// ascii is set.
func asciiIf(ascii bool, s string) string {
	if !ascii {
		return s
	}
	return strings.NewReplacer("×", "x", "…", "...", "·", "*", "→", "->", "−", "-").Replace(s)
}
