package main

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// gz compresses b.
func gz(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// patched returns a copy of b with the little-endian uint32 v at off.
func patched(b []byte, off int, v uint32) []byte {
	b = append([]byte{}, b...)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

// ngBlock returns a pcapng block of type typ with body, its length fields
// set to length (the true length if 0).
func ngBlock(typ uint32, body []byte, length uint32) []byte {
	n := uint32(12 + len(body))
	if length == 0 {
		length = n
	}
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, length)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, length)
}

// TestDamagedFiles replays files damaged in the ways users meet them: each
// shows every complete packet before the damage, then one line naming the
// file and the problem, and exits 1. Nothing allocates more than the file
// could hold.
func TestDamagedFiles(t *testing.T) {
	handshake, err := os.ReadFile("../../testdata/handshake.pcap") // 11 packets
	if err != nil {
		t.Fatal(err)
	}
	ng, err := os.ReadFile("../../testdata/any-sll2.pcapng") // 11 packets
	if err != nil {
		t.Fatal(err)
	}
	shb := int(binary.LittleEndian.Uint32(ng[4:]))
	// Offsets of the pcap records of handshake.pcap.
	var recs []int
	for off := 24; off+16 <= len(handshake); off += 16 + int(binary.LittleEndian.Uint32(handshake[off+8:])) {
		recs = append(recs, off)
	}
	// Offsets of the pcapng blocks after the section header.
	var blocks []int
	for off := shb; off+8 <= len(ng); off += int(binary.LittleEndian.Uint32(ng[off+4:])) {
		blocks = append(blocks, off)
	}
	lastBlock := blocks[len(blocks)-1]
	withBlockAt := func(i int, blk []byte) []byte {
		out := append([]byte{}, ng[:blocks[i]]...)
		out = append(out, blk...)
		return append(out, ng[blocks[i]:]...)
	}
	tests := []struct {
		name    string
		data    []byte
		code    int
		packets int    // lines of --format lines output
		msg     string // in the one stderr line, after the file name
	}{
		{"empty file", nil, exitError, 0, "empty file, not a capture"},
		{"not a capture", []byte("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"), exitError, 0, "not a pcap or pcapng capture (unknown magic number 0x47455420)"},
		{"three bytes", handshake[:3], exitError, 0, "only 3 bytes, too short for a capture file header"},
		{"file header cut short", handshake[:20], exitError, 0, "file header cut short"},
		{"header only", handshake[:24], exitOK, 0, ""},
		{"unknown magic", patched(handshake, 0, 0xa1b2c3d5), exitError, 0, "unknown magic number 0xd5c3b2a1"},
		{"cut in a record header", handshake[:recs[5]+7], exitError, 5, "record 6: file ends in the middle of a record"},
		{"cut in a record's data", handshake[:recs[5]+40], exitError, 5, "record 6: file ends in the middle of a record"},
		{"absurd snap length, whole records", patched(handshake, 16, 0xffffffff), exitOK, 11, ""},
		{"absurd snap length and a record of 4 GiB", patched(patched(handshake, 16, 0xffffffff), recs[3]+8, 0xfffffff0), exitError, 3, "record 4: impossible record length"},
		{"record of 2 GiB", patched(patched(handshake, recs[3]+8, 0x7fffffff), recs[3]+12, 0x7fffffff), exitError, 3, "record 4: impossible record length"},
		{"record longer than its packet", patched(handshake, recs[2]+12, 20), exitOK, 11, ""},
		{"gzip", gz(handshake), exitOK, 11, ""},
		{"gzip cut short", gz(handshake)[:len(gz(handshake))/2], exitError, -1, "cut short"},
		{"gzip of text", gz([]byte("just some notes, not a capture at all\n")), exitError, 0, "not a pcap or pcapng capture"},
		{"gzip with a bad checksum", func() []byte { b := gz(handshake); b[len(b)-6] ^= 0xff; return b }(), exitError, 11, "gzip: invalid checksum"},
		{"gzip header only", gz(handshake)[:10], exitError, 0, "gzip: compressed data cut short"},
		{"pcapng cut in the section header", ng[:20], exitError, 0, "file header cut short"},
		{"pcapng cut in a block", ng[:lastBlock+20], exitError, 10, "record 11: file ends in the middle of a record"},
		{"pcapng with an unknown block", withBlockAt(3, ngBlock(0x0badf00d, []byte("what is this?"+"\x00\x00\x00"), 0)), exitOK, 11, ""},
		{"pcapng with a custom block", withBlockAt(5, ngBlock(0x00000bad, make([]byte, 16), 0)), exitOK, 11, ""},
		{"pcapng block of 2 GiB", withBlockAt(4, ngBlock(0x0badf00d, nil, 0x7ffffff0)), exitError, -1, "record"},
		{"pcapng block shorter than its header", withBlockAt(4, ngBlock(0x0badf00d, nil, 8)), exitError, -1, "record"},
		{"pcapng block length not a multiple of 4", withBlockAt(4, ngBlock(0x0badf00d, []byte{1, 2, 3, 4}, 15)), exitError, -1, "record"},
		{"pcapng packet on an interface never described", patched(ng, blocks[1]+8, 7), exitError, 0, "record 1: interface id 7 not present"},
		{"pcapng with a second section", append(append([]byte{}, ng...), ng...), exitOK, 22, ""},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := fmt.Sprintf("damaged-%02d.pcap", i)
			path := filepath.Join(dir, name)
			if err := os.WriteFile(path, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			stdout, stderr, code := runCmd(t, nil, "replay", "--format", "lines", path)
			runtime.ReadMemStats(&after)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if n := strings.Count(stdout, "\n"); tt.packets >= 0 && n != tt.packets {
				t.Errorf("%d packets shown, want %d", n, tt.packets)
			}
			if a := after.TotalAlloc - before.TotalAlloc; a > 64<<20 {
				t.Errorf("allocated %d MiB for a %d-byte file", a>>20, len(tt.data))
			}
			if tt.code == exitOK {
				if stderr != "" {
					t.Errorf("stderr %q, want nothing", stderr)
				}
				return
			}
			prefix := "tcpshow: " + path + ": "
			if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, prefix) || !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q, want one line starting %q and saying %q", stderr, prefix, tt.msg)
			}
		})
	}
}
