package capture

import (
	"sync/atomic"
	"time"
)

// frameRing is the bounded queue between a live capture's read loop and
// the reader of its frames: a single-producer, single-consumer queue whose
// frame bytes are copied into one arena allocated up front. It never grows
// and its producer never waits: put reports false when the arena or the
// queue is full, and the caller counts the frame as skipped.
//
// Frames are released in the order they were queued, so the consumer's
// progress is one number: the arena position up to which bytes are free.
type frameRing struct {
	arena []byte
	// head is the producer's position: arena bytes reserved so far,
	// counting from the start and never wrapping. Only the producer
	// touches it.
	head uint64
	// freed is the consumer's position: arena bytes released so far.
	freed atomic.Uint64
	q     chan ringSlot
}

// ringSlot is one queued frame: where its bytes are in the arena and what
// the capture said about it.
type ringSlot struct {
	off, n  int
	end     uint64 // arena position just past the frame, to release it
	time    time.Time
	origLen int
}

// newFrameRing returns a ring holding at most frames frames and bytes bytes
// of frame data.
func newFrameRing(frames, bytes int) *frameRing {
	return &frameRing{arena: make([]byte, bytes), q: make(chan ringSlot, frames)}
}

// put copies data into the ring and queues it. It reports false, without
// waiting, when there is no room for it.
func (r *frameRing) put(data []byte, t time.Time, origLen int) bool {
	if len(r.q) == cap(r.q) {
		return false
	}
	size := uint64(len(r.arena))
	n := uint64(len(data))
	pos := r.head
	off := pos % size
	if off+n > size {
		// A frame is contiguous: skip the arena's tail end.
		pos += size - off
		off = 0
	}
	end := pos + n
	if end-r.freed.Load() > size {
		return false
	}
	copy(r.arena[off:], data)
	r.head = end
	// Only this goroutine sends and the queue had room: this never blocks.
	r.q <- ringSlot{off: int(off), n: len(data), end: end, time: t, origLen: origLen}
	return true
}

// data returns the bytes of s, a read-only view valid until s is released.
func (r *frameRing) data(s ringSlot) []byte {
	return r.arena[s.off : s.off+s.n : s.off+s.n]
}

// release gives the bytes of s, and of every frame queued before it, back
// to the producer.
func (r *frameRing) release(s ringSlot) {
	r.freed.Store(s.end)
}
