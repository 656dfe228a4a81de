package capture

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// readBufferSize is the buffered reader under pcapgo: large reads keep the
// replay of a big file from being bound by read system calls.
const readBufferSize = 1 << 20

// Format names a capture file format.
type Format int

// The file formats a File reads.
const (
	FormatPcap   Format = iota + 1 // libpcap's classic format, µs or ns timestamps
	FormatPcapNG                   // pcapng, possibly with several interfaces
)

// String returns "pcap" or "pcapng".
func (f Format) String() string {
	switch f {
	case FormatPcap:
		return "pcap"
	case FormatPcapNG:
		return "pcapng"
	}
	return "unknown"
}

// Magic numbers at the start of a capture file, as read in little-endian order.
const (
	magicPcapMicro   = 0xa1b2c3d4
	magicPcapNano    = 0xa1b23c4d
	magicPcapMicroBE = 0xd4c3b2a1
	magicPcapNanoBE  = 0x4d3cb2a1
	magicPcapNG      = 0x0a0d0d0a
)

// Interface describes one interface of a capture file: a pcapng Interface
// Description Block, or the single link type of a pcap file. Strings come
// from the file as written and may hold anything, including control
// characters; sanitise them before printing.
type Interface struct {
	Name        string
	Description string
	Comment     string
	Filter      string
	OS          string
	LinkType    layers.LinkType
	SnapLen     int
}

// Error is a problem with a capture file: it names the file and, when the
// problem is in a record, the record's number (1-based, counting records
// read so far).
type Error struct {
	Name   string // file name as given, "-" for standard input
	Record int    // 0 when the problem is in the file header
	Err    error
}

// Error returns a lowercase message naming the file and, if known, the record.
func (e *Error) Error() string {
	name := e.Name
	if name == "-" {
		name = "standard input"
	}
	if e.Record > 0 {
		return fmt.Sprintf("%s: record %d: %s", name, e.Record, lowerFirst(e.Err.Error()))
	}
	return fmt.Sprintf("%s: %s", name, lowerFirst(e.Err.Error()))
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// lowerFirst lowercases the first letter of gopacket's capitalised messages.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError || !unicode.IsUpper(r) {
		return s
	}
	// Keep acronyms such as "IP" or "TCP" as they are.
	if r2, _ := utf8.DecodeRuneInString(s[n:]); unicode.IsUpper(r2) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// ErrTruncated reports a file that ends in the middle of a record.
var ErrTruncated = errors.New("file ends in the middle of a record (cut short?)")

// File reads frames from a pcap or pcapng stream.
type File struct {
	name     string
	br       *bufio.Reader
	counter  *countingReader
	size     int64
	format   Format
	closer   io.Closer
	pcap     *pcapgo.Reader
	fast     fastPcap
	ng       *pcapgo.NgReader
	linkType layers.LinkType
	snapLen  int // as the pcap file header gives it
	records  int
	// lenient holds records that pcapgo refused (see Next).
	lenient []byte
	// nano caches, per pcapng interface, whether its timestamps have
	// nanosecond precision; for pcap files nano[0] covers every record.
	nano []bool
}

