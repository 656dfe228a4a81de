//go:build linux && !(cgo && !nopcap && pcap)

package capture

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/afpacket"
	"github.com/gopacket/gopacket/layers"
	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// LiveBackend names what opens live captures in this build.
const LiveBackend = "AF_PACKET"

// ARPHRD values of /sys/class/net/DEV/type (linux/if_arp.h).
const (
	arphrdEther    = 1
	arphrdLoopback = 772
	arphrdNone     = 65534
)

// Sizes of the memory-mapped ring the kernel fills: blocks of whole
// packets, each block at least as large as loopback's largest packet.
const (
	immediateBlockSize = 1 << 18
	batchBlockSize     = 1 << 20
	frameSize          = 1 << 16
)

// packetHandle is a device opened through a Linux AF_PACKET socket, for
// builds without libpcap.
type packetHandle struct {
	tp   *afpacket.TPacket
	lt   layers.LinkType
	snap int
}

// openHandle opens o.Device with an AF_PACKET socket. The kernel filter
// it attaches keeps one copy of each loopback packet: AF_PACKET sees them
// twice, going out and coming in, and libpcap keeps the incoming one.
func openHandle(o LiveOptions) (handle, error) {
	// Packets are packed into blocks (TPACKET_V3), each handed over when it
	// is full or its timeout after its first packet. Without o.Batch the
	// timeout is the shortest there is, and blocks are small, so that
	// packets show about as they arrive.
	bs, timeout := immediateBlockSize, time.Millisecond
	if o.Batch > 0 {
		bs, timeout = batchBlockSize, max(o.Batch, time.Millisecond)
	}
	opts := []any{
		afpacket.OptTPacketVersion(afpacket.TPacketVersion3),
		afpacket.OptBlockSize(bs),
		afpacket.OptFrameSize(frameSize),
		afpacket.OptNumBlocks(max(4, o.BufferSize/bs)),
		afpacket.OptBlockTimeout(timeout),
		afpacket.OptPollTimeout(pollInterval),
	}
	lt := layers.LinkTypeEthernet
	loIndex := 0
	if o.Device == "any" {
		// Every device: without link headers, as IP packets.
		opts = append(opts, afpacket.OptSocketType(afpacket.SocketDgram))
		lt = layers.LinkTypeRaw
		if lo := loopbackDevice(); lo != nil {
			loIndex = lo.Index
		}
	} else {
		ifc, err := net.InterfaceByName(o.Device)
		if err != nil {
			return nil, &UnknownDeviceError{Name: o.Device, Known: deviceNames()}
		}
		opts = append(opts, afpacket.OptInterface(o.Device))
		switch arphrd(o.Device) {
		case arphrdEther, arphrdLoopback:
		case arphrdNone:
			lt = layers.LinkTypeRaw // tun devices: IP packets as they are
		default:
			opts = append(opts, afpacket.OptSocketType(afpacket.SocketDgram))
			lt = layers.LinkTypeRaw
		}
		if ifc.Flags&net.FlagLoopback != 0 {
			loIndex = ifc.Index
		}
	}
	// The user's filter, in tcpdump's syntax, is compiled by libpcap when
	// the library is installed, for frames as this socket delivers them.
	var user []bpf.RawInstruction
	if o.Filter != "" {
		dlt := dltEN10MB
		if lt == layers.LinkTypeRaw {
			dlt = dltRaw
		}
		var err error
		if user, err = compileFilter(o.Filter, dlt, o.SnapLen); err != nil {
			return nil, &FilterError{Filter: o.Filter, Err: err}
		}
	}
	tp, err := afpacket.NewTPacket(opts...)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, ErrPermission
		}
		return nil, fmt.Errorf("open AF_PACKET socket: %w", err)
	}
	prog, err := bpf.Assemble(kernelFilter(loIndex, o.SnapLen))
	if err == nil && user != nil {
		prog = append(prog[:len(prog)-1], user...)
	}
	if err == nil {
		err = tp.SetBPF(prog)
	}
	if err != nil {
		tp.Close()
		return nil, fmt.Errorf("attach kernel filter: %w", err)
	}
	return &packetHandle{tp: tp, lt: lt, snap: o.SnapLen}, nil
}

// DLT values that libpcap's filter compiler takes for the frames an
// AF_PACKET socket delivers.
const (
	dltEN10MB = 1
	dltRaw    = 12
)

// kernelFilter returns the socket filter of an AF_PACKET capture: drop
// what the loopback device at index loIndex (if not 0) sends, since it
// receives the same packet right after, and keep snap bytes of the rest.
// Its last instruction is that keep, which openHandle replaces with the
// user's compiled filter when there is one (its jumps are relative, so it
// runs unchanged after the instructions before it).
func kernelFilter(loIndex, snap int) []bpf.Instruction {
	keep := bpf.RetConstant{Val: uint32(snap)}
	if loIndex == 0 {
		return []bpf.Instruction{keep}
	}
	return []bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtInterfaceIndex},
		bpf.JumpIf{Cond: bpf.JumpNotEqual, Val: uint32(loIndex), SkipTrue: 3},
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.PACKET_OUTGOING, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
		keep,
	}
}

// arphrd returns the hardware type of device dev, or -1 if unknown.
func arphrd(dev string) int {
	b, err := os.ReadFile("/sys/class/net/" + dev + "/type")
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

// loopbackDevice returns the first loopback interface, or nil.
func loopbackDevice() *net.Interface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	for i := range ifs {
		if ifs[i].Flags&net.FlagLoopback != 0 {
			return &ifs[i]
		}
	}
	return nil
}

func (p *packetHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := p.tp.ZeroCopyReadPacketData()
	switch {
	case err == nil:
		if len(data) > p.snap {
			data = data[:p.snap]
			ci.CaptureLength = p.snap
		}
		return data, ci, nil
	case errors.Is(err, afpacket.ErrTimeout):
		return nil, ci, errIdle
	case errors.Is(err, afpacket.ErrPoll):
		return nil, ci, errors.New("the device went away or failed (poll error on the packet socket)")
	}
	return nil, ci, err
}

func (p *packetHandle) linkType() layers.LinkType { return p.lt }

func (p *packetHandle) snapLen() int { return p.snap }

func (p *packetHandle) nano() bool { return true }

func (p *packetHandle) stats() (LiveStats, error) {
	_, v3, err := p.tp.SocketStats()
	if err != nil {
		return LiveStats{}, err
	}
	return LiveStats{Received: uint64(v3.Packets()), DroppedKernel: uint64(v3.Drops())}, nil
}

func (p *packetHandle) close() { p.tp.Close() }

// listDevices lists the system's interfaces.
func listDevices() ([]Device, error) { return netDevices() }
