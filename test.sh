#!/bin/sh
# test.sh runs tcpshow's whole test suite. It installs what the tests need
# on a fresh Debian or Ubuntu machine (as root, or with sudo), and says what
# it skips where it cannot.
#
#   ./test.sh           vet, build (with and without cgo), all tests, short fuzzing
#   FUZZTIME=0 ./test.sh   skip the fuzzing step
set -eu
cd "$(dirname "$0")"

say() { printf 'test.sh: %s\n' "$*"; }

# Run a command as root: directly, or through sudo if that works without a
# password prompt.
asroot() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo "$@"
	else
		return 1
	fi
}

# install_debs installs Debian packages that are missing, if it can.
install_debs() {
	command -v apt-get >/dev/null 2>&1 || return 1
	missing=""
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	say "installing$missing"
	asroot env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
		asroot env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

command -v go >/dev/null 2>&1 || { say "Go is not installed: see https://go.dev/doc/install"; exit 1; }

# Tools the tests use where they are present: libpcap headers for live
# capture, tcpdump and tshark as references in end-to-end tests, iproute2
# for the live test whose device disappears (in a network namespace).
if [ "$(uname -s)" = Linux ]; then
	install_debs libpcap-dev tcpdump iproute2 || say "could not install packages (not root, no apt?): tests that need them will skip"
fi

tags=""
if [ "$(uname -s)" = Linux ] && [ ! -e /usr/include/pcap/pcap.h ] && [ ! -e /usr/include/pcap.h ]; then
	say "no libpcap headers: building with -tags nopcap (pure-Go capture only)"
	tags="-tags nopcap"
fi

say "go vet"
go vet $tags ./...
say "build without cgo"
CGO_ENABLED=0 go build -o /dev/null ./cmd/tcpshow
say "go test"
go test $tags -count=1 ./...
if [ -z "$tags" ] && [ "$(uname -s)" = Linux ]; then
	say "live capture tests without libpcap (AF_PACKET)"
	go test -tags nopcap -count=1 -run 'Live|Devices|Loopback|Interfaces|FrameRing' ./capture ./cmd/tcpshow
fi

fuzztime=${FUZZTIME:-10s}
if [ "$fuzztime" != 0 ]; then
	for pkg in ./capture ./decode ./render; do
		for target in $(go test $tags -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
			say "fuzz $pkg $target for $fuzztime"
			go test $tags -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg" >/dev/null
		done
	done
fi
say "all tests passed"
