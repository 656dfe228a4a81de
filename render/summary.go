package render

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/tcpshow/tcpshow/decode"
)

// summaryColumns are the summary table's headings and fixed widths: a
// streamed table cannot measure rows it has not seen.
var summaryColumns = []struct {
	head  string
	width int
}{
	{"#", 7},
	{"client", 21},
	{"server", 21},
	{"proto", 5},
	{"handshake", 9},
	{"end", 4},
	{"client state", 12},
	{"server state", 12},
	{"packets →/←", 13},
	{"bytes →/←", 15},
	{"duration ms", 11},
	{"iRTT ms", 8},
	{"retrans", 7},
	{"zero win", 8},
}

// Summary writes one table row per conversation, as each conversation
// ends: its number, endpoints, protocol, whether the handshake completed,
// how it ended (FIN, RST or still open), the final TCP states, packets and
// payload bytes each way (client to server first), duration, the
// handshake's round-trip time, retransmissions and zero-window segments.
//
// Rows stream: a row is written when the tracker forgets its conversation
// (EndConversation, wired to decode.TrackerOptions.OnEnd), so memory stays
// flat however many conversations a capture holds. Conversations the
// tracker never ended are written at Close, in ID order.
type Summary struct {
	w       io.Writer
	o       Options
	tbl     *tablewriter.Table
	started bool
	open    map[int]*decode.Conversation
	row     []string
	line    []byte
	rows    int  // rows tablewriter drew
	slow    bool // every row through tablewriter (tests compare)
	err     error
}

// NewSummary returns a Summary writing to w.
func NewSummary(w io.Writer, o Options) *Summary {
	return &Summary{w: w, o: o, open: make(map[int]*decode.Conversation), row: make([]string, len(summaryColumns))}
}

// WritePacket notes p's conversation, to be written when it ends.
func (s *Summary) WritePacket(p *decode.Packet) error {
	if p.Conv != nil && s.open[p.Conv.ID] != p.Conv {
		s.open[p.Conv.ID] = p.Conv
	}
	return s.err
}

// EndConversation writes c's row.
func (s *Summary) EndConversation(c *decode.Conversation) error {
	if s.open[c.ID] != c {
		return s.err // not a conversation this writer saw (another selection)
	}
	delete(s.open, c.ID)
	return s.writeRow(c)
}

// Close writes the rows of the conversations still open, in ID order, and
// the table's bottom border.
func (s *Summary) Close() error {
	rest := make([]*decode.Conversation, 0, len(s.open))
	for _, c := range s.open {
		rest = append(rest, c)
	}
	slices.SortFunc(rest, func(a, b *decode.Conversation) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range rest {
		delete(s.open, c.ID)
		if err := s.writeRow(c); err != nil {
			return err
		}
	}
	if s.started && s.err == nil {
		if err := s.tbl.Close(); err != nil {
			s.err = fmt.Errorf("render: summary: %w", err)
		}
	}
	return s.err
}

// start begins the streamed table and writes its header.
func (s *Summary) start() error {
	style := tw.StyleLight
	if s.o.ASCII {
		style = tw.StyleASCII
	}
	widths := tw.NewMapper[int, int]()
	for i, col := range summaryColumns {
		widths.Set(i, col.width+2)
	}
	s.tbl = tablewriter.NewTable(s.w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(style)})),
		tablewriter.WithStreaming(tw.StreamConfig{Enable: true}),
		tablewriter.WithWidths(tw.CellWidth{PerColumn: widths}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		// A cell too wide for its column (a long IPv6 address) breaks
		// over lines; the default would cut it.
		tablewriter.WithRowAutoWrap(tw.WrapBreak),
	)
	if err := s.tbl.Start(); err != nil {
		return fmt.Errorf("render: summary: %w", err)
	}
	s.started = true
	head := make([]string, len(summaryColumns))
	for i, col := range summaryColumns {
		head[i] = col.head
		if s.o.ASCII {
			head[i] = strings.ReplaceAll(strings.ReplaceAll(head[i], "→", "->"), "←", "<-")
		}
	}
	s.tbl.Header(head)
	return nil
}

// writeRow writes c's row, starting the table on the first.
func (s *Summary) writeRow(c *decode.Conversation) error {
	if s.err != nil {
		return s.err
	}
	if !s.started {
		if s.err = s.start(); s.err != nil {
			return s.err
		}
	}
	r := s.row
	r[0] = strconv.Itoa(c.ID)
	r[1] = c.Client.String()
	r[2] = c.Server.String()
	r[3] = c.Proto.String()
	if c.Proto == decode.ProtoTCP {
		r[4] = "no"
		if c.Handshake {
			r[4] = "yes"
		}
		r[5] = c.EndedBy.String()
		r[6], r[7] = c.States[0].String(), c.States[1].String()
		r[11] = "-"
		if c.IRTT > 0 {
			r[11] = formatMillis(c.IRTT)
		}
		r[12] = strconv.Itoa(c.Retransmissions[0] + c.Retransmissions[1])
		r[13] = strconv.Itoa(c.ZeroWindows[0] + c.ZeroWindows[1])
	} else {
		r[4], r[5], r[6], r[7], r[11], r[12], r[13] = "-", "-", "-", "-", "-", "-", "-"
	}
	r[8] = strconv.Itoa(c.Packets[0]) + " / " + strconv.Itoa(c.Packets[1])
	r[9] = strconv.FormatInt(c.Bytes[0], 10) + " / " + strconv.FormatInt(c.Bytes[1], 10)
	r[10] = formatMillis(c.Last.Sub(c.First))
	if line, ok := s.appendRow(s.line[:0], r); ok && s.rows > 0 && !s.slow {
		// The row as tablewriter draws it, without its per-cell work,
		// which was most of a summary's time over many conversations.
		// (The first row goes through tablewriter, which draws the
		// line under the header with it.)
		s.line = line
		if _, err := s.w.Write(line); err != nil {
			s.err = fmt.Errorf("render: summary: %w", err)
		}
		return s.err
	}
	s.rows++
	if err := s.tbl.Append(r); err != nil {
		s.err = fmt.Errorf("render: summary: %w", err)
	}
	return s.err
}

// appendRow appends the table row of cells r, left-aligned in the fixed
// column widths, and reports true; or reports false if a cell would need
// more than printable ASCII or wrapping, which tablewriter then does.
func (s *Summary) appendRow(b []byte, r []string) ([]byte, bool) {
	bar := "│"
	if s.o.ASCII {
		bar = "|"
	}
	for i, cell := range r {
		w := summaryColumns[i].width
		if len(cell) > w {
			return b, false
		}
		for j := 0; j < len(cell); j++ {
			if cell[j] < 0x20 || cell[j] > 0x7e {
				return b, false
			}
		}
		b = appendBoxCell(b, bar, cell, len(cell), w)
	}
	b = append(b, bar...)
	return append(b, '\n'), true
}

// formatMillis writes d in milliseconds with three decimals.
func formatMillis(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)
}