// Open opens the capture file at path for reading. A path of "-" reads
// standard input. The format (pcap or pcapng, optionally gzip-compressed) is
// recognised from the file's first bytes, not from its name.
func Open(path string) (*File, error) {
	if path == "-" {
		return NewFile(os.Stdin, "-", nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Name: path, Err: unwrapPathError(err)}
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, &Error{Name: path, Err: errors.New("is a directory, not a capture file")}
	}
	src, err := NewFile(f, path, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}

// unwrapPathError drops the *os.PathError wrapper, whose message repeats the
// path that Error already names.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// NewFile reads a capture from r. name is used in error messages only;
// closer, if not nil, is closed by Close.
func NewFile(r io.Reader, name string, closer io.Closer) (*File, error) {
	size := int64(-1)
	if st, ok := r.(interface{ Stat() (os.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	counter := &countingReader{r: r}
	br := bufio.NewReaderSize(counter, readBufferSize)
	magic, err := br.Peek(4)
	if len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, zerr := gzip.NewReader(br)
		if zerr != nil {
			return nil, &Error{Name: name, Err: fmt.Errorf("gzip: %w", zerr)}
		}
		br = bufio.NewReaderSize(zr, readBufferSize)
		magic, err = br.Peek(4)
		if err != nil && err != io.EOF {
			return nil, &Error{Name: name, Err: gzipError(err)}
		}
	}
	switch {
	case len(magic) == 0:
		return nil, &Error{Name: name, Err: errors.New("empty file, not a capture")}
	case err != nil:
		return nil, &Error{Name: name, Err: fmt.Errorf("only %d bytes, too short for a capture file header", len(magic))}
	}
	src := &File{name: name, closer: closer, br: br, counter: counter, size: size}
	switch binary.LittleEndian.Uint32(magic) {
	case magicPcapMicro, magicPcapNano, magicPcapMicroBE, magicPcapNanoBE:
		src.format = FormatPcap
		src.fast = fastPcap{order: binary.LittleEndian, factor: 1000}
		switch binary.LittleEndian.Uint32(magic) {
		case magicPcapMicroBE, magicPcapNanoBE:
			src.fast.order = binary.BigEndian
		}
		switch binary.LittleEndian.Uint32(magic) {
		case magicPcapNano, magicPcapNanoBE:
			src.fast.factor = 1
		}
		src.pcap, err = pcapgo.NewReader(br)
		if err != nil {
			return nil, &Error{Name: name, Err: headerError(err)}
		}
		src.linkType = src.pcap.LinkType()
		src.snapLen = int(src.pcap.Snaplen())
		if src.pcap.Snaplen() > maxRecord {
			// Like libpcap, read a file whose header claims an absurd snap
			// length, but refuse records longer than any capture holds.
			src.pcap.SetSnaplen(maxRecord)
		}
		src.nano = []bool{src.pcap.Resolution().ToDuration() < time.Microsecond}
	case magicPcapNG:
		src.format = FormatPcapNG
		src.ng, err = pcapgo.NewNgReader(br, pcapgo.NgReaderOptions{WantMixedLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, &Error{Name: name, Err: headerError(err)}
		}
	default:
		return nil, &Error{Name: name, Err: fmt.Errorf("not a pcap or pcapng capture (unknown magic number %#08x)", binary.BigEndian.Uint32(magic))}
	}
	return src, nil
}

// gzipError describes a gzip stream that could not be read.
func gzipError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("gzip: compressed data cut short")
	}
	return fmt.Errorf("gzip: %w", err)
}

// headerError turns a reader's complaint about the file header into a
// message a user can act on.
func headerError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("file header cut short")
	}
	return fmt.Errorf("bad file header: %w", err)
}

// Name returns the name the file was opened with.
func (f *File) Name() string { return f.name }

// Format reports whether the file is pcap or pcapng.
func (f *File) Format() Format { return f.format }

// Buffered returns how many bytes of the file have been read ahead and not
// yet returned. At zero, the next call to Next may wait for input: a reader
// of a pipe can flush its output then, so that packets appear as they come.
func (f *File) Buffered() int { return f.br.Buffered() }

// Size returns the size in bytes of the file being read, or -1 when it is
// not a regular file (a pipe, a terminal, a reader of another kind). For a
// compressed file it is the compressed size.
func (f *File) Size() int64 { return f.size }

// BytesRead returns how many bytes have been read from the file so far,
// read-ahead included; for a compressed file, compressed bytes. Against
// Size it tells how far a replay has come. It is safe to call while
// another goroutine reads the file, as a progress bar does.
func (f *File) BytesRead() int64 { return f.counter.n.Load() }

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// Records returns how many records (frames) have been read so far.
func (f *File) Records() int { return f.records }

// Interfaces describes the file's interfaces as far as they have been read:
// pcapng files may declare interfaces anywhere before their first packet.
func (f *File) Interfaces() []Interface {
	if f.pcap != nil {
		return []Interface{{LinkType: f.linkType, SnapLen: f.snapLen}}
	}
	ifs := make([]Interface, 0, f.ng.NInterfaces())
	for i := range f.ng.NInterfaces() {
		ni, err := f.ng.Interface(i)
		if err != nil {
			break
		}
		ifs = append(ifs, Interface{
			Name:        ni.Name,
			Description: ni.Description,
			Comment:     ni.Comment,
			Filter:      ni.Filter,
			OS:          ni.OS,
			LinkType:    ni.LinkType,
			SnapLen:     int(ni.SnapLength),
		})
	}
	return ifs
}

