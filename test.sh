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

# The pictures are checked in real renderers: the HTML page in headless
# Chromium, the Mermaid diagrams by Mermaid's own command-line tool (npm's
# @mermaid-js/mermaid-cli, driving the same Chromium). Set
# TCPSHOW_NO_BROWSER=1 to skip both.
if [ "$(uname -s)" = Linux ] && [ -z "${TCPSHOW_NO_BROWSER:-}" ]; then
	install_debs chromium fonts-dejavu-core || say "could not install chromium: the browser tests will skip"
	command -v npm >/dev/null 2>&1 || install_debs nodejs npm || say "could not install npm: the Mermaid rendering test will skip"
	if command -v npm >/dev/null 2>&1 && command -v chromium >/dev/null 2>&1; then
		mmdc_dir=$PWD/.cache/mmdc
		if [ ! -x "$mmdc_dir/node_modules/.bin/mmdc" ]; then
			say "installing @mermaid-js/mermaid-cli into .cache/mmdc"
			mkdir -p "$mmdc_dir"
			(cd "$mmdc_dir" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --silent --no-audit --no-fund @mermaid-js/mermaid-cli >/dev/null 2>&1) ||
				say "npm could not install @mermaid-js/mermaid-cli: the Mermaid rendering test will skip"
		fi
		if [ -x "$mmdc_dir/node_modules/.bin/mmdc" ]; then
			printf '{"executablePath":"%s","args":["--no-sandbox","--disable-gpu","--no-first-run","--disable-background-networking","--disable-component-update","--disable-sync"]}\n' \
				"$(command -v chromium)" >"$mmdc_dir/puppeteer.json"
			export TCPSHOW_MMDC="$mmdc_dir/node_modules/.bin/mmdc" TCPSHOW_MMDC_PUPPETEER="$mmdc_dir/puppeteer.json"
		fi
	fi
fi

# On Linux a plain build captures through AF_PACKET sockets (filters
# compiled by the libpcap shared library when it is installed), so that it
# needs no libpcap headers; -tags pcap builds the libpcap backend. Both are
# tested where the headers are there.
tags=""
if [ "$(uname -s)" = Linux ]; then
	if [ -e /usr/include/pcap/pcap.h ] || [ -e /usr/include/pcap.h ]; then
		tags="-tags pcap"
	else
		say "no libpcap headers: testing the AF_PACKET backend only"
	fi
fi

say "go vet"
go vet $tags ./...
say "build without cgo"
CGO_ENABLED=0 go build -o /dev/null ./cmd/tcpshow
say "go test $tags"
go test $tags -count=1 -timeout 30m ./...
if [ -n "$tags" ]; then
	say "live capture tests without libpcap (AF_PACKET)"
	go vet ./...
	go test -count=1 -run 'Live|Devices|Loopback|Interfaces|FrameRing|Demo' ./capture ./cmd/tcpshow
fi

fuzztime=${FUZZTIME:-10s}
if [ "$fuzztime" != 0 ]; then
	for pkg in ./capture ./decode ./render; do
		for target in $(go test $tags -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
			say "fuzz $pkg $target for $fuzztime"
			# The log is shown only when fuzzing fails. A finding always
			# writes its input under testdata/fuzz, which is printed too so
			# that it can become a seed. Go's fuzzing engine can also stop at
			# the end of -fuzztime with "context deadline exceeded" and no
			# input when the machine is busy (golang/go#51484): that is no
			# finding, and is said so rather than failing the run.
			log=$(mktemp)
			if ! go test $tags -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
				found=$(git status --porcelain --untracked-files=all -- "$pkg/testdata/fuzz" 2>/dev/null | sed -n 's/^?? //p')
				if [ -z "$found" ] && grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input' "$log"; then
					say "fuzz $pkg $target: the engine stopped at its deadline without a failing input (golang/go#51484), not a finding:"
					tail -n 5 "$log"
				else
					cat "$log"
					for f in $found; do
						say "failing input $f:"
						cat "$f"
					done
					rm -f "$log"
					exit 1
				fi
			fi
			rm -f "$log"
		done
	done
fi
say "all tests passed"
