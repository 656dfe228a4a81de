package traffic

import "golang.org/x/sys/unix"

// fionread is FIONREAD on macOS: _IOR('f', 127, int).
const fionread = 0x4004667f

// queued returns the bytes waiting to be read on a TCP socket.
func queued(fd int) (int, error) { return unix.IoctlGetInt(fd, fionread) }
