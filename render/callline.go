package render

import "io"

// AppendCallLine appends c as one line (without a newline) in the style of
// the lines format, marked "CALL" where packet lines say "IP":
//
//	14:08:35.385021 CALL client 127.0.0.1.39270 > 127.0.0.1.18080: connect(fd 3, 127.0.0.1:18080) = 0
//
// The endpoints are the socket's local one, then its peer when it has one.
func AppendCallLine(b []byte, c *Call, o *Options) []byte {
	b = appendClock(b, c.Time.In(o.loc()))
	b = append(b, ' ')
	if o.Color {
		b = append(b, ansiCyan...)
	}
	b = append(b, "CALL "...)
	b = append(b, c.Side...)
	if c.Local.IsValid() {
		b = append(b, ' ')
		b = appendEndpoint(b, c.Local)
	}
	if c.Peer.IsValid() {
		b = append(b, " > "...)
		b = appendEndpoint(b, c.Peer)
	}
	b = append(b, ": "...)
	b = append(b, c.Name...)
	b = append(b, '(')
	b = appendCallText(b, c.Args)
	b = append(b, ") = "...)
	if o.Color && len(c.Result) > 0 && c.Result[0] == '-' {
		b = append(b, ansiRed...)
	}
	b = appendCallText(b, c.Result)
	if o.Color {
		b = append(b, ansiReset...)
	}
	return b
}

// WriteCall writes c as a line of its own (see AppendCallLine), in the
// order it comes among the packets.
func (l *Lines) WriteCall(c Call) error {
	l.buf = AppendCallLine(l.buf[:0], &c, &l.o)
	l.buf = append(l.buf, '\n')
	_, err := l.w.Write(l.buf)
	return err
}

// WriteCall writes c as a line of its own between the packets' tables.
func (t *Table) WriteCall(c Call) error {
	b := AppendCallLine(nil, &c, &t.o)
	b = append(b, "\n\n"...)
	_, err := t.w.Write(b)
	return err
}

// WriteCalls writes calls one line each, as AppendCallLine formats them:
// the timeline of a traffic generator run.
func WriteCalls(w io.Writer, calls []Call, o Options) error {
	var b []byte
	for i := range calls {
		b = AppendCallLine(b[:0], &calls[i], &o)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// appendCallText appends a call's text, which the generator has already
// quoted C-style: backslashes stay as they are, anything that could drive
// the terminal is escaped.
func appendCallText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			b = append(b, '\\')
			continue
		}
		j := i
		for j < len(s) && s[j] != '\\' {
			j++
		}
		b = appendEscaped(b, s[i:j])
		i = j - 1
	}
	return b
}
