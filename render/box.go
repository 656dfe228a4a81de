package render

import (
	"unicode"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

// appendBoxTable appends rows under header drawn exactly as tablewriter's
// Blueprint renderer draws them with tcpshow's options (light or ASCII
// borders, cells left-aligned and padded by one space, no wrapping), and
// reports true. If a cell holds anything but printable characters one
// column wide, or space at either end, it appends nothing and reports
// false: tablewriter then draws the table, width rules and all.
//
// The table format draws one table per packet, and tablewriter's setup
// and per-cell work cost about a millisecond a table; this costs a few
// microseconds. TestBoxTableMatchesTablewriter and FuzzBoxTable hold the
// two to the same bytes.
func appendBoxTable(b []byte, ascii bool, header []string, rows [][]string) ([]byte, bool) {
	var stack [8]int
	widths := stack[:0]
	if len(header) > len(stack) {
		widths = make([]int, 0, len(header))
	}
	for _, h := range header {
		n, ok := boxCellWidth(h)
		if !ok {
			return b, false
		}
		widths = append(widths, n)
	}
	for _, r := range rows {
		if len(r) != len(header) {
			return b, false
		}
		for i, cell := range r {
			n, ok := boxCellWidth(cell)
			if !ok {
				return b, false
			}
			widths[i] = max(widths[i], n)
		}
	}
	bar, hz := "│", "─"
	top := [3]string{"┌", "┬", "┐"}
	mid := [3]string{"├", "┼", "┤"}
	bot := [3]string{"└", "┴", "┘"}
	if ascii {
		bar, hz = "|", "-"
		top, mid, bot = [3]string{"+", "+", "+"}, [3]string{"+", "+", "+"}, [3]string{"+", "+", "+"}
	}
	rule := func(b []byte, c [3]string) []byte {
		for i, w := range widths {
			if i == 0 {
				b = append(b, c[0]...)
			} else {
				b = append(b, c[1]...)
			}
			for range w + 2 {
				b = append(b, hz...)
			}
		}
		b = append(b, c[2]...)
		return append(b, '\n')
	}
	row := func(b []byte, cells []string) []byte {
		for i, cell := range cells {
			// Every character was found one column wide above.
			b = appendBoxCell(b, bar, cell, utf8.RuneCountInString(cell), widths[i])
		}
		b = append(b, bar...)
		return append(b, '\n')
	}
	b = rule(b, top)
	b = row(b, header)
	b = rule(b, mid)
	for _, r := range rows {
		b = row(b, r)
	}
	return rule(b, bot), true
}

// appendBoxCell appends one cell of a table row as tablewriter's Blueprint
// renderer draws it: the bar before it, a space, the cell, which takes n
// columns, and spaces to fill the column's width w and one more.
func appendBoxCell(b []byte, bar, cell string, n, w int) []byte {
	b = append(b, bar...)
	b = append(b, ' ')
	b = append(b, cell...)
	for range w - n + 1 {
		b = append(b, ' ')
	}
	return b
}

// boxCellWidth returns the columns cell takes on a terminal, and false if
// appendBoxTable must leave it to tablewriter: invalid UTF-8, a character
// that is not printable or that tablewriter does not count as one column
// (its width rules follow the locale's East Asian setting), or space at
// either end (which tablewriter trims).
func boxCellWidth(cell string) (int, bool) {
	n := 0
	ascii := true
	for i := 0; i < len(cell); {
		c := cell[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7f {
				return 0, false
			}
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(cell[i:])
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return 0, false
		}
		ascii = false
		i += size
		n++
	}
	if len(cell) > 0 && (cell[0] == ' ' || cell[len(cell)-1] == ' ') {
		return 0, false
	}
	if !ascii && twwidth.Width(cell) != n {
		return 0, false // a character two columns wide, or none
	}
	return n, true
}
