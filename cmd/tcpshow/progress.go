package main

import (
	"io"
	"strconv"
	"time"
)

// progress draws a bar on standard error while a long replay runs:
//
//	tcpshow: [##########----------]  48%  25.1 of 52.3 MiB, 3s left
//
// It appears only once the replay has run for progressDelay, so short
// replays never show it, redraws at most every progressEvery, and is wiped
// when the replay ends.
type progress struct {
	w     io.Writer
	total int64
	now   func() time.Time
	start time.Time
	last  time.Time // last redraw, zero before the first
	buf   []byte
}

// Timing of the bar.
const (
	progressDelay = time.Second
	progressEvery = 200 * time.Millisecond
	progressWidth = 20 // characters of the bar itself
)

// newProgress returns a bar for reading total bytes, drawn on w. now is the
// clock (time.Now outside tests).
func newProgress(w io.Writer, total int64, now func() time.Time) *progress {
	return &progress{w: w, total: total, now: now, start: now()}
}

// showProgress reports whether a replay writing to out (-o; "" or "-" for
// standard output) should draw a progress bar: only when standard error is
// a terminal and the output does not go to a terminal too (a bar among
// lines scrolling by would garble them), and never in CI or on a dumb
// terminal.
func showProgress(e *env, out string) bool {
	toTerminal := e.terminal && (out == "" || out == "-")
	return e.errTerm && !toTerminal && e.getenv("CI") == "" && e.getenv("TERM") != "dumb"
}

// update redraws the bar for done bytes read, if it is time to.
func (p *progress) update(done int64) {
	t := p.now()
	if t.Sub(p.start) < progressDelay || (!p.last.IsZero() && t.Sub(p.last) < progressEvery) {
		return
	}
	p.last = t
	done = min(max(done, 0), p.total)
	frac := 1.0
	if p.total > 0 {
		frac = float64(done) / float64(p.total)
	}
	b := append(p.buf[:0], "\rtcpshow: ["...)
	filled := int(frac * progressWidth)
	for i := range progressWidth {
		if i < filled {
			b = append(b, '#')
		} else {
			b = append(b, '-')
		}
	}
	b = append(b, "] "...)
	pct := strconv.Itoa(int(frac * 100))
	for range 3 - len(pct) {
		b = append(b, ' ')
	}
	b = append(b, pct...)
	b = append(b, "%  "...)
	b = appendMiB(b, done)
	b = append(b, " of "...)
	b = appendMiB(b, p.total)
	b = append(b, " MiB"...)
	if frac > 0.01 {
		elapsed := t.Sub(p.start)
		left := time.Duration(float64(elapsed) * (1 - frac) / frac).Round(time.Second)
		b = append(b, ", "...)
		b = append(b, left.String()...)
		b = append(b, " left"...)
	}
	b = append(b, "\x1b[K"...) // clear what a longer line left behind
	p.buf = b
	p.w.Write(b)
}

// appendMiB appends n bytes in MiB with one decimal.
func appendMiB(b []byte, n int64) []byte {
	return strconv.AppendFloat(b, float64(n)/(1<<20), 'f', 1, 64)
}

// finish wipes the bar, if it was drawn.
func (p *progress) finish() {
	if !p.last.IsZero() {
		io.WriteString(p.w, "\r\x1b[K")
	}
}
