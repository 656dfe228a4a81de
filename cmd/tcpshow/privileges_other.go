//go:build !unix

package main

// privDrop is the user a live capture runs as once its device is open:
// never anyone else on this system.
type privDrop struct {
	name     string
	uid, gid int
}

// dropTarget returns nil: this system has no users to drop to, and -Z is
// refused.
func dropTarget(_ *env, name string) (*privDrop, error) {
	if name != "" {
		return nil, usagef("-Z is not supported on this system")
	}
	return nil, nil
}

func (d *privDrop) apply() error { return nil }
