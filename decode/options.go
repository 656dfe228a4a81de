package decode

import "encoding/binary"

// TCP option kinds that tcpshow names (IANA "TCP Option Kind Numbers").
const (
	OptEOL       uint8 = 0
	OptNOP       uint8 = 1
	OptMSS       uint8 = 2
	OptWScale    uint8 = 3
	OptSACKPerm  uint8 = 4
	OptSACK      uint8 = 5
	OptTimestamp uint8 = 8
	OptMD5       uint8 = 19
	OptUserTO    uint8 = 28
	OptAO        uint8 = 29
	OptMPTCP     uint8 = 30
	OptFastOpen  uint8 = 34
	OptExp1      uint8 = 253
	OptExp2      uint8 = 254
)

// maxOptions bounds the options kept per header: 40 option bytes can hold
// at most 40 one-byte options.
const maxOptions = 40

// maxSACK is the most SACK blocks a 40-byte option area can carry.
const maxSACK = 4

// Option is one option as it appears in the header.
type Option struct {
	Kind uint8
	// Len is the option's length in bytes, kind and length bytes included
	// (1 for EOL and NOP).
	Len uint8
	// Off is the option's offset from the start of the option area.
	Off uint8
}

// OptionSet records which well-known options a header carries.
type OptionSet uint8

// Members of an OptionSet.
const (
	HasMSS OptionSet = 1 << iota
	HasWScale
	HasSACKPerm
	HasTimestamps
	HasSACK
)

// SACKBlock is one selective acknowledgment block: the bytes from Left up to
// but not including Right have been received. Raw sequence numbers.
type SACKBlock struct {
	Left, Right uint32
}

// Options is everything the option area of a TCP header carries.
type Options struct {
	// List holds every option in order, N of them.
	List [maxOptions]Option
	N    int
	// Set says which of the fields below are valid.
	Set    OptionSet
	MSS    uint16
	WScale uint8
	// TSVal and TSEcr are the timestamp option's value and echo reply.
	TSVal, TSEcr uint32
	// SACK holds the selective acknowledgment blocks, NSACK of them.
	SACK  [maxSACK]SACKBlock
	NSACK int
	// Padding counts the bytes after an end-of-option-list option.
	Padding int
	// Truncated reports that the capture ended inside the option area.
	Truncated bool
	// Malformed reports an option whose length is below 2 or runs past the
	// header, or a known option with the wrong length. Walking stops there.
	Malformed bool
	// Raw is a view of the captured option area, valid as long as the frame.
	Raw []byte
}

// Data returns the data bytes of option o (those after kind and length), or
// nil for one-byte options and for data the capture does not hold.
func (o *Options) Data(opt Option) []byte {
	if opt.Len < 2 {
		return nil
	}
	start, end := int(opt.Off)+2, int(opt.Off)+int(opt.Len)
	if end > len(o.Raw) {
		end = len(o.Raw)
	}
	if start > end {
		return nil
	}
	return o.Raw[start:end]
}

// parseOptions walks the option area b of a header whose option area is
// declared to be want bytes long (want >= len(b); more means the capture
// cut it short). It fills o in place and never allocates.
func parseOptions(o *Options, b []byte, want int) {
	o.N = 0
	o.Set = 0
	o.NSACK = 0
	o.Padding = 0
	o.Truncated = len(b) < want
	o.Malformed = false
	o.Raw = b
	for i := 0; i < len(b) && o.N < maxOptions; {
		kind := b[i]
		if kind == OptEOL {
			o.List[o.N] = Option{Kind: kind, Len: 1, Off: uint8(i)}
			o.N++
			o.Padding = want - i - 1
			return
		}
		if kind == OptNOP {
			o.List[o.N] = Option{Kind: kind, Len: 1, Off: uint8(i)}
			o.N++
			i++
			continue
		}
		if i+1 >= len(b) {
			// The length byte is missing: cut short by the capture, or the
			// header ends after the kind byte.
			if i+1 >= want {
				o.Malformed = true
			}
			o.List[o.N] = Option{Kind: kind, Len: 0, Off: uint8(i)}
			o.N++
			return
		}
		l := int(b[i+1])
		if l < 2 || i+l > want {
			o.Malformed = true
			o.List[o.N] = Option{Kind: kind, Len: uint8(l), Off: uint8(i)}
			o.N++
			return
		}
		o.List[o.N] = Option{Kind: kind, Len: uint8(l), Off: uint8(i)}
		o.N++
		if i+l > len(b) {
			// Captured only in part: keep the option's kind and length.
			return
		}
		d := b[i+2 : i+l]
		switch kind {
		case OptMSS:
			if len(d) == 2 {
				o.MSS = binary.BigEndian.Uint16(d)
				o.Set |= HasMSS
			} else {
				o.Malformed = true
			}
		case OptWScale:
			if len(d) == 1 {
				o.WScale = d[0]
				o.Set |= HasWScale
			} else {
				o.Malformed = true
			}
		case OptSACKPerm:
			if len(d) == 0 {
				o.Set |= HasSACKPerm
			} else {
				o.Malformed = true
			}
		case OptTimestamp:
			if len(d) == 8 {
				o.TSVal = binary.BigEndian.Uint32(d[0:4])
				o.TSEcr = binary.BigEndian.Uint32(d[4:8])
				o.Set |= HasTimestamps
			} else {
				o.Malformed = true
			}
		case OptSACK:
			if len(d)%8 != 0 || len(d) == 0 {
				o.Malformed = true
			}
			for j := 0; j+8 <= len(d) && o.NSACK < maxSACK; j += 8 {
				o.SACK[o.NSACK] = SACKBlock{
					Left:  binary.BigEndian.Uint32(d[j : j+4]),
					Right: binary.BigEndian.Uint32(d[j+4 : j+8]),
				}
				o.NSACK++
			}
			if o.NSACK > 0 {
				o.Set |= HasSACK
			}
		}
		i += l
	}
}

// OptionName returns a short name for an option kind, or "" if tcpshow has
// none for it.
func OptionName(kind uint8) string {
	switch kind {
	case OptEOL:
		return "eol"
	case OptNOP:
		return "nop"
	case OptMSS:
		return "mss"
	case OptWScale:
		return "wscale"
	case OptSACKPerm:
		return "sackOK"
	case OptSACK:
		return "sack"
	case OptTimestamp:
		return "TS"
	case OptMD5:
		return "md5"
	case OptUserTO:
		return "uto"
	case OptAO:
		return "tcp-ao"
	case OptMPTCP:
		return "mptcp"
	case OptFastOpen:
		return "tfo"
	case OptExp1, OptExp2:
		return "exp"
	}
	return ""
}
