//go:build !(linux || darwin)

package traffic

import (
	"context"
	"net/netip"
)

// runner is not available here: no scenario can run on this system.
type runner struct {
	ctx  context.Context
	loop netip.Addr
	port uint16
	log  *Feed
}

func (r *runner) closeAll() {}

// scenarios is empty: the generator needs Linux or macOS.
func scenarios() []Scenario { return nil }

// FreePort is not available here: the generator needs Linux or macOS.
func FreePort(a netip.Addr) (uint16, error) { return 0, errUnsupported }
