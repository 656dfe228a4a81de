package decode

import "time"

// RFC 6298's constants for the retransmission timer.
const (
	// RTTAlpha is the gain of the smoothed RTT: SRTT moves 1/8 of the way
	// towards each new sample.
	RTTAlpha = 0.125
	// RTTBeta is the gain of the RTT variation: RTTVAR moves 1/4 of the way
	// towards each new deviation.
	RTTBeta = 0.25
	// RTOK multiplies RTTVAR in the timeout.
	RTOK = 4
	// MinRTO is the lower bound RFC 6298 (2.4) puts on the timeout.
	MinRTO = time.Second
	// MaxRTO is the upper bound RFC 6298 (2.5) allows.
	MaxRTO = 60 * time.Second
)

// RTTEstimator computes the retransmission timeout from RTT samples as
// RFC 6298 §2 does (the EstimatedRTT and DevRTT of the textbooks). The zero
// value has no sample yet. Karn's rule is the caller's part: never pass a
// sample measured on a segment that was retransmitted.
type RTTEstimator struct {
	// SRTT is the smoothed round-trip time (EstimatedRTT) and RTTVar the
	// round-trip time variation (DevRTT). Valid iff Samples > 0.
	SRTT, RTTVar time.Duration
	// Samples counts the samples taken.
	Samples int
	// Granularity is the clock granularity G of RFC 6298; zero stands for
	// the capture clock's microsecond.
	Granularity time.Duration
}

// Sample takes the round-trip time r into the estimate. The first sample
// sets SRTT = R and RTTVAR = R/2 (rule 2.2); each later one sets
// RTTVAR = (1-β)·RTTVAR + β·|SRTT-R|, then SRTT = (1-α)·SRTT + α·R (rule 2.3).
func (e *RTTEstimator) Sample(r time.Duration) {
	if e.Samples == 0 {
		e.SRTT, e.RTTVar = r, r/2
	} else {
		d := e.SRTT - r
		if d < 0 {
			d = -d
		}
		e.RTTVar = time.Duration((1-RTTBeta)*float64(e.RTTVar) + RTTBeta*float64(d))
		e.SRTT = time.Duration((1-RTTAlpha)*float64(e.SRTT) + RTTAlpha*float64(r))
	}
	e.Samples++
}

// RawRTO returns SRTT + max(G, K·RTTVAR) before the bounds of rules 2.4
// and 2.5 are applied, or 0 before the first sample.
func (e *RTTEstimator) RawRTO() time.Duration {
	if e.Samples == 0 {
		return 0
	}
	g := e.Granularity
	if g <= 0 {
		g = time.Microsecond
	}
	return e.SRTT + max(g, RTOK*e.RTTVar)
}

// RTO returns the retransmission timeout: RawRTO raised to MinRTO and
// capped at MaxRTO, or the initial 1 s of rule 2.1 before any sample.
func (e *RTTEstimator) RTO() time.Duration {
	if e.Samples == 0 {
		return time.Second
	}
	return min(max(e.RawRTO(), MinRTO), MaxRTO)
}
