# Targets for working on tcpshow. The test suite itself is ./test.sh, which
# needs nothing but Go and sh; these are conveniences around it.

GO ?= go
CORPUS ?= ../shared/corpus/tcpdump-tests

.PHONY: all build test golden tshark-refs difftest-corpus fuzz bench bench-tools clean

all: build

# With libpcap's headers installed, live capture goes through libpcap;
# without them, through AF_PACKET sockets (Linux).
PCAP_TAGS ?= $(shell test -e /usr/include/pcap/pcap.h -o -e /usr/include/pcap.h && echo -tags pcap)
build:
	$(GO) build $(PCAP_TAGS) -o tcpshow ./cmd/tcpshow

test:
	./test.sh

# Rewrite the golden files after an intended change of output.
golden:
	$(GO) test ./render -update

# Re-store tshark's view of every capture in testdata/ (needs tshark).
tshark-refs:
	testdata/tshark.sh

# Hold the decoder against tshark over tcpdump's test captures (needs tshark).
difftest-corpus:
	@test -d $(CORPUS) || { echo "no corpus at $(CORPUS)"; exit 1; }
	rm -rf .cache/corpus-tsv
	testdata/tshark.sh -o .cache/corpus-tsv $(CORPUS)/*.pcap $(CORPUS)/*.pcapng >/dev/null
	TCPSHOW_TSHARK_CORPUS=$(abspath $(CORPUS)):$(CURDIR)/.cache/corpus-tsv $(GO) test ./cmd/tcpshow -run TestTsharkCorpus -count=1

# Fuzz every target for FUZZTIME each (default 1m).
FUZZTIME ?= 1m
fuzz:
	for pkg in ./capture ./decode ./render; do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			$(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# Compare tcpshow with tcpdump, tshark and tcptrace on a large loopback
# capture, recorded once into BENCH_DIR (needs root for tcpdump on lo the
# first time), and print the table. Delete BENCH_DIR to record afresh.
BENCH_DIR ?= .cache/bench
BENCH_RUNS ?= 3
bench: build bench-tools
	$(GO) build -o $(BENCH_DIR)/load ./testdata/load
	$(GO) run ./testdata/bench -tcpshow ./tcpshow -load $(BENCH_DIR)/load -dir $(BENCH_DIR) -runs $(BENCH_RUNS)

# Install the reference tools the benchmark compares with, where apt and
# root allow; the table marks the others "not installed".
BENCH_TOOLS = tcpdump:tcpdump tshark:tshark tcptrace:tcptrace /usr/bin/time:time
bench-tools:
	@missing=""; for t in $(BENCH_TOOLS); do \
		command -v $${t%%:*} >/dev/null 2>&1 || missing="$$missing $${t#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || \
			echo "could not install$$missing: the table marks them not installed"; \
		else \
			echo "not root or no apt: the table marks$$missing not installed"; \
		fi; \
	fi

# Live capture on lo at LIVE_PPS packets a second for LIVE_SECONDS (needs
# root): how many tcpshow captured, showed, skipped and the kernel dropped,
# through libpcap (-tags pcap) and AF_PACKET, each as packets arrive and
# with --batch 10ms.
LIVE_PPS ?= 100000
LIVE_SECONDS ?= 10
bench-live:
	for tags in pcap ""; do for batch in "" 10ms; do \
		TCPSHOW_BENCH_PPS=$(LIVE_PPS) TCPSHOW_BENCH_SECONDS=$(LIVE_SECONDS) TCPSHOW_BENCH_BATCH=$$batch \
			$(GO) test -tags "$$tags" ./cmd/tcpshow -run '^$$' -bench '^BenchmarkLiveLoopback$$' -benchtime 1x -count 1 -v | grep -v '^goos\|^goarch\|^pkg\|^cpu' || exit 1; \
	done; done

clean:
	rm -rf tcpshow .cache
