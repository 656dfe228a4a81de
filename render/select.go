package render

import (
	"net/netip"
	"slices"

	"github.com/tcpshow/tcpshow/decode"
)

// Selection chooses conversations by number, host and port. Each list that
// is not empty must match: a conversation is selected when its ID is in
// Convs, an address of one of its endpoints in Hosts and a port of one of
// them in Ports. The zero Selection selects everything.
type Selection struct {
	// Convs are conversation numbers (decode.Conversation.ID, as the
	// summary and the ladders number them).
	Convs []int
	// Hosts are IP addresses; an IPv4-mapped IPv6 address matches its IPv4
	// address.
	Hosts []netip.Addr
	// Ports are TCP or UDP ports.
	Ports []uint16
}

// All reports whether s selects every conversation.
func (s *Selection) All() bool {
	return len(s.Convs) == 0 && len(s.Hosts) == 0 && len(s.Ports) == 0
}

// Match reports whether s selects c. A nil c (a frame without TCP or UDP)
// is selected only by a Selection that selects everything.
func (s *Selection) Match(c *decode.Conversation) bool {
	if s.All() {
		return true
	}
	if c == nil {
		return false
	}
	if len(s.Convs) > 0 && !slices.Contains(s.Convs, c.ID) {
		return false
	}
	if len(s.Hosts) > 0 && !slices.ContainsFunc(s.Hosts, func(h netip.Addr) bool {
		h = h.Unmap()
		return c.Client.Addr().Unmap() == h || c.Server.Addr().Unmap() == h
	}) {
		return false
	}
	if len(s.Ports) > 0 && !slices.ContainsFunc(s.Ports, func(p uint16) bool {
		return c.Client.Port() == p || c.Server.Port() == p
	}) {
		return false
	}
	return true
}

// Select returns a Writer that passes to w only the packets of the
// conversations s selects, and their ends if w is a ConversationEnder.
// Socket calls go to w unchanged if it is a CallWriter: writers match
// them to the conversations they hold.
func Select(w Writer, s Selection) *Selected {
	return &Selected{w: w, s: s}
}

// Selected is a Writer that passes on the packets of selected
// conversations. It is a CallWriter and a ConversationEnder whatever the
// Writer it wraps; calls and ends the wrapped Writer has no use for are
// dropped.
type Selected struct {
	w Writer
	s Selection
}

// WritePacket passes p on if its conversation is selected.
func (f *Selected) WritePacket(p *decode.Packet) error {
	if !f.s.Match(p.Conv) {
		return nil
	}
	return f.w.WritePacket(p)
}

// WriteCall passes c on if the wrapped Writer shows calls.
func (f *Selected) WriteCall(c Call) error {
	if cw, ok := f.w.(CallWriter); ok {
		return cw.WriteCall(c)
	}
	return nil
}

// EndConversation passes the end of a selected conversation on if the
// wrapped Writer holds conversations.
func (f *Selected) EndConversation(c *decode.Conversation) error {
	if ce, ok := f.w.(ConversationEnder); ok && f.s.Match(c) {
		return ce.EndConversation(c)
	}
	return nil
}

// Close closes the wrapped Writer.
func (f *Selected) Close() error { return f.w.Close() }
