# sparkhook: the two set-up commands are `make run` and `make test`.
SWIFT ?= swift
PYTHON ?= python3
LISTEN ?= 127.0.0.1:8443
POLICY ?= examples/production.yaml
BIN := .build/debug
RELEASE_BIN := .build/release

.PHONY: build release certs run test test-swift test-policies test-e2e bench bench-instructions bench-apiserver fuzz soak manifests clean

build:
	$(SWIFT) build

# Release builds link the Swift runtime statically, as the image does: only the runtime pages the
# server touches count in its memory (idle RSS 15 MB instead of 19 MB).
RELEASE_FLAGS := -c release --static-swift-stdlib

release:
	$(SWIFT) build $(RELEASE_FLAGS)

# Development CA and serving certificate (kept if they exist; FORCE=1 certs/generate.sh to renew).
certs: certs/tls.crt
certs/tls.crt:
	certs/generate.sh certs

run: build certs
	@echo "sparkhook on https://$(LISTEN) with $(POLICY). Preview a fixture from another shell:"
	@echo "  curl -s --cacert certs/ca.crt -H 'Content-Type: application/json' --data-binary @Tests/Fixtures/executor-operator.json https://$(LISTEN)/preview"
	$(BIN)/sparkhook serve --listen $(LISTEN) --tls-cert certs/tls.crt --tls-key certs/tls.key --policy $(POLICY)

test: test-swift test-policies test-e2e

# The tests are XCTest; Swift Testing is off so that its empty run prints nothing. A file that
# imports Testing stops the run here rather than having its tests skipped without a word.
test-swift:
	@! grep -rln '^import Testing' Tests || { echo "Tests use Swift Testing: drop --disable-swift-testing below" >&2; exit 1; }
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --disable-swift-testing

# Benchmarks (not part of `make test`: timing on a shared machine is noise, not a verdict).
BENCH_FIXTURES ?= bench/fixtures
bench:
	$(SWIFT) build $(RELEASE_FLAGS) --product sparkhook-bench
	.build/release/sparkhook-bench --fixtures $(BENCH_FIXTURES) --policy $(POLICY)
	bench/load.sh

# Instructions per decision (callgrind): unlike time, the same on a busy machine.
bench-instructions:
	FIXTURES=$(BENCH_FIXTURES) POLICY=$(POLICY) bench/instructions.sh

# What sparkhook adds to pod creation as a real kube-apiserver sees it, against no mutation and a
# MutatingAdmissionPolicy doing the same in CEL (needs KUBEBUILDER_ASSETS: kube-apiserver and etcd).
bench-apiserver:
	$(SWIFT) build $(RELEASE_FLAGS) --product sparkhook
	SPARKHOOK=$(RELEASE_BIN)/sparkhook POLICY=$(POLICY) $(PYTHON) bench/apiserver.py

# Coverage-guided fuzzing (libFuzzer, AddressSanitizer) of the HTTP parser, the admission decision,
# the policy loader and the preview's input: FUZZ_SECONDS per target (`make test` runs each briefly).
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/run.sh

# The release server under load for SOAK_SECONDS while certificates rotate, policies change and
# hostile previews arrive: failed requests, p99, and whether memory and descriptors stay flat.
SOAK_SECONDS ?= 600
soak:
	SOAK_SECONDS=$(SOAK_SECONDS) bench/soak.sh

# The example policies' own test suites, as a team's CI would run theirs.
test-policies: build
	$(BIN)/sparkhook test examples/tests --junit .build/policy-tests.xml

test-e2e: build
	SPARKHOOK_BIN_DIR=$(BIN) $(PYTHON) -m pytest -q -rs Tests/e2e

clean:
	rm -rf .build
