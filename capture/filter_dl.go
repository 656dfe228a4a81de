//go:build linux && !(cgo && !nopcap && pcap)

package capture

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/ebitengine/purego"
	"golang.org/x/net/bpf"
)

// libpcapNames are the names the libpcap shared library goes by, newest
// first. Debian's libpcap0.8 package installs libpcap.so.0.8; the -dev
// package adds libpcap.so.
var libpcapNames = []string{"libpcap.so.1", "libpcap.so.0.8", "libpcap.so"}

// errNoLibpcap explains why a filter cannot be compiled.
var errNoLibpcap = errors.New("filters are compiled by libpcap, which is not installed " +
	"(apt-get install libpcap0.8, or capture everything and leave the filter out)")

// bpfProgram is libpcap's struct bpf_program.
type bpfProgram struct {
	len   uint32
	insns *bpf.RawInstruction // struct bpf_insn has RawInstruction's layout
}

// libpcap holds the few libpcap functions that compile a filter. They are
// loaded at run time, so that builds without libpcap's headers (or without
// cgo) still take tcpdump's filter syntax wherever the library is present.
type libpcap struct {
	openDead func(linkType, snapLen int32) uintptr
	compile  func(p uintptr, prog *bpfProgram, filter string, optimize int32, netmask uint32) int32
	geterr   func(p uintptr) string
	freecode func(prog *bpfProgram)
	close    func(p uintptr)
}

// loadLibpcap opens the libpcap shared library.
func loadLibpcap() (*libpcap, error) {
	var h uintptr
	var err error
	for _, name := range libpcapNames {
		if h, err = purego.Dlopen(name, purego.RTLD_NOW|purego.RTLD_GLOBAL); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errNoLibpcap
	}
	var lp libpcap
	for _, f := range []struct {
		ptr  any
		name string
	}{
		{&lp.openDead, "pcap_open_dead"},
		{&lp.compile, "pcap_compile"},
		{&lp.geterr, "pcap_geterr"},
		{&lp.freecode, "pcap_freecode"},
		{&lp.close, "pcap_close"},
	} {
		if _, err := purego.Dlsym(h, f.name); err != nil {
			return nil, fmt.Errorf("libpcap has no %s: %w", f.name, err)
		}
		purego.RegisterLibFunc(f.ptr, h, f.name)
	}
	return &lp, nil
}

// compileFilter compiles filter, in tcpdump's syntax, into a socket filter
// for frames of the given link type that keeps snapLen bytes of what it
// accepts. libpcap does the compiling, as it does for tcpdump.
func compileFilter(filter string, linkType, snapLen int) ([]bpf.RawInstruction, error) {
	if strings.IndexByte(filter, 0) >= 0 {
		return nil, errors.New("the filter holds a NUL byte")
	}
	lp, err := loadLibpcap()
	if err != nil {
		return nil, err
	}
	p := lp.openDead(int32(linkType), int32(snapLen))
	if p == 0 {
		return nil, errors.New("libpcap could not set up a filter compiler")
	}
	defer lp.close(p)
	var prog bpfProgram
	// 0xffffffff is PCAP_NETMASK_UNKNOWN: "ip broadcast" is then refused.
	if lp.compile(p, &prog, filter, 1, 0xffffffff) != 0 {
		return nil, errors.New(strings.TrimPrefix(lp.geterr(p), "syntax error in filter expression: "))
	}
	defer lp.freecode(&prog)
	if prog.len == 0 || prog.insns == nil {
		return nil, errors.New("libpcap compiled an empty program")
	}
	return append([]bpf.RawInstruction(nil), unsafe.Slice(prog.insns, prog.len)...), nil
}

// FilterSupport reports nil when live captures can take a filter, that is
// when the libpcap shared library that compiles it can be loaded, or the
// reason they cannot.
func FilterSupport() error {
	_, err := loadLibpcap()
	return err
}
