package traffic

import (
	"slices"
	"sync"
	"time"
)

// A Feed hands out the calls of a running scenario while it runs, for
// programs that show them among the packets of a live capture. Pass it in
// Options.Feed and read it from another goroutine. A call is handed out
// once its socket's endpoints are known (a socket() call waits for the
// bind or connect that follows it), in the order the calls returned.
// A Feed serves one run.
type Feed struct {
	mu      sync.Mutex
	calls   []Call
	settled []bool // settled[i]: calls[i] has its endpoints
	next    int    // calls[:next] have been handed out
	started bool
	done    bool
}

// NewFeed returns a Feed for one run.
func NewFeed() *Feed { return &Feed{} }

// Before returns the calls not handed out yet that returned before t, in
// order. It waits up to wait for the scenario to get past t (for every call
// that returns before t to have returned and its endpoints to be known),
// then returns what it has.
func (f *Feed) Before(t time.Time, wait time.Duration) []Call {
	end := time.Now().Add(wait)
	for {
		f.mu.Lock()
		if f.passed(t) || !time.Now().Before(end) {
			out := f.take(func(c *Call) bool { return c.Time.Before(t) })
			f.mu.Unlock()
			return out
		}
		f.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

// Rest waits up to wait for the run to end and returns every call not
// handed out yet.
func (f *Feed) Rest(wait time.Duration) []Call {
	end := time.Now().Add(wait)
	for {
		f.mu.Lock()
		if f.done || !time.Now().Before(end) {
			if f.done {
				for i := range f.settled {
					f.settled[i] = true
				}
			}
			out := f.take(func(*Call) bool { return true })
			f.mu.Unlock()
			return out
		}
		f.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

// Done reports whether the run has ended.
func (f *Feed) Done() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.done
}

// passed reports whether every call returning before t has been recorded
// with its endpoints. f.mu is held.
func (f *Feed) passed(t time.Time) bool {
	if f.done {
		return true
	}
	for i := f.next; i < len(f.calls); i++ {
		if !f.settled[i] {
			return !f.calls[i].Time.Before(t)
		}
	}
	// Any call still to come will return after now.
	return !time.Now().Before(t)
}

// take hands out the settled calls from f.next on while ok holds for them.
// f.mu is held.
func (f *Feed) take(ok func(*Call) bool) []Call {
	i := f.next
	for i < len(f.calls) && f.settled[i] && ok(&f.calls[i]) {
		i++
	}
	out := slices.Clone(f.calls[f.next:i])
	f.next = i
	return out
}

// add records c, stamping it with the time now: it returns c's index.
func (f *Feed) add(c Call, settled bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.Time = time.Now()
	f.calls = append(f.calls, c)
	f.settled = append(f.settled, settled)
	return len(f.calls) - 1
}

// len returns how many calls have been recorded.
func (f *Feed) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// update changes the recorded calls at idx with fn and marks them
// settled.
func (f *Feed) update(idx []int, fn func(*Call)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, i := range idx {
		fn(&f.calls[i])
		f.settled[i] = true
	}
}

// start claims f for a run; it reports false if f served one already.
func (f *Feed) start() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.started {
		return false
	}
	f.started = true
	return true
}

// finish marks the run ended and returns a copy of its calls.
func (f *Feed) finish() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.done = true
	return slices.Clone(f.calls)
}
