//go:build linux

package render

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/tcpshow/tcpshow/capture/traffic"
)

// TestGeneratorGolden holds the call timeline of every traffic generator
// scenario to a golden file. Only what the kernel chooses is masked: wall
// times, port numbers (named in order of appearance) and file descriptor
// numbers (which depend on the files the process has open: numbered from 3
// in order of first appearance). zerowindow is left out: how many writes and reads it takes
// depends on the kernel's buffer sizes; its unit test checks it.
func TestGeneratorGolden(t *testing.T) {
	for _, s := range traffic.Scenarios() {
		if s.Name == "zerowindow" {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			if _, err := traffic.FreePort(s.Loopback()); err != nil {
				t.Skipf("no %s here: %v", s.Loopback(), err)
			}
			res, err := s.Run(context.Background(), traffic.Options{})
			if err != nil {
				t.Fatal(err)
			}
			calls := make([]Call, len(res.Calls))
			for i, c := range res.Calls {
				calls[i] = Call{Time: c.Time, Proto: c.Proto, Local: c.Local, Peer: c.Peer,
					Side: string(c.Side), Name: c.Name, Args: c.Args, Result: c.Result}
			}
			var buf bytes.Buffer
			if err := WriteCalls(&buf, calls, Options{Location: time.UTC}); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("../testdata/golden/gen", s.Name+".calls"), maskKernel(buf.Bytes()))
		})
	}
}

var (
	clockRE = regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d{6}`)
	portRE  = regexp.MustCompile(`(127\.0\.0\.1|::1\]?)([.:])(\d+)`)
	fdRE    = regexp.MustCompile(`\bfd (\d+)`)
)

// maskKernel replaces the kernel's choices in a call timeline.
func maskKernel(b []byte) []byte {
	b = clockRE.ReplaceAll(b, []byte("hh:mm:ss.uuuuuu"))
	ports := map[string]string{"0": "0"}
	b = portRE.ReplaceAllFunc(b, func(m []byte) []byte {
		sm := portRE.FindSubmatch(m)
		name, ok := ports[string(sm[3])]
		if !ok {
			name = "PORT" + strconv.Itoa(len(ports))
			ports[string(sm[3])] = name
		}
		return append(append(append([]byte(nil), sm[1]...), sm[2]...), name...)
	})
	fds := map[string]int{}
	return fdRE.ReplaceAllFunc(b, func(m []byte) []byte {
		n := string(fdRE.FindSubmatch(m)[1])
		if _, ok := fds[n]; !ok {
			fds[n] = 3 + len(fds)
		}
		return []byte("fd " + strconv.Itoa(fds[n]))
	})
}
