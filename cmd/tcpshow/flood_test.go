package main

import (
	"bytes"
	"net"
	"os"
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
			t.Parallel()
			cmd := tcpshowCmd(t, "replay", "--format", f.Name, path)
			devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer devnull.Close()
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = devnull, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			peak := watchHWM(cmd.Process.Pid)
			err = cmd.Wait()
			hwm := peak()
			if err != nil {
				t.Fatalf("%v: %s", err, stderr.String())
			}
			if hwm == 0 {
				t.Skip("/proc does not give the peak resident memory")
			}
			t.Logf("--format %s: peak RSS %.1f MiB", f.Name, mib(hwm))
			if hwm > floodMemoryLimit {
				t.Errorf("--format %s: peak resident memory %.1f MiB, over %d MiB", f.Name, mib(hwm), floodMemoryLimit>>20)
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr: %s", stderr.String())
			}
		})
	}
}