// Next returns the next frame. Its Data is valid until the next call.
// At the end of the file it returns io.EOF; a file that ends inside a record
// gives an *Error wrapping ErrTruncated.
func (f *File) Next() (Frame, error) {
	var (
		data []byte
		ci   gopacket.CaptureInfo
		err  error
		lt   = f.linkType
	)
	if f.pcap != nil {
		if fr, ok := f.nextFast(); ok {
			return fr, nil
		}
		data, ci, err = f.pcap.ZeroCopyReadPacketData()
		if err != nil && ci.CaptureLength > maxRecord {
			err = fmt.Errorf("impossible record length %d (no capture holds records over %d bytes)", ci.CaptureLength, maxRecord)
		} else if err != nil && ci.CaptureLength > ci.Length {
			// pcapgo refuses a record that captured more than the packet's
			// length, before reading its data. libpcap and tcpdump read such
			// records, so tcpshow does too: the capture length wins.
			data, err = f.readRecordData(ci.CaptureLength)
			ci.Length = ci.CaptureLength
		}
	} else {
		data, ci, err = f.ng.ZeroCopyReadPacketData()
		if err == nil && len(ci.AncillaryData) > 0 {
			if t, ok := ci.AncillaryData[0].(layers.LinkType); ok {
				lt = t
			}
		}
	}
	if err != nil {
		if err == io.EOF && ci.CaptureLength == 0 {
			return Frame{}, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = ErrTruncated
		}
		return Frame{}, &Error{Name: f.name, Record: f.records + 1, Err: err}
	}
	f.records++
	orig := ci.Length
	if orig < len(data) {
		orig = len(data)
	}
	return Frame{
		Nano:      f.isNano(ci.InterfaceIndex),
		Time:      ci.Timestamp,
		LinkType:  lt,
		OrigLen:   orig,
		Interface: ci.InterfaceIndex,
		Data:      data,
	}, nil
}

// fastPcap is what reading pcap records straight from the read buffer
// needs to know of the file header.
type fastPcap struct {
	order  binary.ByteOrder
	factor uint32 // nanoseconds per timestamp fraction unit
}

// nextFast returns the next pcap record as a view into the read buffer,
// without pcapgo's copy and read calls, when the record is well-formed
// (within the snap length and its packet length) and whole in the buffer,
// as nearly every record is. For anything else it reads nothing and
// reports false, and pcapgo reads the record, errors and all.
func (f *File) nextFast() (Frame, bool) {
	hdr, err := f.br.Peek(16)
	if err != nil {
		return Frame{}, false
	}
	o := f.fast.order
	caplen, orig := o.Uint32(hdr[8:]), o.Uint32(hdr[12:])
	if caplen > orig || int64(caplen) > int64(f.pcap.Snaplen()) || caplen > readBufferSize-16 {
		return Frame{}, false
	}
	rec, err := f.br.Peek(16 + int(caplen))
	if err != nil {
		return Frame{}, false
	}
	// As pcapgo computes it, in 32 bits.
	ts := time.Unix(int64(o.Uint32(rec[0:])), int64(o.Uint32(rec[4:])*f.fast.factor)).UTC()
	f.br.Discard(16 + int(caplen))
	f.records++
	return Frame{
		Nano:     f.nano[0],
		Time:     ts,
		LinkType: f.linkType,
		OrigLen:  int(orig),
		Data:     rec[16:],
	}, true
}

// maxRecord is the longest record tcpshow reads from a pcap file:
// libpcap's largest snap length. Record lengths come from the file and are
// not trusted beyond it.
const maxRecord = 262144

// readRecordData reads n bytes of record data that pcapgo left unread.
func (f *File) readRecordData(n int) ([]byte, error) {
	if cap(f.lenient) < n {
		f.lenient = make([]byte, n)
	}
	data := f.lenient[:n]
	if _, err := io.ReadFull(f.br, data); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return data, nil
}

// isNano reports whether frames of interface i have nanosecond timestamps.
func (f *File) isNano(i int) bool {
	if f.pcap != nil {
		return f.nano[0]
	}
	for len(f.nano) <= i && len(f.nano) < f.ng.NInterfaces() {
		ni, err := f.ng.Interface(len(f.nano))
		if err != nil {
			break
		}
		f.nano = append(f.nano, ni.Resolution().ToDuration() < time.Microsecond)
	}
	return i < len(f.nano) && f.nano[i]
}

// Close closes the underlying file, if the File opened it.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}
