//go:build cgo && !nopcap && (pcap || !linux)

package capture

import (
	"errors"
	"net/netip"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcap"
)

// LiveBackend names what opens live captures in this build.
const LiveBackend = "libpcap"

// pcapHandle is a device opened by libpcap.
type pcapHandle struct {
	h *pcap.Handle
}

// openHandle opens o.Device with libpcap, in immediate mode unless o.Batch
// says otherwise, and sets o.Filter.
func openHandle(o LiveOptions) (handle, error) {
	in, err := pcap.NewInactiveHandle(o.Device)
	if err != nil {
		return nil, pcapOpenError(o.Device, err, "")
	}
	defer in.CleanUp()
	timeout := pollInterval
	if o.Batch > 0 {
		timeout = o.Batch
	}
	for _, err := range []error{
		in.SetSnapLen(o.SnapLen),
		in.SetPromisc(o.Promiscuous),
		in.SetTimeout(timeout),
		in.SetImmediateMode(o.Batch <= 0),
		in.SetBufferSize(o.BufferSize),
	} {
		if err != nil {
			return nil, err
		}
	}
	h, err := in.Activate()
	if err != nil {
		return nil, pcapOpenError(o.Device, err, in.Error().Error())
	}
	if o.Filter != "" {
		if err := h.SetBPFFilter(o.Filter); err != nil {
			h.Close()
			return nil, &FilterError{Filter: o.Filter, Err: errors.New(strings.TrimPrefix(err.Error(), "can't parse filter expression: "))}
		}
	}
	return &pcapHandle{h: h}, nil
}

// pcapOpenError turns libpcap's complaint about opening dev into an error
// tcpshow can explain. detail is libpcap's own message, if any.
func pcapOpenError(dev string, err error, detail string) error {
	msg := strings.ToLower(err.Error() + " " + detail)
	switch {
	case strings.Contains(msg, "permission denied") || strings.Contains(msg, "operation not permitted"):
		return ErrPermission
	case strings.Contains(msg, "no such device"):
		return &UnknownDeviceError{Name: dev, Known: deviceNames()}
	}
	if detail != "" && !strings.Contains(err.Error(), detail) {
		return errors.New(lowerFirst(detail))
	}
	return errors.New(lowerFirst(err.Error()))
}

func (p *pcapHandle) read() ([]byte, gopacket.CaptureInfo, error) {
	data, ci, err := p.h.ZeroCopyReadPacketData()
	switch {
	case err == nil:
		return data, ci, nil
	case err == pcap.NextErrorTimeoutExpired:
		return nil, ci, errIdle
	case err == pcap.NextErrorReadError:
		return nil, ci, errors.New(lowerFirst(p.h.Error().Error()))
	}
	return nil, ci, errors.New(lowerFirst(err.Error()))
}

func (p *pcapHandle) linkType() layers.LinkType { return p.h.LinkType() }

func (p *pcapHandle) snapLen() int { return p.h.SnapLen() }

func (p *pcapHandle) nano() bool { return p.h.Resolution().ToDuration() < time.Microsecond }

func (p *pcapHandle) stats() (LiveStats, error) {
	st, err := p.h.Stats()
	if err != nil {
		return LiveStats{}, err
	}
	return LiveStats{
		Received:         uint64(uint32(st.PacketsReceived)),
		DroppedKernel:    uint64(uint32(st.PacketsDropped)),
		DroppedInterface: uint64(uint32(st.PacketsIfDropped)),
	}, nil
}

func (p *pcapHandle) close() { p.h.Close() }

// libpcap's interface flags (pcap.h).
const (
	pcapIfLoopback = 0x1
	pcapIfUp       = 0x2
	pcapIfRunning  = 0x4
)

// listDevices asks libpcap for the devices it can capture on.
func listDevices() ([]Device, error) {
	ifs, err := pcap.FindAllDevs()
	if err != nil {
		return nil, err
	}
	devs := make([]Device, 0, len(ifs))
	for _, ifc := range ifs {
		d := Device{
			Name:        ifc.Name,
			Description: ifc.Description,
			Loopback:    ifc.Flags&pcapIfLoopback != 0,
			Up:          ifc.Flags&pcapIfUp != 0,
			Running:     ifc.Flags&pcapIfRunning != 0,
		}
		for _, a := range ifc.Addresses {
			ip, ok := netip.AddrFromSlice(a.IP)
			if !ok {
				continue
			}
			ones := ip.Unmap().BitLen()
			if a.Netmask != nil {
				ones, _ = a.Netmask.Size()
			}
			d.Addrs = append(d.Addrs, netip.PrefixFrom(ip.Unmap(), ones))
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// FilterSupport reports nil: libpcap compiles the filters of this build.
func FilterSupport() error { return nil }
