package decode

import (
	"sync"

	"github.com/tcpshow/tcpshow/capture"
)

// Read-ahead sizes: how many batches are in flight between the reading
// goroutine and Next, and when a batch is handed over. A batch holds up to
// 512 packets of some 700 bytes and up to 1 MiB of frame bytes, which grow
// past batchBytes only to hold a single larger frame. Batches of 128
// packets are handed over four times as often; the wake-ups made the lines
// replay of a 220,000-packet capture a sixth slower (167 ms against 143 ms,
// mean of 30 runs). A batch's room grows as it is used, from arenaStart
// bytes of frames, so that a replay of a small file does not start by
// clearing 5 MiB it never fills.
const (
	aheadBatches = 4
	batchPackets = 512
	batchBytes   = 1 << 20
	arenaStart   = 64 << 10
)

// batch is a run of frames read and decoded ahead. Its packets' slices
// point into arena.
type batch struct {
	pkts  []Packet // packets[:n] are the batch's; the rest is room
	n     int
	arena []byte // the frames' bytes, copied from the source
	// grow reports that the arena filled before the packets did: the next
	// fill gets twice the room, up to batchBytes.
	grow bool
	err  error // what the source returned after the packets, if anything
	// idle reports that the source had nothing more read ahead when the
	// batch was handed over.
	idle bool
}

// readAhead reads and decodes frames on a goroutine of its own and hands
// them to Next in batches. Batches circulate between two channels: full
// ones to Next, emptied ones back to the reader, so memory stays at
// aheadBatches batches however fast either side is.
type readAhead struct {
	full, free chan *batch
	stop       chan struct{}
	done       chan struct{}
	stopOnce   sync.Once

	cur *batch // the batch Next is handing out
	i   int    // the next packet of cur
	err error  // the error that ended the input, once Next reached it
}

// startReadAhead starts reading src on a new goroutine.
func startReadAhead(src capture.Source) *readAhead {
	ra := &readAhead{
		full: make(chan *batch, aheadBatches),
		free: make(chan *batch, aheadBatches),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range aheadBatches {
		ra.free <- &batch{}
	}
	go ra.read(src, NewDecoder())
	return ra
}

// read is the reading goroutine: it fills batches until the source ends or
// the read-ahead is stopped.
func (ra *readAhead) read(src capture.Source, dec *Decoder) {
	defer close(ra.done)
	n := 0
	b := ra.take()
	for b != nil {
		if b.n > 0 && sourceIdle(src) {
			// The next read may wait for input: hand over what there is.
			b.idle = true
			b = ra.hand(b)
			continue
		}
		f, err := src.Next()
		if err != nil {
			b.err = err
			ra.full <- b
			return
		}
		if b.n > 0 && len(b.arena)+len(f.Data) > cap(b.arena) {
			// The frame's bytes stay valid until the next read: hand the
			// full batch over first.
			b.grow = cap(b.arena) < batchBytes
			if b = ra.hand(b); b == nil {
				return
			}
		}
		if len(f.Data) > cap(b.arena) {
			b.arena = make([]byte, 0, max(len(f.Data), arenaStart))
		}
		start := len(b.arena)
		b.arena = append(b.arena, f.Data...)
		f.Data = b.arena[start:len(b.arena):len(b.arena)]
		n++
		if b.n == len(b.pkts) {
			b.pkts = append(b.pkts, Packet{})
		}
		dec.Decode(n, f, &b.pkts[b.n])
		b.n++
		if b.n == batchPackets || len(b.arena) >= batchBytes {
			b = ra.hand(b)
		}
	}
}

// take returns an empty batch, or nil once the read-ahead is stopped.
func (ra *readAhead) take() *batch {
	select {
	case b := <-ra.free:
		b.n, b.arena, b.err, b.idle = 0, b.arena[:0], nil, false
		switch {
		case cap(b.arena) > 2*batchBytes:
			b.arena = make([]byte, 0, batchBytes) // let a giant frame's room go
		case b.grow:
			b.arena = make([]byte, 0, min(2*cap(b.arena), batchBytes))
		}
		b.grow = false
		return b
	case <-ra.stop:
		return nil
	}
}

// hand passes b on to Next and returns an empty batch, or nil once the
// read-ahead is stopped. Sending never blocks: there are only aheadBatches
// batches.
func (ra *readAhead) hand(b *batch) *batch {
	ra.full <- b
	return ra.take()
}

// next returns the next packet read ahead, waiting for it if need be.
func (ra *readAhead) next() (*Packet, error) {
	for ra.cur == nil || ra.i == ra.cur.n {
		if ra.err != nil {
			return nil, ra.err
		}
		if ra.cur != nil {
			b := ra.cur
			ra.cur = nil
			if b.err != nil {
				ra.err = b.err
				continue
			}
			ra.free <- b // never blocks, as in hand
		}
		// The reader sends a batch with the source's error before it ends,
		// and stops early only at close, after which Next does not come
		// here: this receive always gets a batch.
		ra.cur, ra.i = <-ra.full, 0
	}
	p := &ra.cur.pkts[ra.i]
	ra.i++
	return p, nil
}

// idle reports whether Next has handed out everything read and the source
// had nothing more read ahead.
func (ra *readAhead) idle() bool {
	if ra.err != nil {
		return true
	}
	if ra.cur == nil {
		return len(ra.full) == 0
	}
	return ra.i == ra.cur.n && ra.cur.idle && len(ra.full) == 0
}

// close stops the reading goroutine and waits for it to end.
func (ra *readAhead) close() {
	ra.stopOnce.Do(func() { close(ra.stop) })
	<-ra.done
	ra.cur = nil
}
