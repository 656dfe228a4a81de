package render

import (
	"unicode"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// appendEscaped appends s for display on a terminal: printable text as it
// is, and every control character, escape sequence introducer, invalid
// UTF-8 byte or non-printing rune as a Go-style escape (\n, \x1b, \u200b).
// Nothing in the result can move the cursor or change the terminal.
func appendEscaped[T string | []byte](b []byte, s T) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			if c == '\\' {
				b = append(b, '\\', '\\')
			} else {
				b = append(b, c)
			}
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, n := decodeRune(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			i++
			continue
		}
		if !printable(r) {
			b = appendUEscape(b, r)
		} else {
			b = utf8.AppendRune(b, r)
		}
		i += n
	}
	return b
}

func decodeRune[T string | []byte](s T) (rune, int) {
	switch v := any(s).(type) {
	case string:
		return utf8.DecodeRuneInString(v)
	case []byte:
		return utf8.DecodeRune(v)
	}
	return utf8.RuneError, 1
}

// printable reports whether r can be shown as itself: a letter, mark,
// number, punctuation, symbol or space. Everything else is escaped: C1
// controls (including the 8-bit CSI, 0x9b), format characters such as bidi
// overrides, isolates and zero-width joiners, line and paragraph
// separators, private-use and unassigned code points.
func printable(r rune) bool {
	return unicode.IsGraphic(r)
}

func appendUEscape(b []byte, r rune) []byte {
	if r > 0xffff {
		b = append(b, '\\', 'U')
		for s := 28; s >= 0; s -= 4 {
			b = append(b, hexDigits[(r>>s)&0xf])
		}
		return b
	}
	b = append(b, '\\', 'u')
	for s := 12; s >= 0; s -= 4 {
		b = append(b, hexDigits[(r>>s)&0xf])
	}
	return b
}

// Escape returns s made safe for a terminal, as the text renderers show
// strings from packets and capture files.
func Escape(s string) string {
	return string(appendEscaped(nil, s))
}
