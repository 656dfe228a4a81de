package render

import "net/netip"

// Decimal formatting for the per-packet hot path. strconv formats into a
// buffer of its own and copies the digits over; these write them in place,
// which the replay profile showed to matter (a packet's line holds a dozen
// numbers).

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendUint appends the decimal form of v to b, like strconv.AppendUint.
func appendUint(b []byte, v uint64) []byte {
	if v < 100 {
		if v < 10 {
			return append(b, byte('0'+v))
		}
		return append(b, digitPairs[v*2], digitPairs[v*2+1])
	}
	if v <= 0xffffffff {
		return appendUint32(b, uint32(v))
	}
	return appendDigits(b, v)
}

// appendUint32 is appendUint for 32-bit values, which the fields of
// packet headers are: 32-bit arithmetic is the faster.
func appendUint32(b []byte, v uint32) []byte { return appendDigits(b, v) }

// appendDigits appends the decimal form of v, two digits a division. It is
// generic so that 32-bit values get 32-bit arithmetic.
func appendDigits[T uint32 | uint64](b []byte, v T) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 100 {
		q := v / 100
		r := (v - q*100) * 2
		i -= 2
		buf[i], buf[i+1] = digitPairs[r], digitPairs[r+1]
		v = q
	}
	if v >= 10 {
		i -= 2
		buf[i], buf[i+1] = digitPairs[v*2], digitPairs[v*2+1]
	} else {
		i--
		buf[i] = byte('0' + v)
	}
	return append(b, buf[i:]...)
}

// appendInt appends the decimal form of v to b, like strconv.AppendInt.
func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendUint(append(b, '-'), uint64(-v))
	}
	return appendUint(b, uint64(v))
}

// appendAddr appends a's canonical text form, like netip.Addr.AppendTo,
// with a fast path for IPv4.
func appendAddr(b []byte, a netip.Addr) []byte {
	if !a.Is4() {
		return a.AppendTo(b)
	}
	for i, x := range a.As4() {
		if i > 0 {
			b = append(b, '.')
		}
		b = appendUint(b, uint64(x))
	}
	return b
}
