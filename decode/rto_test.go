package decode

import (
	"testing"
	"time"
)

// TestRTTEstimator follows RFC 6298 §2 by hand over a few samples.
func TestRTTEstimator(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	steps := []struct {
		sample               time.Duration
		srtt, rttvar, rawRTO time.Duration
		rto                  time.Duration
	}{
		// 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR = 300 ms, raised to 1 s.
		{ms(100), ms(100), ms(50), ms(300), time.Second},
		// 2.3: RTTVAR = 3/4·50 + 1/4·|100-200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5.
		{ms(200), ms(112.5), ms(62.5), ms(362.5), time.Second},
		// RTTVAR = 3/4·62.5 + 1/4·1887.5 = 518.75; SRTT = 7/8·112.5 + 1/8·2000 = 348.4375.
		{ms(2000), ms(348.4375), ms(518.75), ms(2423.4375), ms(2423.4375)},
		// RTTVAR = 3/4·518.75 + 1/4·99651.5625 = 25301.953125; SRTT = 7/8·348.4375 + 1/8·100000;
		// the RTO is capped at 60 s (2.5).
		{100 * time.Second, ms(12804.8828125), ms(25301.953125), ms(114012.6953125), 60 * time.Second},
	}
	var e RTTEstimator
	if e.RTO() != time.Second || e.RawRTO() != 0 {
		t.Errorf("before any sample: RTO %v, raw %v; want 1s (rule 2.1) and 0", e.RTO(), e.RawRTO())
	}
	near := func(a, b time.Duration) bool { return (a - b).Abs() <= time.Microsecond }
	for i, s := range steps {
		e.Sample(s.sample)
		if e.Samples != i+1 || !near(e.SRTT, s.srtt) || !near(e.RTTVar, s.rttvar) || !near(e.RawRTO(), s.rawRTO) || !near(e.RTO(), s.rto) {
			t.Errorf("after sample %d (%v): SRTT %v RTTVAR %v raw RTO %v RTO %v; want %v %v %v %v",
				i+1, s.sample, e.SRTT, e.RTTVar, e.RawRTO(), e.RTO(), s.srtt, s.rttvar, s.rawRTO, s.rto)
		}
	}
}

// TestRTTEstimatorGranularity checks that G bounds the variation term.
func TestRTTEstimatorGranularity(t *testing.T) {
	e := RTTEstimator{Granularity: 10 * time.Millisecond}
	e.Sample(time.Millisecond) // RTTVAR = 0.5 ms: 4·RTTVAR = 2 ms < G
	if got, want := e.RawRTO(), 11*time.Millisecond; got != want {
		t.Errorf("raw RTO %v, want SRTT + G = %v", got, want)
	}
}
