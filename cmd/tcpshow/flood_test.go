package main

import (
	"bytes"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/tcpshow/tcpshow/render"
)

// floodSYNs is how many SYNs the flood capture holds, each from its own
// address and port.
const floodSYNs = 200_000

// floodMemoryLimit is the peak resident memory allowed for replaying the
// flood, code and runtime included.
const floodMemoryLimit = 100 << 20

// synFlood writes a capture of floodSYNs SYNs to port 80, each from a
// distinct address and port (a SYN flood), and returns its path.
func synFlood(t *testing.T) string {
	t.Helper()
	frames := make([][]byte, 0, floodSYNs)
	for i := range floodSYNs {
		src := net.IPv4(10, byte(i>>16), byte(i>>8), byte(i))
		frames = append(frames, segment{srcAddr: src, sport: uint16(1024 + i%60000), dport: 80, flags: "S", seq: uint32(i) * 7919}.frame(t))
	}
	return writeTemp(t, "flood.pcap", pcapBytes(t, frames...))
}

// TestSYNFlood replays a SYN flood in every format in a child process and
// holds its peak resident memory under floodMemoryLimit: memory must
// follow what is held (bounded conversations), not the packet count.
func TestSYNFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: replays 200,000 packets in every format")
	}
	path := synFlood(t)
	st, _ := os.Stat(path)
	t.Logf("%d SYNs, %d MiB of pcap", floodSYNs, st.Size()>>20)
	for _, f := range render.Formats() {
		t.Run(f.Name, func(t *testing.T) {
			cmd := tcpshowCmd(t, "replay", "--format", f.Name, path)
			devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer devnull.Close()
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = devnull, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %s", err, stderr.String())
			}
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			peak := ru.Maxrss << 10 // kilobytes on Linux
			t.Logf("--format %s: peak RSS %d MiB, %.1fs user", f.Name, peak>>20, float64(ru.Utime.Sec)+float64(ru.Utime.Usec)/1e6)
			if peak > floodMemoryLimit {
				t.Errorf("--format %s: peak resident memory %d MiB, over %d MiB", f.Name, peak>>20, floodMemoryLimit>>20)
			}
			if stderr.Len() > 0 {
				t.Logf("stderr: %s", stderr.String())
			}
		})
	}
}
