package traffic

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// errUnsupported says that the generator cannot run on this system.
var errUnsupported = errors.New("the traffic generator needs Linux or macOS")

// DefaultTimeout bounds a scenario when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Scenario is one story of the socket lifecycle that Run can play.
type Scenario struct {
	// Name is what Run and the command line call it, e.g. "hello".
	Name string
	// Help says in one line what the scenario does and what it shows.
	Help string

	play func(r *runner) error
}

// Options tune a run.
type Options struct {
	// Port is the port the server binds; 0 lets the kernel choose a free
	// one. The refused scenario connects to this port with nobody
	// listening on it.
	Port uint16
	// Timeout bounds the whole run; 0 means DefaultTimeout.
	Timeout time.Duration
	// Feed, if not nil, hands out the calls while the run goes on.
	Feed *Feed
}

// Result is what a run did.
type Result struct {
	// Scenario is the name of the scenario that ran.
	Scenario string
	// Calls are the socket calls made, in the order they returned.
	Calls []Call
}

// Scenarios returns the scenarios in the order help lists them.
func Scenarios() []Scenario { return scenarios() }

// Lookup returns the scenario with the given name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range scenarios() {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Names returns the scenarios' names, in order.
func Names() []string {
	var names []string
	for _, s := range scenarios() {
		names = append(names, s.Name)
	}
	return names
}

// Run plays the named scenario on the loopback device and returns its
// calls. On error the Result holds the calls made before it, and every
// socket the scenario opened is closed. A scenario that meets the outcome
// it is named for (ECONNREFUSED for refused, ECONNRESET for reset) does
// not return it as an error.
func Run(ctx context.Context, name string, o Options) (Result, error) {
	s, ok := Lookup(name)
	if !ok && len(scenarios()) == 0 {
		return Result{}, fmt.Errorf("traffic: %w", errUnsupported)
	}
	if !ok {
		return Result{}, fmt.Errorf("traffic: unknown scenario %q (choose %s)", name, strings.Join(Names(), ", "))
	}
	return s.Run(ctx, o)
}

// Loopback returns the address the scenario's sockets use: ::1 for ipv6,
// 127.0.0.1 for the others.
func (s Scenario) Loopback() netip.Addr {
	if s.Name == "ipv6" {
		return netip.IPv6Loopback()
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}

// Run plays the scenario; see the package function Run.
func (s Scenario) Run(ctx context.Context, o Options) (Result, error) {
	res := Result{Scenario: s.Name}
	if s.play == nil {
		return res, fmt.Errorf("traffic: scenario %q: %w", s.Name, errUnsupported)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	feed := o.Feed
	if feed == nil {
		feed = NewFeed()
	}
	if !feed.start() {
		return res, fmt.Errorf("traffic: %s: the feed served a run already", s.Name)
	}
	r := &runner{ctx: ctx, loop: s.Loopback(), port: o.Port, log: feed}
	err := s.play(r)
	r.closeAll()
	res.Calls = feed.finish()
	if err != nil {
		return res, fmt.Errorf("traffic: %s: %w", s.Name, err)
	}
	return res, nil
}
