package render

import "testing"

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hello from client", "Hello from client"},
		{"line\r\nnext\ttab", `line\r\nnext\ttab`},
		{"\x1b]0;pwned\x07", `\x1b]0;pwned\x07`}, // OSC title change
		{"\x1b[2J\x1b[H", `\x1b[2J\x1b[H`},       // clear screen, cursor home
		{"\u009b31m", `\u009b31m`},               // 8-bit CSI
		{"a\u202eb", `a\u202eb`},                 // bidi override
		{"zero\u200bwidth", `zero\u200bwidth`},   // zero-width space
		{"back\\slash", `back\\slash`},           // escapes stay unambiguous
		{"caf\xc3\xa9 \xff", `café \xff`},        // valid UTF-8 kept, invalid escaped
		{"\x00\x7f", `\x00\x7f`},                 // NUL and DEL
		{"日本語", "日本語"},
		{"a\u061cb", `a\u061cb`},               // Arabic letter mark, a bidi control
		{"\u2066iso\u2069", `\u2066iso\u2069`}, // bidi isolates
		{"\ue000", `\ue000`},                   // private use
		{"\U000e0001", `\U000e0001`},           // language tag
		{"\u00a0é\u0301", "\u00a0é\u0301"},     // no-break space and a combining accent stay
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := string(appendEscaped(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("appendEscaped([]byte(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzEscape(f *testing.F) {
	f.Add("\x1b]0;title\x07 plain text \u202e")
	f.Fuzz(func(t *testing.T, s string) {
		for _, r := range Escape(s) {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || !printable(r) {
				t.Fatalf("Escape(%q) lets %U through", s, r)
			}
		}
	})
}
