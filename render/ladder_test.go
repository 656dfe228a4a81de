package render

import (
	"bytes"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-runewidth"

	"github.com/tcpshow/tcpshow/decode"
)

var (
	testClient = netip.MustParseAddrPort("127.0.0.1:40000")
	testServer = netip.MustParseAddrPort("127.0.0.1:18080")
	testStart  = time.Date(2026, 11, 21, 14, 0, 0, 0, time.UTC)
)

// lseg is one packet of a test conversation. Sequence and acknowledgment
// numbers follow from the segments before it (ISNs 1000 and 5000).
type lseg struct {
	from  byte // 'c' client, 's' server
	flags decode.Flags
	len   int
	dt    time.Duration // after the previous packet
	retx  bool          // resend the side's previous segment's sequence number
}

// fS, fSA, fA, … are flag sets for tables.
const (
	fS  = decode.SYN
	fSA = decode.SYN | decode.ACK
	fA  = decode.ACK
	fPA = decode.PSH | decode.ACK
	fFA = decode.FIN | decode.ACK
	fRA = decode.RST | decode.ACK
)

// packets turns segs into decoded packets with raw numbers, as a capture
// would hold them.
func packets(proto decode.Proto, segs []lseg) []decode.Packet {
	nxt := map[byte]uint32{'c': 1000, 's': 5000}
	last := map[byte]uint32{}
	acked := map[byte]bool{}
	t := testStart
	var out []decode.Packet
	for i, s := range segs {
		t = t.Add(s.dt)
		p := decode.Packet{N: i + 1, Time: t, Proto: proto, Len: s.len}
		other := byte('s')
		p.Src, p.Dst = testClient, testServer
		if s.from == 's' {
			other = 'c'
			p.Src, p.Dst = testServer, testClient
		}
		p.IP.Version = 4
		if proto == decode.ProtoUDP {
			p.UDP = decode.UDP{SrcPort: p.Src.Port(), DstPort: p.Dst.Port(), Length: uint16(8 + s.len)}
			out = append(out, p)
			continue
		}
		seq := nxt[s.from]
		if s.retx {
			seq = last[s.from]
		}
		p.TCP = decode.TCP{SrcPort: p.Src.Port(), DstPort: p.Dst.Port(), Seq: seq, Flags: s.flags, Window: 512, DataOffset: 5}
		if s.flags.Has(decode.ACK) || acked[other] {
			p.TCP.Ack = nxt[other]
		}
		if s.flags.Has(decode.SYN) {
			p.TCP.Options.Set = decode.HasMSS | decode.HasWScale | decode.HasSACKPerm | decode.HasTimestamps
			p.TCP.Options.MSS, p.TCP.Options.WScale = 65495, 7
			p.TCP.Window = 65495
		}
		last[s.from] = seq
		if !s.retx {
			adv := uint32(s.len)
			if s.flags&(decode.SYN|decode.FIN) != 0 {
				adv++
			}
			nxt[s.from] += adv
		}
		out = append(out, p)
	}
	return out
}

