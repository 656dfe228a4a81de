// Package capture owns where frames come from: capture files read in pure Go
// (pcap in either byte order and timestamp precision, and pcapng with several
// interfaces and link types) and, in files of their own, live devices.
//
// A Source hands out one Frame at a time. capture does not decode frames;
// that is package decode's job.
package capture
