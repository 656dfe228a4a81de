package render

import (
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tcpshow/tcpshow/capture"
	"github.com/tcpshow/tcpshow/decode"
)

// explainFile returns the notes of every packet of a capture, by frame.
func explainFile(t *testing.T, path string) map[int][]Note {
	t.Helper()
	src, err := capture.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	s := decode.NewStream(src, decode.NewTracker())
	ex := NewExplainer()
	got := make(map[int][]Note)
	for {
		p, err := s.Next()
		if err == io.EOF {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		if notes := ex.Notes(nil, p); len(notes) > 0 {
			got[p.N] = notes
		}
	}
}

// TestExplainAnalysis checks the notes on retransmissions and zero
// windows in the captures recorded for them: on the first packet the
// tracker marks, with the gap measured in the capture.
func TestExplainAnalysis(t *testing.T) {
	for _, tt := range []struct {
		capture string
		topic   Topic
		mark    decode.Analysis
		says    string
	}{
		{"synretrans.pcap", TopicRetransmit, decode.Retransmission, "This SYN repeats the one sent 1025.493 ms earlier"},
		{"zerowindow.pcap", TopicZeroWindow, decode.ZeroWindow, "win 0: the server's receive buffer is full"},
		{"zerowindow.pcap", TopicKeepAlive, decode.KeepAlive, "seq 2048 is one below the next byte: the server's window is 0"},
		{"lossy.pcap", TopicGap, decode.LostSegment, "seq 201 starts beyond the last byte seen from the client"},
		{"lossy.pcap", TopicDupAck, decode.DupAck, "ack 101 again (duplicate ACK #1)"},
		{"lossy.pcap", TopicRetransmit, decode.FastRetransmission, "seq 101:201 was sent before: the receiver's duplicate ACKs"},
		{"lossy.pcap", TopicOutOfOrder, decode.OutOfOrder, "seq 501:601 comes after data further on"},
		{"lossy.pcap", TopicSpurious, decode.SpuriousRetransmission, "seq 601:701 had already been acknowledged"},
		{"lossy.pcap", TopicKeepAlive, decode.KeepAlive, "A keep-alive: an empty segment whose seq 800"},
	} {
		path := "../testdata/" + tt.capture
		if _, err := os.Stat(path); err != nil {
			t.Skip(err)
		}
		notes := explainFile(t, path)
		src, _ := capture.Open(path)
		s := decode.NewStream(src, decode.NewTracker())
		first := 0
		for {
			p, err := s.Next()
			if err != nil {
				break
			}
			if p.Proto == decode.ProtoTCP && p.TCP.Analysis.Has(tt.mark) && first == 0 {
				first = p.N
			}
		}
		src.Close()
		var found *Note
		for f, ns := range notes {
			for i := range ns {
				if ns[i].Topic == tt.topic && (found == nil || f < found.Frame) {
					found = &ns[i]
				}
			}
		}
		if found == nil || found.Frame != first || !strings.Contains(found.Text, tt.says) {
			t.Errorf("%s: note %+v, want one on frame %d saying %q", tt.capture, found, first, tt.says)
		}
	}
}

// TestExplain checks which notes each capture gets, on which packet, and
// that the numbers in them are the packets' own.
func TestExplain(t *testing.T) {
	type frameNotes struct {
		frame  int
		topics []Topic
		says   []string // substrings of the notes, numbers taken from the packets
	}
	tests := []struct {
		capture string
		want    []frameNotes
	}{
		{"handshake.pcap", []frameNotes{
			{1, []Topic{TopicRelative, TopicMSS, TopicChecksum}, []string{"raw 1975992793", "MSS 65495", "65535 bytes − 20 (IPv4 header) − 20", "0xfe30"}},
			{2, []Topic{TopicSynAck}, []string{"ack 1975992794 (relative 1) is the client's ISN 1975992793 + 1"}},
			{3, []Topic{TopicWindowScale}, []string{"64 × 2^10 = 64 × 1024 = 65536"}},
			{4, []Topic{TopicSeqRange}, []string{"seq 1:18", "17 bytes numbered 1 to 17", "ack 18"}},
			{9, []Topic{TopicFinAck}, []string{"ack 19 = the server's FIN at seq 18 + 1"}},
			{10, []Topic{TopicTimeWait}, []string{"The server is now in TIME-WAIT because it closed first", "The client, which closed second, goes to CLOSED"}},
		}},
		{"ipv6.pcap", []frameNotes{
			{1, []Topic{TopicRelative, TopicMSS, TopicChecksum}, []string{"MSS 65476", "65536 bytes − 40 (IPv6 header) − 20", "loopback device's MTU"}},
			{2, []Topic{TopicSynAck}, nil},
			{3, []Topic{TopicWindowScale}, nil},
			{4, []Topic{TopicSeqRange}, nil},
			{9, []Topic{TopicFinAck}, nil},
			{10, []Topic{TopicTimeWait}, nil},
		}},
		{"refused.pcap", []frameNotes{
			{1, []Topic{TopicRelative, TopicMSS, TopicChecksum}, nil},
			{2, []Topic{TopicRefused}, []string{"port 18081", "ECONNREFUSED"}},
		}},
		{"udp.pcap", []frameNotes{
			{1, []Topic{TopicUDP, TopicChecksum}, []string{"one send of 17 bytes"}},
		}},
		{"halfclose.pcap", []frameNotes{
			{1, []Topic{TopicRelative, TopicMSS, TopicChecksum}, nil},
			{2, []Topic{TopicSynAck}, nil},
			{3, []Topic{TopicWindowScale}, nil},
			{4, []Topic{TopicSeqRange}, nil},
			{7, []Topic{TopicHalfClose, TopicFinAck}, []string{"server still sends data after the client's FIN", "ack 19 = the client's FIN at seq 18 + 1"}},
			{9, []Topic{TopicTimeWait}, []string{"The client is now in TIME-WAIT because it closed first"}},
		}},
		{"simopen.pcap", []frameNotes{
			{1, []Topic{TopicRelative, TopicMSS}, nil},
			{2, []Topic{TopicSimOpen}, []string{"simultaneous open", "no timer expired"}},
			{3, []Topic{TopicSynAck}, []string{"ack 5000001 (relative 1) is the server's ISN 5000000 + 1"}},
			{5, []Topic{TopicWindowScale, TopicSeqRange}, nil},
			{8, []Topic{TopicFinAck, TopicTimeWait}, nil},
		}},
		{"simclose.pcap", []frameNotes{
			{1, []Topic{TopicRelative, TopicMSS}, nil},
			{2, []Topic{TopicSynAck}, nil},
			{3, []Topic{TopicWindowScale}, nil},
			{4, []Topic{TopicSeqRange}, nil},
			{9, []Topic{TopicFinAck, TopicTimeWait}, []string{"simultaneous close", "through CLOSING to TIME-WAIT"}},
		}},
		{"midstream.pcap", []frameNotes{
			{1, []Topic{TopicRelative, TopicChecksum, TopicSeqRange}, []string{"mid-connection", "relative 1 = raw 1975992794"}},
			{6, []Topic{TopicFinAck}, nil},
			{7, []Topic{TopicTimeWait}, nil},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.capture, func(t *testing.T) {
			if _, err := os.Stat("../testdata/" + tt.capture); err != nil {
				t.Skip(err)
			}
			got := explainFile(t, "../testdata/"+tt.capture)
			frames := map[int]bool{}
			for _, w := range tt.want {
				frames[w.frame] = true
				var topics []Topic
				var text strings.Builder
				for _, n := range got[w.frame] {
					topics = append(topics, n.Topic)
					text.WriteString(n.Text + "\n")
					if n.Frame != w.frame {
						t.Errorf("frame %d: note says frame %d", w.frame, n.Frame)
					}
				}
				if !reflect.DeepEqual(topics, w.topics) {
					t.Errorf("frame %d: topics %v, want %v", w.frame, topics, w.topics)
				}
				for _, s := range w.says {
					if !strings.Contains(text.String(), s) {
						t.Errorf("frame %d: notes do not say %q:\n%s", w.frame, s, text.String())
					}
				}
			}
			for f, notes := range got {
				if !frames[f] {
					t.Errorf("frame %d: unexpected notes %+v", f, notes)
				}
			}
		})
	}
}
