package render

import (
	"math"
	"net/netip"
	"strconv"
	"testing"
)

func TestAppendUint(t *testing.T) {
	values := []uint64{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 9999, 10000, 65535, 99999, 100000,
		123456789, 4294967295, 4294967296, math.MaxUint64 - 1, math.MaxUint64}
	for p := uint64(1); p < math.MaxUint64/10; p *= 10 {
		values = append(values, p-1, p, p+1)
	}
	for _, v := range values {
		if got, want := string(appendUint([]byte("x"), v)), "x"+strconv.FormatUint(v, 10); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", v, got, want)
		}
	}
	for _, v := range []int64{0, -1, 7, -10, 12345, math.MinInt64 + 1, math.MaxInt64} {
		if got, want := string(appendInt(nil, v)), strconv.FormatInt(v, 10); got != want {
			t.Errorf("appendInt(%d) = %q, want %q", v, got, want)
		}
	}
}

func TestAppendAddr(t *testing.T) {
	for _, s := range []string{"0.0.0.0", "127.0.0.1", "10.200.3.45", "255.255.255.255", "::1", "::ffff:1.2.3.4", "fe80::1%lo", "2001:db8::1"} {
		a := netip.MustParseAddr(s)
		if got := string(appendAddr(nil, a)); got != a.String() {
			t.Errorf("appendAddr(%s) = %q", s, got)
		}
	}
}

func FuzzAppendUint(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(math.MaxUint64))
	f.Fuzz(func(t *testing.T, v uint64) {
		if got, want := string(appendUint(nil, v)), strconv.FormatUint(v, 10); got != want {
			t.Fatalf("appendUint(%d) = %q, want %q", v, got, want)
		}
	})
}

func BenchmarkAppendUint(b *testing.B) {
	buf := make([]byte, 0, 64)
	values := []uint64{0, 7, 42, 1460, 65535, 3864737518, 101462659}
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, v := range values {
			buf = appendUint(buf, v)
		}
	}
}

func BenchmarkStrconvAppendUint(b *testing.B) {
	buf := make([]byte, 0, 64)
	values := []uint64{0, 7, 42, 1460, 65535, 3864737518, 101462659}
	b.ReportAllocs()
	for b.Loop() {
		buf = buf[:0]
		for _, v := range values {
			buf = strconv.AppendUint(buf, v, 10)
		}
	}
}
