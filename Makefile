# Targets for working on tcpshow. The test suite itself is ./test.sh, which
# needs nothing but Go and sh; these are conveniences around it.

GO ?= go
CORPUS ?= ../shared/corpus/tcpdump-tests

.PHONY: all build test golden tshark-refs difftest-corpus fuzz clean

all: build

build:
	$(GO) build -o tcpshow ./cmd/tcpshow

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

clean:
	rm -rf tcpshow .cache