// collect runs ps through a Tracker and a Collector and returns the
// diagrams in the order they were finished. calls are written first.
func collect(t *testing.T, ps []decode.Packet, calls []Call, maxRows int) []*Diagram {
	t.Helper()
	var ds []*Diagram
	c := NewCollector(CollectorOptions{MaxRows: maxRows}, func(d *Diagram) error {
		ds = append(ds, d)
		return nil
	})
	for _, call := range calls {
		if err := c.WriteCall(call); err != nil {
			t.Fatal(err)
		}
	}
	trk := decode.NewTracker()
	for i := range ps {
		p := ps[i]
		trk.Track(&p)
		if err := c.WritePacket(&p); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return ds
}

// shape describes a diagram's rows in a few characters each: "c>" and "<s"
// for arrows with their flags, "-phase-" for separators, "call@lane:name",
// "…N" for elided runs.
func shape(d *Diagram) string {
	var parts []string
	for i := range d.Rows {
		r := &d.Rows[i]
		switch r.Kind {
		case RowPacket:
			f := "UDP"
			if r.Arrow.Packet.Proto == decode.ProtoTCP {
				f = r.Arrow.Packet.TCP.Flags.String()
			}
			if r.Arrow.Dir == decode.ClientToServer {
				parts = append(parts, f+">")
			} else {
				parts = append(parts, "<"+f)
			}
		case RowSeparator:
			parts = append(parts, "-"+r.Phase.String()+"-")
		case RowCall:
			suffix := [...]string{CallWhole: "", CallStart: "…", CallReturn: "→"}[r.Part]
			parts = append(parts, "call"+strconv.Itoa(r.Lane)+":"+r.Call.Name+suffix)
		case RowElided:
			parts = append(parts, "…"+strconv.Itoa(r.Elided.Packets))
		}
	}
	return strings.Join(parts, " ")
}

func TestLadderCases(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name    string
		proto   decode.Proto
		segs    []lseg
		shape   string
		initial [2]decode.State
		labels  []string // substrings of the text ladder
	}{
		{
			name:    "refused connect",
			segs:    []lseg{{from: 'c', flags: fS}, {from: 's', flags: fRA, dt: ms}},
			shape:   "SYN> <RST,ACK",
			initial: [2]decode.State{decode.StateClosed, decode.StateClosed},
			labels:  []string{"SYN seq 0 win 65495 mss 65495", "RST,ACK seq 1 ack 1 win 512"},
		},
		{
			name: "open, data, close",
			segs: []lseg{
				{from: 'c', flags: fS}, {from: 's', flags: fSA, dt: ms}, {from: 'c', flags: fA, dt: ms},
				{from: 'c', flags: fPA, len: 17, dt: ms}, {from: 's', flags: fA, dt: ms},
				{from: 'c', flags: fFA, dt: ms}, {from: 's', flags: fFA, dt: ms}, {from: 'c', flags: fA, dt: ms},
			},
			shape:   "SYN> <SYN,ACK ACK> -data transfer- PSH,ACK> <ACK -teardown- FIN,ACK> <FIN,ACK ACK>",
			initial: [2]decode.State{decode.StateClosed, decode.StateListen},
			labels:  []string{"PSH,ACK seq 1:18 ack 1 len 17", "FIN,ACK seq 18 ack 1"},
		},
		{
			name: "half-close: data after the first FIN",
			segs: []lseg{
				{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA},
				{from: 'c', flags: fFA, dt: ms}, {from: 's', flags: fA},
				{from: 's', flags: fPA, len: 12, dt: ms}, {from: 'c', flags: fA},
				{from: 's', flags: fFA, dt: ms}, {from: 'c', flags: fA},
			},
			shape:   "SYN> <SYN,ACK ACK> -teardown- FIN,ACK> <ACK <PSH,ACK ACK> <FIN,ACK ACK>",
			initial: [2]decode.State{decode.StateClosed, decode.StateListen},
			labels:  []string{"PSH,ACK seq 1:13 ack 2 len 12"},
		},
		{
			name: "abortive close",
			segs: []lseg{
				{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA},
				{from: 's', flags: fPA, len: 5, dt: ms}, {from: 'c', flags: fRA, dt: ms},
			},
			shape:   "SYN> <SYN,ACK ACK> -data transfer- <PSH,ACK -teardown- RST,ACK>",
			initial: [2]decode.State{decode.StateClosed, decode.StateListen},
		},
		{
			name: "simultaneous open and close",
			segs: []lseg{
				{from: 'c', flags: fS}, {from: 's', flags: fS},
				{from: 'c', flags: fSA, retx: true, dt: ms}, {from: 's', flags: fSA, retx: true},
				{from: 'c', flags: fFA, dt: ms}, {from: 's', flags: fFA},
				{from: 'c', flags: fA, dt: ms}, {from: 's', flags: fA},
			},
			shape:   "SYN> <SYN SYN,ACK> <SYN,ACK -teardown- FIN,ACK> <FIN,ACK ACK> <ACK",
			initial: [2]decode.State{decode.StateClosed, decode.StateClosed},
		},
		{
			name: "retransmitted SYN",
			segs: []lseg{
				{from: 'c', flags: fS}, {from: 'c', flags: fS, retx: true, dt: time.Second},
				{from: 's', flags: fSA, dt: ms}, {from: 'c', flags: fA},
			},
			shape:   "SYN> SYN> <SYN,ACK ACK>",
			initial: [2]decode.State{decode.StateClosed, decode.StateListen},
			labels:  []string{"1000.000", "1001.000"},
		},
		{
			name:    "mid-connection start",
			segs:    []lseg{{from: 'c', flags: fPA, len: 100}, {from: 's', flags: fA}, {from: 'c', flags: fFA}},
			shape:   "PSH,ACK> <ACK -teardown- FIN,ACK>",
			initial: [2]decode.State{decode.StateUnknown, decode.StateUnknown},
			labels:  []string{"UNKNOWN", "PSH,ACK seq 1:101 ack 1 len 100"},
		},
		{
			name:   "UDP",
			proto:  decode.ProtoUDP,
			segs:   []lseg{{from: 'c', len: 17}, {from: 'c', len: 5}, {from: 's', len: 17, dt: ms}},
			shape:  "UDP> UDP> <UDP",
			labels: []string{"UDP len 17", "UDP len 5"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proto := tt.proto
			if proto == decode.ProtoNone {
				proto = decode.ProtoTCP
			}
			ds := collect(t, packets(proto, tt.segs), nil, 0)
			if len(ds) != 1 {
				t.Fatalf("%d diagrams, want 1", len(ds))
			}
			d := ds[0]
			if got := shape(d); got != tt.shape {
				t.Errorf("rows:\n got %s\nwant %s", got, tt.shape)
			}
			if d.Lanes[0].Endpoint != testClient || d.Lanes[1].Endpoint != testServer {
				t.Errorf("lanes %v %v, want client %v on the left", d.Lanes[0].Endpoint, d.Lanes[1].Endpoint, testClient)
			}
			if got := [2]decode.State{d.Lanes[0].Initial, d.Lanes[1].Initial}; got != tt.initial {
				t.Errorf("initial states %v, want %v", got, tt.initial)
			}
			for _, o := range []Options{{}, {ASCII: true}, {Width: 200}} {
				var buf bytes.Buffer
				if err := WriteLadder(&buf, d, &o); err != nil {
					t.Fatal(err)
				}
				text := buf.String()
				checkLayout(t, text, o.width())
				for _, l := range tt.labels {
					if o.Width == 200 && !strings.Contains(text, l) {
						t.Errorf("ladder lacks %q:\n%s", l, text)
					}
				}
				if proto == decode.ProtoUDP && strings.Contains(text, "CLOSED") {
					t.Errorf("UDP ladder shows TCP states:\n%s", text)
				}
			}
		})
	}
}

