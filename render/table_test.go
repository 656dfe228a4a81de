package render

import "testing"

// TestIPLength checks how the table shows an IP length field: as it is,
// or, past what 16 bits hold, as the 0 the field held and the frame's
// length.
func TestIPLength(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "0"},
		{60, "60"},
		{65535, "65535"},
		{80032, "0 (BIG TCP: 80032 from the frame)"},
	} {
		if got := ipLength(tc.n); got != tc.want {
			t.Errorf("ipLength(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
