package capture

import (
	"bytes"
	"testing"
	"time"
)

// TestFrameRing fills the ring past its frame and byte limits, releases
// frames in order and checks that what comes out is what went in, across
// the arena's end.
func TestFrameRing(t *testing.T) {
	tests := []struct {
		name          string
		frames, bytes int
		sizes         []int // frame sizes put in order; negative: release the oldest frames, -n of them
		want          []bool
	}{
		{"frame limit", 2, 1024, []int{10, 10, 10}, []bool{true, true, false}},
		{"byte limit", 8, 100, []int{40, 40, 40}, []bool{true, true, false}},
		{"too big for the arena", 8, 100, []int{101}, []bool{false}},
		{"room again after release", 2, 100, []int{40, 40, 10, -1, 10}, []bool{true, true, false, true}},
		// 60 then 30 fill 90 bytes; after the 60 is released, a 50-byte
		// frame does not fit at the end (10 left) and goes to the start,
		// leaving 10 bytes before the 30 still held.
		{"wrap to the start", 8, 100, []int{60, 30, -1, 50, 10, 1}, []bool{true, true, true, true, false}},
		{"wrap needs the start free", 8, 100, []int{60, 30, 50}, []bool{true, true, false}},
		{"empty frames", 2, 100, []int{0, 0, 0}, []bool{true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFrameRing(tt.frames, tt.bytes)
			var queued [][]byte
			var got []bool
			seq := byte(0)
			for _, n := range tt.sizes {
				if n < 0 {
					for range -n {
						s := <-r.q
						if d := r.data(s); !bytes.Equal(d, queued[0]) {
							t.Fatalf("frame out %x, want %x", d, queued[0])
						}
						queued = queued[1:]
						r.release(s)
					}
					continue
				}
				seq++
				data := bytes.Repeat([]byte{seq}, n)
				ok := r.put(data, time.Unix(int64(seq), 0), n+1)
				got = append(got, ok)
				if ok {
					queued = append(queued, data)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("puts %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("puts %v, want %v", got, tt.want)
				}
			}
			for len(queued) > 0 {
				s := <-r.q
				if d := r.data(s); !bytes.Equal(d, queued[0]) || s.origLen != len(d)+1 {
					t.Fatalf("frame out %x (orig %d), want %x", d, s.origLen, queued[0])
				}
				queued = queued[1:]
				r.release(s)
			}
		})
	}
}

// TestFrameRingConcurrent runs a producer and a consumer at once over a
// small arena: every frame that was queued comes out intact and in order.
func TestFrameRingConcurrent(t *testing.T) {
	r := newFrameRing(16, 4096)
	const n = 20000
	done := make(chan struct{})
	var sent []uint32
	go func() {
		defer close(done)
		defer close(r.q)
		buf := make([]byte, 300)
		for i := range uint32(n) {
			size := 4 + int(i*7919%290)
			for j := range size {
				buf[j] = byte(i) + byte(j)
			}
			buf[0], buf[1], buf[2], buf[3] = byte(i), byte(i>>8), byte(i>>16), byte(i>>24)
			if r.put(buf[:size], time.Time{}, size) {
				sent = append(sent, i)
			}
		}
	}()
	var got []uint32
	for s := range r.q {
		d := r.data(s)
		i := uint32(d[0]) | uint32(d[1])<<8 | uint32(d[2])<<16 | uint32(d[3])<<24
		for j := 4; j < len(d); j++ {
			if d[j] != byte(i)+byte(j) {
				t.Fatalf("frame %d byte %d overwritten", i, j)
			}
		}
		got = append(got, i)
		r.release(s)
	}
	<-done
	if len(got) != len(sent) || len(got) == 0 {
		t.Fatalf("%d frames out, %d queued", len(got), len(sent))
	}
	for k := range got {
		if got[k] != sent[k] {
			t.Fatalf("frame %d out of order: %d, want %d", k, got[k], sent[k])
		}
	}
}

// BenchmarkFrameRing measures queueing one 100-byte frame and taking it
// back out: the read loop's cost per packet on top of libpcap's.
func BenchmarkFrameRing(b *testing.B) {
	b.ReportAllocs()
	r := newFrameRing(DefaultQueueFrames, DefaultQueueBytes)
	data := make([]byte, 100)
	now := time.Now()
	for b.Loop() {
		if !r.put(data, now, len(data)) {
			b.Fatal("ring full")
		}
		s := <-r.q
		r.release(s)
	}
}
