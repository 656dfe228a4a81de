package render

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/decode"
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

// TestClockCache checks that a writer's cached time of day and date print
// what the uncached functions print, across seconds, days and zones.
func TestClockCache(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("east", 5*3600+1800), time.FixedZone("west", -8*3600)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny) // a summer-time change on 2026-03-08
	}
	start := time.Date(2026, 3, 8, 6, 59, 58, 999999000, time.UTC)
	var c clockCache
	for i := range 400 {
		tm := start.Add(time.Duration(i) * 10 * time.Millisecond)
		if i > 300 {
			tm = tm.Add(time.Duration(i) * 7 * time.Hour) // across days
		}
		for _, loc := range zones {
			if got, want := string(c.appendClock(nil, tm, loc)), string(appendClock(nil, tm.In(loc))); got != want {
				t.Fatalf("%v in %v: %q, want %q", tm, loc, got, want)
			}
			for _, digits := range []int{6, 9} {
				if got, want := string(c.appendRFC3339(nil, tm, digits)), string(appendRFC3339(nil, tm, digits)); got != want {
					t.Fatalf("%v: %q, want %q", tm, got, want)
				}
			}
		}
	}
}

func TestAppendFraction(t *testing.T) {
	for _, ns := range []int{0, 1, 9, 10, 999, 1000, 123456789, 999999999, 500000000, 384895000} {
		full := fmt.Sprintf("%09d", ns)
		for digits := 0; digits <= 9; digits++ {
			if got := string(appendFraction([]byte("x"), ns, digits)); got != "x"+full[:digits] {
				t.Errorf("appendFraction(%d, %d) = %q, want %q", ns, digits, got, "x"+full[:digits])
			}
		}
	}
}

func TestAppendFlags(t *testing.T) {
	for f := decode.Flags(0); f < 1<<9; f++ {
		if got, want := string(appendFlags(nil, f)), string(f.AppendNames(nil, ", ")); got != want {
			t.Errorf("flags %#x: %q, want %q", f, got, want)
		}
	}
}
