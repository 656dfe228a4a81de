package render

import (
	"math/bits"
	"net/netip"
)

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
// generic so that 32-bit values get 32-bit arithmetic. The digits are
// written straight into b, counted first: building them in a scratch array
// and copying it over cost a tenth of a replay in the copy alone.
func appendDigits[T uint32 | uint64](b []byte, v T) []byte {
	n := decimalLen(uint64(v))
	l := len(b)
	if cap(b)-l < n {
		b = append(b, make([]byte, n)...)
	}
	b = b[:l+n]
	d := b[l:]
	i := n
	for v >= 100 {
		q := v / 100
		r := (v - q*100) * 2
		i -= 2
		d[i], d[i+1] = digitPairs[r], digitPairs[r+1]
		v = q
	}
	if v >= 10 {
		d[1], d[0] = digitPairs[v*2+1], digitPairs[v*2]
	} else {
		d[0] = byte('0' + v)
	}
	return b
}

// pow10 holds the powers of ten that fit in a uint64.
var pow10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// decimalLen returns the number of decimal digits of v (1 for 0): the bit
// length times log10(2) (1233/4096) estimates it to within one, and one
// comparison settles which.
func decimalLen(v uint64) int {
	n := bits.Len64(v|1) * 1233 >> 12
	if v >= pow10[n] {
		n++
	}
	return n
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