// TestLadderStates checks that each lane's state is written on the row
// that changes it and nowhere else, from states as a Tracker fills them.
func TestLadderStates(t *testing.T) {
	ps := packets(decode.ProtoTCP, []lseg{
		{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA},
		{from: 'c', flags: fPA, len: 3}, {from: 's', flags: fA},
		{from: 'c', flags: fFA}, {from: 's', flags: fA}, {from: 's', flags: fFA}, {from: 'c', flags: fA},
	})
	// The states of the sender and the receiver after each packet.
	states := [][2]decode.State{
		{decode.StateSynSent, decode.StateSynReceived},
		{decode.StateSynReceived, decode.StateEstablished},
		{decode.StateEstablished, decode.StateEstablished},
		{decode.StateEstablished, decode.StateEstablished},
		{decode.StateEstablished, decode.StateEstablished},
		{decode.StateFinWait1, decode.StateCloseWait},
		{decode.StateCloseWait, decode.StateFinWait2},
		{decode.StateLastAck, decode.StateTimeWait},
		{decode.StateTimeWait, decode.StateClosed},
	}
	conv := &decode.Conversation{ID: 7, Proto: decode.ProtoTCP, Client: testClient, Server: testServer}
	var got *Diagram
	c := NewCollector(CollectorOptions{}, func(d *Diagram) error { got = d; return nil })
	for i := range ps {
		ps[i].Conv = conv
		ps[i].TCP.SrcState, ps[i].TCP.DstState = states[i][0], states[i][1]
		if err := c.WritePacket(&ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.EndConversation(conv); err != nil {
		t.Fatal(err)
	}
	if got == nil || got.Conv != conv || got.ID != 7 {
		t.Fatalf("EndConversation drew %+v", got)
	}
	// Which lanes change on each packet row: client, server.
	want := []string{"SYN-SENT/SYN-RECEIVED", "ESTABLISHED/", "/ESTABLISHED", "/", "/", "FIN-WAIT-1/CLOSE-WAIT", "FIN-WAIT-2/", "TIME-WAIT/LAST-ACK", "/CLOSED"}
	var rows []string
	for _, r := range got.Rows {
		if r.Kind != RowPacket {
			continue
		}
		var s [2]string
		for l := range 2 {
			if r.Changed[l] {
				s[l] = r.States[l].String()
			}
		}
		rows = append(rows, s[0]+"/"+s[1])
	}
	if strings.Join(rows, " ") != strings.Join(want, " ") {
		t.Errorf("state changes:\n got %v\nwant %v", rows, want)
	}
	var buf bytes.Buffer
	if err := WriteLadder(&buf, got, &Options{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	// Line 0 is the title, 1 the endpoints, 2 the initial states, 3 the SYN.
	if !strings.Contains(lines[2], "CLOSED") || !strings.HasSuffix(lines[2], "LISTEN") {
		t.Errorf("initial states line %q", lines[2])
	}
	if !strings.Contains(lines[3], "SYN-SENT") || !strings.HasSuffix(lines[3], "SYN-RECEIVED") {
		t.Errorf("SYN line %q", lines[3])
	}
	checkLayout(t, buf.String(), 80)
	if c.EndConversation(conv) != nil || len(c.convs) != 0 {
		t.Error("a second EndConversation must do nothing")
	}
}

func TestLadderElided(t *testing.T) {
	segs := []lseg{{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA}}
	for range 1000 {
		segs = append(segs, lseg{from: 'c', flags: fPA, len: 1448, dt: time.Microsecond}, lseg{from: 's', flags: fA})
	}
	segs = append(segs, lseg{from: 'c', flags: fFA}, lseg{from: 's', flags: fFA}, lseg{from: 'c', flags: fA})
	ds := collect(t, packets(decode.ProtoTCP, segs), nil, 10)
	if len(ds) != 1 {
		t.Fatalf("%d diagrams", len(ds))
	}
	d := ds[0]
	want := "SYN> <SYN,ACK ACK> -data transfer- PSH,ACK> <ACK …1996 PSH,ACK> <ACK -teardown- FIN,ACK> <FIN,ACK ACK>"
	if got := shape(d); got != want {
		t.Errorf("rows:\n got %s\nwant %s", got, want)
	}
	var e Elided
	for _, r := range d.Rows {
		if r.Kind == RowElided {
			e = r.Elided
		}
	}
	if e.Data != 998 || e.Bytes != 998*1448 || e.First != 6 || e.Last != 2001 {
		t.Errorf("elided %+v", e)
	}
	if d.Packets != [2]int{1004, 1002} || d.Bytes[0] != 1000*1448 {
		t.Errorf("counts %v %v", d.Packets, d.Bytes)
	}
	if got := e.Text(); got != "… 998 data segments, 1.4 MB, 998 other packets …" {
		t.Errorf("elided text %q", got)
	}
	var buf bytes.Buffer
	if err := WriteLadder(&buf, d, &Options{ASCII: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "... 1,996 packets, 1.4 MB ...") {
		t.Errorf("no elided row:\n%s", buf.String())
	}
	checkLayout(t, buf.String(), 80)
}

func TestElidedText(t *testing.T) {
	tests := []struct {
		e    Elided
		want string
	}{
		{Elided{Packets: 12345, Data: 12345, Bytes: 18_200_000}, "… 12,345 data segments, 18.2 MB …"},
		{Elided{Packets: 1, Data: 1, Bytes: 999}, "… 1 data segment, 999 B …"},
		{Elided{Packets: 3}, "… 3 packets …"},
		{Elided{Packets: 1, Calls: 2}, "… 1 packet, 2 calls …"},
		{Elided{Packets: 2, Data: 1, Bytes: 1_000_000_000_000}, "… 1 data segment, 1.0 TB, 1 other packet …"},
	}
	for _, tt := range tests {
		if got := tt.e.Text(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
}

// TestLadderCalls checks that socket calls sit on their caller's lane:
// connect just above the SYN it sent and its return after the handshake,
// accept after the final ACK, write above its data, close above
// the FIN, the server's listen before the first packet.
func TestLadderCalls(t *testing.T) {
	ms := time.Millisecond
	ps := packets(decode.ProtoTCP, []lseg{
		{from: 'c', flags: fS, dt: 10 * ms}, {from: 's', flags: fSA, dt: ms}, {from: 'c', flags: fA, dt: ms},
		{from: 'c', flags: fPA, len: 17, dt: 10 * ms}, {from: 's', flags: fA, dt: ms},
		{from: 'c', flags: fFA, dt: 10 * ms}, {from: 's', flags: fFA, dt: ms}, {from: 'c', flags: fA, dt: ms},
	})
	at := func(i int, d time.Duration) time.Time { return ps[i].Time.Add(d) }
	listen := netip.AddrPortFrom(netip.IPv4Unspecified(), testServer.Port())
	calls := []Call{
		{Time: testStart, Proto: decode.ProtoTCP, Local: listen, Side: "server", Name: "listen", Args: "fd 3, 5", Result: "0"},
		{Time: at(2, 50*time.Microsecond), Proto: decode.ProtoTCP, Local: testClient, Peer: testServer, Side: "client", Name: "connect", Args: "fd 3, 127.0.0.1:18080", Result: "0"},
		{Time: at(2, 80*time.Microsecond), Proto: decode.ProtoTCP, Local: testServer, Peer: testClient, Side: "server", Name: "accept", Args: "fd 3", Result: "fd 4"},
		{Time: at(3, 20*time.Microsecond), Proto: decode.ProtoTCP, Local: testClient, Peer: testServer, Side: "client", Name: "write", Args: "fd 3, \"Hello\\x1b[2J\", 17", Result: "17"},
		{Time: at(5, 30*time.Microsecond), Proto: decode.ProtoTCP, Local: testClient, Peer: testServer, Side: "client", Name: "close", Args: "fd 3", Result: "0"},
		// The listening socket's close sends no FIN: it stays below.
		{Time: at(7, time.Microsecond), Proto: decode.ProtoTCP, Local: listen, Side: "server", Name: "close", Args: "fd 3", Result: "0"},
		// Another conversation's call stays out.
		{Time: at(3, 0), Proto: decode.ProtoTCP, Local: netip.MustParseAddrPort("127.0.0.1:40001"), Peer: testServer, Name: "write"},
	}
	ds := collect(t, ps, calls, 0)
	want := "call1:listen call0:connect… SYN> <SYN,ACK ACK> call0:connect→ call1:accept -data transfer- call0:write PSH,ACK> <ACK -teardown- call0:close FIN,ACK> <FIN,ACK ACK> call1:close"
	if got := shape(ds[0]); got != want {
		t.Errorf("rows:\n got %s\nwant %s", got, want)
	}
	if r := ds[0].Rows[0]; r.Offset != -10*ms {
		t.Errorf("listen offset %v, want -10ms", r.Offset)
	}
	var buf bytes.Buffer
	if err := WriteLadder(&buf, ds[0], &Options{Width: 100}); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	if strings.Contains(text, "\x1b") {
		t.Errorf("escape sequence from a call reached the ladder:\n%q", text)
	}
	if !strings.Contains(text, "│● connect(fd 3, 127.0.0.1:18080) …") || !strings.Contains(text, "│● connect() → 0") || !strings.Contains(text, "accept(fd 3) → fd 4 ●│") {
		t.Errorf("calls not on their lanes:\n%s", text)
	}
	checkLayout(t, text, 100)
}

func TestLadderColor(t *testing.T) {
	ds := collect(t, packets(decode.ProtoTCP, []lseg{{from: 'c', flags: fS}, {from: 's', flags: fRA}}), nil, 0)
	var plain, colour bytes.Buffer
	if err := WriteLadder(&plain, ds[0], &Options{}); err != nil {
		t.Fatal(err)
	}
	if err := WriteLadder(&colour, ds[0], &Options{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b") {
		t.Error("colour without Options.Color")
	}
	c := colour.String()
	if !strings.Contains(c, colorToServer+"─ SYN") || !strings.Contains(c, colorRST+"◀") {
		t.Errorf("no direction or RST colour:\n%q", c)
	}
	if stripANSI(c) != plain.String() {
		t.Errorf("colour changes the text:\n%s\n%s", stripANSI(c), plain.String())
	}
}

var ansiRE = regexp.MustCompile("\x1b\\[[0-9;]*m")

func stripANSI(s string) string { return ansiRE.ReplaceAllString(s, "") }

// checkLayout checks a text ladder: no line wider than width, and on every
// line that has them the two lane lines in the same columns as on the
// initial state line, with an arrow or a call, separator or gap between
// them that fills the space exactly.
func checkLayout(t *testing.T, text string, width int) {
	t.Helper()
	if err := layoutError(text, width); err != "" {
		t.Errorf("%s in:\n%s", err, text)
	}
}

var arrowRE = regexp.MustCompile(`^(` +
	`[─-] .* [─-]+[▶>]|[◀<][─-]+ .* [─-]` + // arrows
	`)$`)

// layoutError returns what is wrong with a text ladder's layout, or "".
func layoutError(text string, width int) string {
	text = stripANSI(text)
	left, right := -1, -1
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if w := runewidth.StringWidth(line); w > width {
			return "line " + strconv.Itoa(i+1) + " is " + strconv.Itoa(w) + " columns wide, more than " + strconv.Itoa(width)
		}
		if i < 2 || line == "" {
			continue
		}
		// Find the lane lines by display column.
		var cols []int
		var runes []rune
		col := 0
		for _, r := range line {
			if strings.ContainsRune("│|┆:", r) {
				cols = append(cols, col)
			}
			runes = append(runes, r)
			col += runewidth.RuneWidth(r)
		}
		if left < 0 {
			if len(cols) < 2 {
				return "line " + strconv.Itoa(i+1) + " has no lanes"
			}
			left, right = cols[0], cols[len(cols)-1]
		}
		// The text between the lanes, by columns.
		between, prefix, c := "", "", 0
		lanesSeen := 0
		for _, r := range runes {
			if c < left {
				prefix += string(r)
			}
			if c == left || c == right {
				if !strings.ContainsRune("│|┆:", r) {
					return "line " + strconv.Itoa(i+1) + ": no lane line at column " + strconv.Itoa(c)
				}
				lanesSeen++
			} else if c > left && c < right {
				between += string(r)
			}
			c += runewidth.RuneWidth(r)
		}
		if lanesSeen != 2 {
			return "line " + strconv.Itoa(i+1) + ": lanes out of place"
		}
		if runewidth.StringWidth(between) != right-left-1 {
			return "line " + strconv.Itoa(i+1) + ": space between lanes is not filled"
		}
		f := strings.Fields(prefix)
		isPacket := len(f) >= 2 && strings.Trim(f[0], "0123456789") == ""
		if isPacket && !arrowRE.MatchString(between) {
			return "line " + strconv.Itoa(i+1) + ": broken arrow " + strconv.Quote(between)
		}
	}
	return ""
}

// TestLadderPortReuse runs a connection, then a new SYN from the same port
// after it closed, through a Tracker whose OnEnd ends the diagrams, as
// tcpshow replay wires them: two diagrams, the first drawn as soon as the
// new connection replaces it.
func TestLadderPortReuse(t *testing.T) {
	one := []lseg{
		{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA},
		{from: 'c', flags: fFA}, {from: 's', flags: fFA}, {from: 'c', flags: fA},
	}
	segs := append(append([]lseg{}, one...), lseg{from: 'c', flags: fS, dt: time.Second})
	segs = append(segs, one[1:]...)
	ps := packets(decode.ProtoTCP, segs)
	var ds []*Diagram
	drawnAt := map[int]int{} // diagram ID → packets written when drawn
	written := 0
	c := NewCollector(CollectorOptions{}, func(d *Diagram) error {
		ds = append(ds, d)
		drawnAt[d.ID] = written
		return nil
	})
	var endErr error
	trk := decode.NewTrackerWith(decode.TrackerOptions{OnEnd: func(conv *decode.Conversation) {
		if err := c.EndConversation(conv); err != nil {
			endErr = err
		}
	}})
	for i := range ps {
		trk.Track(&ps[i])
		if err := c.WritePacket(&ps[i]); err != nil {
			t.Fatal(err)
		}
		written++
	}
	trk.Close()
	if err := c.Close(); err != nil || endErr != nil {
		t.Fatal(err, endErr)
	}
	if len(ds) != 2 {
		t.Fatalf("%d diagrams, want 2", len(ds))
	}
	want := "SYN> <SYN,ACK ACK> -teardown- FIN,ACK> <FIN,ACK ACK>"
	for i, d := range ds {
		if d.ID != i+1 || shape(d) != want {
			t.Errorf("diagram %d: ID %d, rows %s; want ID %d, %s", i, d.ID, shape(d), i+1, want)
		}
		if d.Lanes[0].Initial != decode.StateClosed || d.Lanes[1].Initial != decode.StateListen {
			t.Errorf("diagram %d starts %v %v, want CLOSED LISTEN", d.ID, d.Lanes[0].Initial, d.Lanes[1].Initial)
		}
		if d.Conv == nil || d.Conv.ID != d.ID {
			t.Errorf("diagram %d: conversation %v", d.ID, d.Conv)
		}
	}
	if drawnAt[1] > 7 {
		t.Errorf("first diagram drawn after %d packets, want it drawn when the new SYN (packet 7) replaced it", drawnAt[1])
	}
	if ds[1].Rows[0].Arrow.Packet.N != 7 || ds[1].Rows[0].Offset != 0 {
		t.Errorf("second diagram starts at packet %d, offset %v", ds[1].Rows[0].Arrow.Packet.N, ds[1].Rows[0].Offset)
	}
}

// TestLadderRefusedCall checks that a refused connect shows its failure
// beside the RST that caused it.
func TestLadderRefusedCall(t *testing.T) {
	ps := packets(decode.ProtoTCP, []lseg{{from: 'c', flags: fS}, {from: 's', flags: fRA, dt: time.Millisecond}})
	calls := []Call{
		{Time: testStart.Add(-time.Millisecond), Proto: decode.ProtoTCP, Local: testClient, Peer: testServer, Side: "client", Name: "socket", Args: "AF_INET, SOCK_STREAM, 0", Result: "fd 3"},
		{Time: ps[1].Time.Add(20 * time.Microsecond), Proto: decode.ProtoTCP, Local: testClient, Peer: testServer, Side: "client", Name: "connect", Args: "fd 3, 127.0.0.1:18080", Result: "-1 ECONNREFUSED"},
	}
	ds := collect(t, ps, calls, 0)
	if got, want := shape(ds[0]), "call0:socket call0:connect… SYN> <RST,ACK call0:connect→"; got != want {
		t.Errorf("rows:\n got %s\nwant %s", got, want)
	}
	var buf bytes.Buffer
	if err := WriteLadder(&buf, ds[0], &Options{ASCII: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if !strings.Contains(lines[len(lines)-4], "RST,ACK") || !strings.Contains(lines[len(lines)-3], "* connect() -> -1 ECONNREFUSED") {
		t.Errorf("ECONNREFUSED not beside the RST:\n%s", buf.String())
	}
	checkLayout(t, buf.String(), 80)
}

// TestLadderLongEndpoints checks that long IPv6 headings are cut to fit
// rather than pushing a line past the width.
func TestLadderLongEndpoints(t *testing.T) {
	client := netip.MustParseAddrPort("[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535")
	server := netip.MustParseAddrPort("[2001:db8:1111:2222:3333:4444:5555:6666]:443")
	ps := packets(decode.ProtoTCP, []lseg{{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA}})
	for i := range ps {
		if ps[i].Src == testClient {
			ps[i].Src, ps[i].Dst = client, server
		} else {
			ps[i].Src, ps[i].Dst = server, client
		}
		ps[i].IP.Version = 6
	}
	ds := collect(t, ps, nil, 0)
	for _, w := range []int{80, 100, 200} {
		var buf bytes.Buffer
		if err := WriteLadder(&buf, ds[0], &Options{Width: w}); err != nil {
			t.Fatal(err)
		}
		checkLayout(t, buf.String(), w)
		header := strings.Split(buf.String(), "\n")[1]
		if w == 200 && (!strings.Contains(header, client.String()) || !strings.Contains(header, server.String())) {
			t.Errorf("width %d: headings cut although they fit: %q", w, header)
		}
		if !strings.Contains(header, "[2001:db8:") || strings.Count(header, "[2001:db8:") != 2 {
			t.Errorf("width %d: a heading is missing: %q", w, header)
		}
	}
}

// TestCollectorSteadyStateAllocs checks that a conversation longer than
// MaxRows costs no memory per packet once its ring of latest rows is full.
func TestCollectorSteadyStateAllocs(t *testing.T) {
	segs := []lseg{{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA}}
	for range 100 {
		segs = append(segs, lseg{from: 'c', flags: fPA, len: 100}, lseg{from: 's', flags: fA})
	}
	ps := packets(decode.ProtoTCP, segs)
	trk := decode.NewTracker()
	for i := range ps {
		trk.Track(&ps[i])
		ps[i].Payload = make([]byte, ps[i].Len)
	}
	c := NewCollector(CollectorOptions{MaxRows: 20}, func(*Diagram) error { return nil })
	for i := range ps[:50] {
		if err := c.WritePacket(&ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	i := 50
	allocs := testing.AllocsPerRun(100, func() {
		if err := c.WritePacket(&ps[i]); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet past MaxRows, want 0", allocs)
	}
	b := c.convs[1]
	if len(b.head)+b.tailLen != 20 || b.elided.Packets != 203-20-(203-i) {
		t.Errorf("holding %d rows with %d elided after %d packets", len(b.head)+b.tailLen, b.elided.Packets, i)
	}
}

// TestLadderSynReceived checks, with the states a Tracker infers, that the
// server is SYN-RECEIVED from the SYN it answered, as RFC 9293 draws it,
// and not from a SYN it never answered.
func TestLadderSynReceived(t *testing.T) {
	tests := []struct {
		name string
		segs []lseg
		want []string // the server's state after each packet
	}{
		{"handshake", []lseg{{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA}},
			[]string{"SYN-RECEIVED", "SYN-RECEIVED", "ESTABLISHED"}},
		{"retransmitted SYN", []lseg{{from: 'c', flags: fS}, {from: 'c', flags: fS, retx: true, dt: time.Second}, {from: 's', flags: fSA}, {from: 'c', flags: fA}},
			[]string{"LISTEN", "SYN-RECEIVED", "SYN-RECEIVED", "ESTABLISHED"}},
		{"refused", []lseg{{from: 'c', flags: fS}, {from: 's', flags: fRA}},
			[]string{"CLOSED", "CLOSED"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := collect(t, packets(decode.ProtoTCP, tt.segs), nil, 0)
			var got []string
			for _, r := range ds[0].Rows {
				if r.Kind == RowPacket {
					got = append(got, r.States[1].String())
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("server states %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLadderRowsOwnTheirBytes holds a conversation's packets in a
// Collector and scribbles over the frame memory they came from before the
// conversation is drawn, as a capture reader reuses its buffers: the rows
// must still hold the payload and the IPv4 and TCP option bytes the
// packets had (the HTML page's header tables show them).
func TestLadderRowsOwnTheirBytes(t *testing.T) {
	ps := packets(decode.ProtoTCP, []lseg{{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fPA, len: 5}})
	frame := make([]byte, 0, 64)
	frame = append(frame, 0x94, 0x04, 0, 0)                    // IPv4 router alert option
	frame = append(frame, 99, 6, 0xde, 0xad, 0xbe, 0xef, 1, 1) // TCP option kind 99 and two NOPs
	frame = append(frame, "hello"...)
	p := &ps[2]
	p.IP.Options = frame[0:4]
	p.TCP.Options.Raw = frame[4:12]
	p.TCP.Options.N = 1
	p.TCP.Options.List[0] = decode.Option{Kind: 99, Len: 6, Off: 0}
	p.Payload = frame[12:17]
	want := HeaderRows(p)
	var ds []*Diagram
	c := NewCollector(CollectorOptions{}, func(d *Diagram) error {
		ds = append(ds, d)
		return nil
	})
	trk := decode.NewTracker()
	for i := range ps {
		trk.Track(&ps[i])
		if err := c.WritePacket(&ps[i]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range frame {
		frame[i] = 0xff // the reader reuses the frame's memory
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 {
		t.Fatalf("%d diagrams, want 1", len(ds))
	}
	var row *Row
	for i := range ds[0].Rows {
		if r := &ds[0].Rows[i]; r.Kind == RowPacket && r.Arrow.Packet.Len == 5 {
			row = r
		}
	}
	if row == nil {
		t.Fatal("no row for the data segment")
	}
	got := HeaderRows(&row.Arrow.Packet)
	if fmtRows(got) != fmtRows(want) {
		t.Errorf("the held row's header table changed with the frame's memory:\n%s\nwant\n%s", fmtRows(got), fmtRows(want))
	}
}

func fmtRows(rows [][]string) string {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, " | ") + "\n")
	}
	return b.String()
}
