package render

import (
	"bytes"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/decode"
)

// fuzzFlags are the flag sets a fuzzed packet picks from.
var fuzzFlags = [...]decode.Flags{
	decode.SYN, decode.SYN | decode.ACK, decode.ACK, decode.PSH | decode.ACK,
	decode.FIN | decode.ACK, decode.RST, decode.RST | decode.ACK, 0,
	decode.FIN | decode.SYN | decode.RST | decode.PSH | decode.ACK | decode.URG | decode.ECE | decode.CWR | decode.NS,
}

var fuzzCalls = [...]string{"connect", "accept", "write", "read", "close", "shutdown", "listen", "sendto"}

// FuzzLadder draws random packet and call sequences at random widths: it
// must never panic, and every line must stay within the width with its
// arrow whole from lane to lane (see layoutError).
func FuzzLadder(f *testing.F) {
	// A handshake with data and teardown: SYN, SYN-ACK, ACK, data, FIN.
	f.Add([]byte{0x00, 0, 1, 0x03, 0, 1, 0x04, 0, 1, 0x06, 17, 1, 0x08, 0, 3}, uint8(0), uint8(4))
	// Refused at a wide terminal, in colour, with a connect call.
	f.Add([]byte{0x80, 0, 0, 0x00, 0, 1, 0x0d, 0, 2}, uint8(120), uint8(3))
	// A long UDP exchange at the narrowest width, ASCII, few rows held.
	f.Add(bytes.Repeat([]byte{0x41, 200, 1, 0x40, 3, 0}, 40), uint8(0), uint8(0x0e))
	// Many flags, huge lengths, a second conversation, calls with escapes.
	f.Add([]byte{0x10, 255, 255, 0x91, 0x1b, 0x9b, 0xa2, 0xff, 0, 0x13, 7, 200}, uint8(3), uint8(0xff))
	f.Fuzz(func(t *testing.T, data []byte, extra, mode uint8) {
		o := Options{Width: 80 + int(extra), ASCII: mode&1 != 0, Color: mode&2 != 0, Raw: mode&16 != 0}
		o.MaxRows = 2 + int(mode>>2)%16
		var out bytes.Buffer
		var diagrams []*Diagram
		c := NewCollector(CollectorOptions{MaxRows: o.MaxRows}, func(d *Diagram) error {
			diagrams = append(diagrams, d)
			return WriteLadder(&out, d, &o)
		})
		trk := decode.NewTracker()
		now := testStart
		for i := 0; i+3 <= len(data) && i < 3*2000; i += 3 {
			b0, b1, b2 := data[i], data[i+1], data[i+2]
			now = now.Add(time.Duration(b2) * 97 * time.Microsecond)
			client := netip.AddrPortFrom(testClient.Addr(), testClient.Port()+uint16(b0>>4&1))
			src, dst := client, testServer
			if b0&1 != 0 {
				src, dst = dst, src
			}
			if b0&0x80 != 0 {
				// A socket call with arbitrary text.
				text := string(data[i : i+3])
				call := Call{Time: now, Proto: decode.ProtoTCP, Local: src, Peer: dst,
					Name: fuzzCalls[int(b1)%len(fuzzCalls)], Args: text, Result: text + text}
				if b1&0x80 != 0 {
					call.Peer = netip.AddrPort{}
				}
				if err := c.WriteCall(call); err != nil {
					t.Fatal(err)
				}
				continue
			}
			p := decode.Packet{N: i/3 + 1, Time: now, Proto: decode.ProtoTCP, Src: src, Dst: dst, Len: int(b1) * int(b1)}
			p.IP.Version = 4
			if b0&0x40 != 0 {
				p.Proto = decode.ProtoUDP
				p.Dst = netip.AddrPortFrom(dst.Addr(), dst.Port()+1)
			} else {
				p.TCP = decode.TCP{Seq: uint32(b2) << 24, Ack: uint32(b1) << 20, Flags: fuzzFlags[int(b0>>1&7)%len(fuzzFlags)], Window: uint16(b1) << 8, DataOffset: 5}
				if b0&0x20 != 0 {
					p.TCP.Flags = fuzzFlags[8]
					p.TCP.Analysis = decode.Analysis(b1)<<8 | decode.Analysis(b2)
					p.TCP.DupAckCount = int(b2)
					p.Truncated, p.Malformed = true, true
				}
				p.TCP.Options.Set = decode.OptionSet(b2)
				p.TCP.Options.MSS, p.TCP.Options.WScale = uint16(b1)*257, b2
				p.TCP.SrcState, p.TCP.DstState = decode.State(b1%13), decode.State(b2%13)
			}
			trk.Track(&p)
			if err := c.WritePacket(&p); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := layoutErrors(out.String(), o.width()); err != "" {
			t.Fatalf("%s in:\n%s", err, out.String())
		}
		if o.ASCII {
			for i, c := range []byte(out.String()) {
				if c >= 0x80 {
					t.Fatalf("byte %#x at %d of an ASCII ladder:\n%s", c, i, out.String())
				}
			}
		}
		for _, d := range diagrams {
			packets := 0
			for _, r := range d.Rows {
				if r.Kind == RowPacket {
					packets++
				}
			}
			if packets > o.MaxRows {
				t.Fatalf("%d packet rows held, more than MaxRows %d", packets, o.MaxRows)
			}
		}
	})
}

// layoutErrors checks each diagram of a text with several.
func layoutErrors(text string, width int) string {
	for _, d := range bytes.Split([]byte(text), []byte("\n\n")) {
		if len(bytes.TrimSpace(d)) == 0 {
			continue
		}
		if err := layoutError(string(d)+"\n", width); err != "" {
			return err
		}
	}
	return ""
}

// BenchmarkLadder collects and draws one long conversation (a handshake,
// 10,000 data segments with their ACKs, a teardown) per iteration, with the
// default row limit, to io.Discard.
func BenchmarkLadder(b *testing.B) {
	segs := []lseg{{from: 'c', flags: fS}, {from: 's', flags: fSA}, {from: 'c', flags: fA}}
	for range 10000 {
		segs = append(segs, lseg{from: 'c', flags: fPA, len: 1448, dt: 10 * time.Microsecond}, lseg{from: 's', flags: fA, dt: time.Microsecond})
	}
	segs = append(segs, lseg{from: 'c', flags: fFA}, lseg{from: 's', flags: fFA}, lseg{from: 'c', flags: fA})
	ps := packets(decode.ProtoTCP, segs)
	trk := decode.NewTracker()
	for i := range ps {
		trk.Track(&ps[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		l := NewLadder(io.Discard, Options{})
		for i := range ps {
			if err := l.WritePacket(&ps[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/packet")
}
