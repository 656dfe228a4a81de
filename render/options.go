package render

import "time"

// Options controls how renderers draw.
type Options struct {
	// ASCII draws with plain ASCII characters instead of Unicode box
	// drawing.
	ASCII bool
	// Color adds ANSI colours. Set it only when writing to a terminal.
	Color bool
	// Location is the time zone for wall-clock times; nil means UTC.
	Location *time.Location
	// Width is the terminal width the output should fit; 0 means 80.
	Width int
	// MaxRows is how many packets a ladder holds per conversation before it
	// summarises the middle; 0 means DefaultMaxRows.
	MaxRows int
	// Raw shows raw sequence and acknowledgment numbers on ladder arrows
	// instead of relative ones.
	Raw bool
	// Explain adds short teaching notes (see Explainer) next to the
	// packets they are about, in the formats that can show them.
	Explain bool
}

// loc returns the time zone to print wall-clock times in.
func (o *Options) loc() *time.Location {
	if o.Location == nil {
		return time.UTC
	}
	return o.Location
}

// width returns the width to fit, at least 80 columns.
func (o *Options) width() int {
	if o.Width < 80 {
		return 80
	}
	return o.Width
}
