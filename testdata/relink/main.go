// Command relink rewrites the link layer of a real Ethernet capture, so that
// tcpshow's tests have real packets in link types and file variants that
// Linux's loopback does not write: BSD loopback (NULL, LOOP) as macOS lo0
// captures hold them, and big-endian pcap files.
//
// Usage:
//
//	go run ./testdata/relink -link null|loop|raw|bigendian IN.pcap OUT.pcap
//
// null writes link type 0 with the 4-byte address family in little-endian
// order (AF_INET 2, AF_INET6 30 as on macOS); loop writes link type 108 with
// the family in network byte order (as OpenBSD does); raw writes link type
// 101, bare IP packets. bigendian keeps the
// frames and writes the file in big-endian byte order with nanosecond
// timestamps, as capture files from big-endian hosts are.
package main

import (
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

func main() {
	link := flag.String("link", "null", "null, loop, raw or bigendian")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: relink -link null|loop|raw|bigendian IN.pcap OUT.pcap")
		os.Exit(2)
	}
	if err := run(*link, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "relink:", err)
		os.Exit(1)
	}
}

func run(link, in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		return fmt.Errorf("%s: link type %d, want Ethernet", in, r.LinkType())
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	be := binary.BigEndian
	switch link {
	case "null", "loop", "raw":
		lt, hdr := layers.LinkTypeNull, 4
		switch link {
		case "loop":
			lt = layers.LinkTypeLoop
		case "raw":
			lt, hdr = layers.LinkTypeRaw, 0
		}
		w := pcapgo.NewWriter(o)
		if err := w.WriteFileHeader(r.Snaplen(), lt); err != nil {
			return err
		}
		for {
			data, ci, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return o.Close()
			}
			if err != nil {
				return err
			}
			if len(data) < 14 {
				continue
			}
			var fam uint32
			switch binary.BigEndian.Uint16(data[12:14]) {
			case 0x0800:
				fam = 2
			case 0x86dd:
				fam = 30
			default:
				continue
			}
			frame := make([]byte, hdr+len(data)-14)
			switch link {
			case "loop":
				binary.BigEndian.PutUint32(frame, fam)
			case "null":
				binary.LittleEndian.PutUint32(frame, fam)
			}
			copy(frame[hdr:], data[14:])
			ci.CaptureLength = len(frame)
			ci.Length = ci.Length - 14 + hdr
			if err := w.WritePacket(ci, frame); err != nil {
				return err
			}
		}
	case "bigendian":
		hdr := make([]byte, 24)
		be.PutUint32(hdr[0:], 0xa1b23c4d)
		be.PutUint16(hdr[4:], 2)
		be.PutUint16(hdr[6:], 4)
		be.PutUint32(hdr[16:], r.Snaplen())
		be.PutUint32(hdr[20:], uint32(r.LinkType()))
		if _, err := o.Write(hdr); err != nil {
			return err
		}
		for {
			data, ci, err := r.ReadPacketData()
			if errors.Is(err, io.EOF) {
				return o.Close()
			}
			if err != nil {
				return err
			}
			rec := make([]byte, 16, 16+len(data))
			be.PutUint32(rec[0:], uint32(ci.Timestamp.Unix()))
			be.PutUint32(rec[4:], uint32(ci.Timestamp.Nanosecond()))
			be.PutUint32(rec[8:], uint32(len(data)))
			be.PutUint32(rec[12:], uint32(ci.Length))
			if _, err := o.Write(append(rec, data...)); err != nil {
				return err
			}
		}
	}
	return fmt.Errorf("unknown -link %q", link)
}
