package traffic

import "golang.org/x/sys/unix"

// queued returns the bytes waiting to be read on a TCP socket.
func queued(fd int) (int, error) { return unix.IoctlGetInt(fd, unix.SIOCINQ) }
