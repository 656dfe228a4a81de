// Package render turns decoded packets and conversations into text and
// pictures written to an io.Writer: one line per packet, per-packet header
// tables, JSON for programs, and the diagrams built on them.
//
// render never opens a capture and never decides what to read: it takes
// decode's types as they stream past. Strings that come from packets or
// capture files are escaped before they are written, so a packet cannot
// send control sequences to a terminal.
package render
