package decode

// Analysis is the set of conditions a Tracker found on a TCP segment, as
// Wireshark's tcp.analysis flags name them.
type Analysis uint16

// Analysis conditions.
const (
	Retransmission Analysis = 1 << iota
	FastRetransmission
	SpuriousRetransmission
	DupAck
	OutOfOrder
	LostSegment
	ZeroWindow
	WindowFull
	WindowUpdate
	KeepAlive
	ZeroWindowProbe
	KeepAliveAck
	ZeroWindowProbeAck
)

// analysisNames gives each condition its snake_case name, in print order.
var analysisNames = [...]struct {
	a    Analysis
	name string
}{
	{Retransmission, "retransmission"},
	{FastRetransmission, "fast_retransmission"},
	{SpuriousRetransmission, "spurious_retransmission"},
	{DupAck, "dup_ack"},
	{OutOfOrder, "out_of_order"},
	{LostSegment, "lost_segment"},
	{ZeroWindow, "zero_window"},
	{WindowFull, "window_full"},
	{WindowUpdate, "window_update"},
	{KeepAlive, "keep_alive"},
	{ZeroWindowProbe, "zero_window_probe"},
	{KeepAliveAck, "keep_alive_ack"},
	{ZeroWindowProbeAck, "zero_window_probe_ack"},
}

// Has reports whether every condition in x is set.
func (a Analysis) Has(x Analysis) bool { return a&x == x }

// Names returns the snake_case names of the conditions set, in a fixed order.
func (a Analysis) Names() []string {
	var names []string
	for _, an := range analysisNames {
		if a&an.a != 0 {
			names = append(names, an.name)
		}
	}
	return names
}

// AppendNames appends the names of the conditions set, separated by sep.
func (a Analysis) AppendNames(b []byte, sep string) []byte {
	first := true
	for _, an := range analysisNames {
		if a&an.a == 0 {
			continue
		}
		if !first {
			b = append(b, sep...)
		}
		first = false
		b = append(b, an.name...)
	}
	return b
}
