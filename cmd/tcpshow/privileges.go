//go:build unix

package main

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// privDrop is the user a live capture runs as once its device is open.
type privDrop struct {
	name     string
	uid, gid int
	groups   []int
}

// dropTarget returns whom to run as after opening the capture device: the
// user named by -Z, or under sudo the user who ran it (SUDO_UID, SUDO_GID).
// It returns nil when tcpshow is not running as root or there is no one to
// drop to.
func dropTarget(e *env, name string) (*privDrop, error) {
	if os.Geteuid() != 0 {
		if name != "" {
			if u, err := user.Lookup(name); err == nil && u.Uid == strconv.Itoa(os.Getuid()) {
				return nil, nil
			}
			return nil, usagef("-Z %s: only root can change user", name)
		}
		return nil, nil
	}
	if name != "" {
		u, err := user.Lookup(name)
		if err != nil {
			return nil, usagef("-Z %s: no such user", name)
		}
		d := &privDrop{name: name}
		d.uid, err = strconv.Atoi(u.Uid)
		if err == nil {
			d.gid, err = strconv.Atoi(u.Gid)
		}
		if err != nil {
			return nil, fmt.Errorf("-Z %s: user ids %s:%s are not numbers", name, u.Uid, u.Gid)
		}
		if gids, err := u.GroupIds(); err == nil {
			for _, g := range gids {
				if n, err := strconv.Atoi(g); err == nil {
					d.groups = append(d.groups, n)
				}
			}
		}
		if d.uid == 0 {
			return nil, nil
		}
		return d, nil
	}
	su, sg := e.getenv("SUDO_UID"), e.getenv("SUDO_GID")
	if su == "" {
		return nil, nil
	}
	uid, err := strconv.Atoi(su)
	if err != nil || uid < 0 {
		return nil, fmt.Errorf("SUDO_UID %q is not a user id", su)
	}
	if uid == 0 {
		return nil, nil
	}
	gid := uid
	if sg != "" {
		if gid, err = strconv.Atoi(sg); err != nil || gid < 0 {
			return nil, fmt.Errorf("SUDO_GID %q is not a group id", sg)
		}
	}
	d := &privDrop{name: "uid " + su, uid: uid, gid: gid}
	if u, err := user.LookupId(su); err == nil {
		d.name = u.Username
		if gids, err := u.GroupIds(); err == nil {
			for _, g := range gids {
				if n, err := strconv.Atoi(g); err == nil {
					d.groups = append(d.groups, n)
				}
			}
		}
	}
	return d, nil
}

// apply switches the whole process (every thread) to d's user and groups.
// There is no way back.
func (d *privDrop) apply() error {
	groups := d.groups
	if len(groups) == 0 {
		groups = []int{d.gid}
	}
	if err := syscall.Setgroups(groups); err != nil {
		return fmt.Errorf("drop privileges to %s: set groups: %w", d.name, err)
	}
	if err := syscall.Setgid(d.gid); err != nil {
		return fmt.Errorf("drop privileges to %s: set gid %d: %w", d.name, d.gid, err)
	}
	if err := syscall.Setuid(d.uid); err != nil {
		return fmt.Errorf("drop privileges to %s: set uid %d: %w", d.name, d.uid, err)
	}
	if os.Getuid() != d.uid || os.Geteuid() != d.uid || os.Getgid() != d.gid {
		return fmt.Errorf("drop privileges to %s: still running as uid %d", d.name, os.Geteuid())
	}
	return nil
}
