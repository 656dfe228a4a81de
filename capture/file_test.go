package capture

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// readAll reads every frame of a capture file and returns copies of them.
func readAll(t *testing.T, src Source) ([]Frame, error) {
	t.Helper()
	var frames []Frame
	for {
		f, err := src.Next()
		if err == io.EOF {
			return frames, nil
		}
		if err != nil {
			return frames, err
		}
		f.Data = append([]byte(nil), f.Data...)
		frames = append(frames, f)
	}
}

func TestOpenFormats(t *testing.T) {
	tests := []struct {
		file   string
		format Format
		frames int
		links  []layers.LinkType // link type of each frame, or of all if one
		nano   bool
		first  time.Time
	}{
		{"handshake.pcap", FormatPcap, 11, []layers.LinkType{layers.LinkTypeEthernet}, false, time.Date(2026, 11, 21, 14, 8, 35, 384895000, time.UTC)},
		{"bigendian-ns.pcap", FormatPcap, 10, []layers.LinkType{layers.LinkTypeEthernet}, true, time.Time{}},
		{"null.pcap", FormatPcap, 11, []layers.LinkType{layers.LinkTypeNull}, false, time.Time{}},
		{"loop-ipv6.pcap", FormatPcap, 11, []layers.LinkType{layers.LinkTypeLoop}, false, time.Time{}},
		{"rawip.pcap", FormatPcap, 6, []layers.LinkType{layers.LinkTypeRaw}, false, time.Time{}},
		{"any-sll2.pcapng", FormatPcapNG, 11, []layers.LinkType{layers.LinkTypeLinuxSLL2}, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := Open(filepath.Join("..", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			frames, err := readAll(t, src)
			if err != nil {
				t.Fatal(err)
			}
			if src.Format() != tt.format || len(frames) != tt.frames || src.Records() != tt.frames {
				t.Fatalf("format %v, %d frames (%d records), want %v, %d", src.Format(), len(frames), src.Records(), tt.format, tt.frames)
			}
			for i, f := range frames {
				if f.LinkType != tt.links[0] || f.Nano != tt.nano || f.OrigLen < len(f.Data) || len(f.Data) == 0 {
					t.Errorf("frame %d: link %d nano %v orig %d len %d", i+1, f.LinkType, f.Nano, f.OrigLen, len(f.Data))
				}
			}
			if !tt.first.IsZero() && !frames[0].Time.Equal(tt.first) {
				t.Errorf("first frame at %v, want %v", frames[0].Time, tt.first)
			}
		})
	}
}

// TestPcapNGMixedLinkTypes reads a pcapng file with an Ethernet and a raw-IP
// interface: each frame must carry its own interface's link type.
func TestPcapNGMixedLinkTypes(t *testing.T) {
	src, err := Open("../testdata/multi-link.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	frames, err := readAll(t, src)
	if err != nil {
		t.Fatal(err)
	}
	count := map[layers.LinkType]int{}
	for _, f := range frames {
		count[f.LinkType]++
		if f.LinkType == layers.LinkTypeRaw && f.Interface != 1 {
			t.Errorf("raw frame on interface %d", f.Interface)
		}
	}
	if count[layers.LinkTypeEthernet] != 11 || count[layers.LinkTypeRaw] != 6 {
		t.Errorf("link types %v, want 11 Ethernet and 6 raw", count)
	}
	if ifs := src.Interfaces(); len(ifs) != 2 || ifs[0].LinkType != layers.LinkTypeEthernet || ifs[1].LinkType != layers.LinkTypeRaw {
		t.Errorf("interfaces %+v", ifs)
	}
}

// TestSameFramesAcrossFormats reads one capture as pcap, big-endian
// nanosecond pcap and gzip: the frames must be the same.
func TestSameFramesAcrossFormats(t *testing.T) {
	read := func(name string, r io.Reader) []Frame {
		src, err := NewFile(r, name, nil)
		if err != nil {
			t.Fatal(err)
		}
		frames, err := readAll(t, src)
		if err != nil {
			t.Fatal(err)
		}
		return frames
	}
	raw, err := os.ReadFile("../testdata/halfclose.pcap")
	if err != nil {
		t.Fatal(err)
	}
	be, err := os.ReadFile("../testdata/bigendian-ns.pcap")
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	want := read("halfclose.pcap", bytes.NewReader(raw))
	for name, r := range map[string]io.Reader{"bigendian-ns.pcap": bytes.NewReader(be), "halfclose.pcap.gz": &gz} {
		got := read(name, r)
		if len(got) != len(want) {
			t.Fatalf("%s: %d frames, want %d", name, len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i].Data, want[i].Data) || !got[i].Time.Equal(want[i].Time) || got[i].OrigLen != want[i].OrigLen {
				t.Errorf("%s: frame %d differs", name, i+1)
			}
		}
	}
}

func TestDamagedFiles(t *testing.T) {
	good, err := os.ReadFile("../testdata/handshake.pcap")
	if err != nil {
		t.Fatal(err)
	}
	goodNG, err := os.ReadFile("../testdata/any-sll2.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		data      []byte
		openErr   string // substring of the error from NewFile, if it fails
		frames    int    // complete frames before the error
		nextErr   string // substring of the error from Next
		truncated bool
	}{
		{name: "empty", data: nil, openErr: "empty file"},
		{name: "text", data: []byte("hello, this is not a capture\n"), openErr: "not a pcap or pcapng capture"},
		{name: "three bytes", data: good[:3], openErr: "too short"},
		{name: "header cut", data: good[:20], openErr: "file header cut short"},
		{name: "header only", data: good[:24], frames: 0},
		{name: "cut inside a record header", data: good[:24+16+74+8], frames: 1, nextErr: "cut short", truncated: true},
		{name: "cut inside record data", data: good[:24+16+30], frames: 0, nextErr: "cut short", truncated: true},
		{name: "cut after record header", data: good[:24+16], frames: 0, nextErr: "cut short", truncated: true},
		{name: "absurd record length", data: func() []byte {
			b := append([]byte{}, good...)
			copy(b[24+8:], []byte{0xff, 0xff, 0xff, 0x7f}) // caplen 2 GiB
			return b
		}(), frames: 0, nextErr: "record 1"},
		{name: "pcapng cut mid block", data: goodNG[:len(goodNG)-50], frames: 10, nextErr: "record 11"},
		{name: "pcapng cut inside the section header", data: goodNG[:28], openErr: "file header cut short"},
		{name: "pcapng with an unknown block", data: withBlock(goodNG, 0x0bad, 0), frames: 11},
		{name: "pcapng with a block of impossible length", data: withBlock(goodNG, 0x0bad, 0x7ffffff0), frames: 0, nextErr: "record 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewFile(bytes.NewReader(tt.data), "x.pcap", nil)
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) || !strings.HasPrefix(err.Error(), "x.pcap: ") {
					t.Fatalf("NewFile error %v, want one naming x.pcap and saying %q", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			frames, err := readAll(t, src)
			if len(frames) != tt.frames {
				t.Errorf("%d frames before the damage, want %d", len(frames), tt.frames)
			}
			if tt.nextErr == "" {
				if err != nil {
					t.Errorf("error %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.nextErr) || !strings.HasPrefix(err.Error(), "x.pcap: ") {
				t.Fatalf("error %v, want one naming x.pcap and saying %q", err, tt.nextErr)
			}
			if tt.truncated && !errors.Is(err, ErrTruncated) {
				t.Errorf("error %v does not wrap ErrTruncated", err)
			}
		})
	}
}

// withBlock inserts a pcapng block of the given type after the section
// header of ng. A nonzero length overrides the block's true length of 12.
func withBlock(ng []byte, typ, length uint32) []byte {
	shb := int(binary.LittleEndian.Uint32(ng[4:8]))
	block := make([]byte, 12)
	binary.LittleEndian.PutUint32(block[0:], typ)
	if length == 0 {
		length = 12
	}
	binary.LittleEndian.PutUint32(block[4:], length)
	binary.LittleEndian.PutUint32(block[8:], length)
	out := append([]byte{}, ng[:shb]...)
	out = append(out, block...)
	return append(out, ng[shb:]...)
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "missing.pcap")); err == nil || !strings.Contains(err.Error(), "missing.pcap: no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
}

func TestLowerFirst(t *testing.T) {
	for in, want := range map[string]string{
		"Unknown magic 1234": "unknown magic 1234",
		"IP header":          "IP header",
		"already lower":      "already lower",
		"":                   "",
	} {
		if got := lowerFirst(in); got != want {
			t.Errorf("lowerFirst(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSizeAndBytesRead checks what a progress display reads: the file's
// size, known for regular files only, and the bytes read so far, all of
// them at the end.
func TestSizeAndBytesRead(t *testing.T) {
	path := filepath.Join("..", "testdata", "handshake.pcap")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	gzPath := filepath.Join(t.TempDir(), "handshake.pcap.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	open := func(t *testing.T, name string) *File {
		f, err := Open(name)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name string
		src  func(t *testing.T) *File
		size int64 // also what BytesRead reaches at the end
	}{
		{"file", func(t *testing.T) *File { return open(t, path) }, int64(len(data))},
		{"gzip file", func(t *testing.T) *File { return open(t, gzPath) }, int64(gz.Len())},
		{"reader", func(t *testing.T) *File {
			f, err := NewFile(bytes.NewReader(data), "-", nil)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.src(t)
			defer f.Close()
			if f.Size() != tt.size {
				t.Errorf("Size() = %d, want %d", f.Size(), tt.size)
			}
			if _, err := readAll(t, f); err != nil {
				t.Fatal(err)
			}
			want := tt.size
			if want < 0 {
				want = int64(len(data))
			}
			if f.BytesRead() != want {
				t.Errorf("BytesRead() = %d at the end, want %d", f.BytesRead(), want)
			}
		})
	}
}

// TestFastRecordsMatchPcapgo holds the records File reads straight from its
// buffer to what pcapgo reads from the same files.
func TestFastRecordsMatchPcapgo(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join("..", "testdata", "*.pcap"))
	more, _ := filepath.Glob(filepath.Join("..", "testdata", "corpus", "*.pcap"))
	paths = append(paths, more...)
	// tcpdump's test captures, where they are (see README).
	more, _ = filepath.Glob(filepath.Join("..", "..", "shared", "corpus", "tcpdump-tests", "*.pcap"))
	paths = append(paths, more...)
	if len(paths) < 5 {
		t.Fatalf("only %d pcap files in testdata", len(paths))
	}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		ref, err := pcapgo.NewReader(bytes.NewReader(data))
		if err != nil {
			continue // a damaged header: not a record matter
		}
		f, err := NewFile(bytes.NewReader(data), path, nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for i := 1; ; i++ {
			want, ci, rerr := ref.ReadPacketData()
			got, err := f.Next()
			if rerr != nil {
				// pcapgo stops here; File may read on (lenient records) or
				// stop with an error, but must not have read it fast.
				break
			}
			if err != nil {
				t.Errorf("%s: record %d: %v, pcapgo read it", path, i, err)
				break
			}
			if !bytes.Equal(got.Data, want) || !got.Time.Equal(ci.Timestamp) || got.Time.Location() != time.UTC || got.OrigLen != max(ci.Length, len(want)) {
				t.Errorf("%s: record %d: got %v len %d/%d, pcapgo %v len %d/%d", path, i, got.Time, len(got.Data), got.OrigLen, ci.Timestamp, len(want), ci.Length)
				break
			}
		}
	}
}
