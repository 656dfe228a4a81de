//go:build !linux && (!cgo || nopcap)

package capture

import (
	"fmt"
	"runtime"
)

// LiveBackend names what opens live captures in this build.
const LiveBackend = "none"

// openHandle fails: without libpcap this system has no capture tcpshow
// can use.
func openHandle(o LiveOptions) (handle, error) {
	return nil, fmt.Errorf("%w, which live capture needs on %s: %s", ErrNoLivePcap, runtime.GOOS, installPcapHint())
}

// installPcapHint says how to get a tcpshow that captures.
func installPcapHint() string {
	if runtime.GOOS == "darwin" {
		return "libpcap ships with macOS; rebuild with CGO_ENABLED=1 and the Xcode command line tools (xcode-select --install)"
	}
	return "install libpcap and its headers (e.g. pkg install libpcap) and rebuild with CGO_ENABLED=1"
}

// listDevices lists the system's interfaces.
func listDevices() ([]Device, error) { return netDevices() }

// FilterSupport reports why live captures of this build take no filters.
func FilterSupport() error { return ErrNoLivePcap }
