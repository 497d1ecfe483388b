# sparkhook: the two set-up commands are `make run` and `make test`.
SWIFT ?= swift
# The Python the tests and benchmarks run: a virtual environment in the build folder, made from
# Tests/e2e/requirements.txt on first use and again whenever that file changes, so that a bare
# python3 (with its venv module, no packages) is all a fresh machine needs. HOST_PYTHON makes it.
HOST_PYTHON ?= python3
VENV := .build/venv
PYTHON ?= $(VENV)/bin/python
LISTEN ?= 127.0.0.1:8443
POLICY ?= examples/production.yaml
BIN := .build/debug
RELEASE_BIN := .build/release
# The version is declared once, in the source (`sparkhook --version`); the image's tag follows it.
VERSION := $(shell sed -n 's/.*static let version = "\(.*\)"/\1/p' Sources/Webhook/Build.swift 2>/dev/null)
IMAGE ?= sparkhook:$(VERSION)
IMAGE_ARCHIVE ?= .build/image/sparkhook.tar

.PHONY: build venv release image test-image test-cluster spark-image spark-venv test-spark certs run test test-swift test-policies test-e2e rollout bench bench-instructions bench-apiserver fuzz soak install clean

build:
	$(SWIFT) build

# The stamp is newer than requirements.txt once pip has installed it; a failed install leaves no
# stamp, so the next run tries again. --clear drops packages an older requirements.txt wanted.
venv: $(VENV)/.installed
$(VENV)/.installed: Tests/e2e/requirements.txt
	$(HOST_PYTHON) -m venv --clear $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r Tests/e2e/requirements.txt
	touch $@

# Release builds link the Swift runtime statically, as the image does: only the runtime pages the
# server touches count in its memory (idle RSS 15 MB instead of 19 MB).
RELEASE_FLAGS := -c release --static-swift-stdlib

release:
	$(SWIFT) build $(RELEASE_FLAGS)

# The image the manifests run (Dockerfile), as an OCI archive holding $(IMAGE), built with buildah
# from bases made of Debian's packages: no Docker engine, no registry (image/build.sh says how).
image:
	VERSION=$(VERSION) IMAGE=$(IMAGE) OUT=$(IMAGE_ARCHIVE) image/build.sh

# The image's own test: run by containerd and runc as the Deployment runs it (no kubelet), compared
# with the debug build. Skipped, saying so, without the archive or without containerd and runc.
test-image: build $(VENV)/.installed
	SPARKHOOK_BIN_DIR=$(BIN) SPARKHOOK_IMAGE_ARCHIVE=$(IMAGE_ARCHIVE) $(PYTHON) -m pytest -q -rs Tests/image

# The cluster tier: sparkhook deployed by the README's commands on the cluster KUBECONFIG names,
# the image loaded by IMAGE_LOAD (an archive path is appended: `kind load image-archive` on kind).
# Skipped, saying so, without them. .ci/run gives it the one-node cluster of ../shared/envtest/node.
test-cluster: build $(VENV)/.installed
	SPARKHOOK_BIN_DIR=$(BIN) SPARKHOOK_IMAGE_ARCHIVE=$(IMAGE_ARCHIVE) $(PYTHON) -m pytest -q -rs -s --durations=0 Tests/cluster

# The real-Spark tier: PySpark's pi by `spark-submit --deploy-mode cluster` from this machine onto
# the cluster KUBECONFIG names, sparkhook deployed as test-cluster deploys it. The Spark image
# (spark-image: Debian's Java 17 and Python, PyPI's pyspark; cached by the versions in
# image/spark/versions) is loaded by IMAGE_LOAD; spark-submit is pyspark's, in a venv of its own.
SPARK_VENV := .build/spark-venv
SPARK_ARCHIVE ?= .build/image/spark.tar
PYSPARK_VERSION := $(shell sed -n 's/^PYSPARK_VERSION=//p' image/spark/versions)
spark-image:
	OUT=$(SPARK_ARCHIVE) image/spark/build.sh

# pyspark's sdist from the folder spark-image downloaded it to, when there (455 MB), else PyPI.
spark-venv: $(SPARK_VENV)/.installed
$(SPARK_VENV)/.installed: image/spark/versions
	$(HOST_PYTHON) -m venv --clear $(SPARK_VENV)
	$(SPARK_VENV)/bin/python -m pip install -q --disable-pip-version-check --find-links .build/image/spark-dist "pyspark==$(PYSPARK_VERSION)"
	touch $@

test-spark: build $(VENV)/.installed $(SPARK_VENV)/.installed
	SPARKHOOK_BIN_DIR=$(BIN) SPARKHOOK_IMAGE_ARCHIVE=$(IMAGE_ARCHIVE) SPARK_IMAGE_ARCHIVE=$(SPARK_ARCHIVE) SPARK_VENV=$(SPARK_VENV) \
	  $(PYTHON) -m pytest -q -rs -s --durations=0 Tests/spark

# Development CA and serving certificate (kept if they exist; RENEW=1 certs/generate.sh certs issues a new
# serving certificate from the same CA, FORCE=1 a new CA too).
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
bench-apiserver: $(VENV)/.installed
	$(SWIFT) build $(RELEASE_FLAGS) --product sparkhook
	SPARKHOOK=$(RELEASE_BIN)/sparkhook POLICY=$(POLICY) $(PYTHON) bench/apiserver.py

# Rolling restarts under load through a real kube-apiserver (needs KUBEBUILDER_ASSETS): 2 and 3
# replicas behind a Service stand-in, ROLLOUT_CYCLES restarts each, then SIGKILL; prints creates,
# failures by message and each replica's share after the settle time.
ROLLOUT_CYCLES ?= 10
rollout: build $(VENV)/.installed
	ROLLOUT_CYCLES=$(ROLLOUT_CYCLES) $(PYTHON) Tests/e2e/rollout.py --sparkhook $(BIN)/sparkhook

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

test-e2e: build $(VENV)/.installed
	SPARKHOOK_BIN_DIR=$(BIN) $(PYTHON) -m pytest -q -rs --durations=12 Tests/e2e

# The binary, its shell completions and its man page under PREFIX (DESTDIR for packaging), each
# written from the command line's own description: the completions by swift-argument-parser, the man
# page by docs/manpage.py from the same description (with defaults, allowed values and examples).
# INSTALL_BUILD/INSTALL_BIN: which build to install (the release one; the install test uses debug's,
# which make test has built).
PREFIX ?= /usr/local
INSTALL_BUILD ?= release
INSTALL_BIN ?= $(RELEASE_BIN)
install: $(INSTALL_BUILD)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(INSTALL_BIN)/sparkhook $(DESTDIR)$(PREFIX)/bin/sparkhook
	$(INSTALL_BIN)/sparkhook --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/sparkhook
	$(INSTALL_BIN)/sparkhook --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_sparkhook
	$(INSTALL_BIN)/sparkhook --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/sparkhook.fish
	$(INSTALL_BIN)/sparkhook --experimental-dump-help | python3 docs/manpage.py > $(DESTDIR)$(PREFIX)/share/man/man1/sparkhook.1
	chmod 644 $(DESTDIR)$(PREFIX)/share/man/man1/sparkhook.1

clean:
	rm -rf .build
