# fakecri — see README.md. Every target installs and builds what it needs first,
# and only what changed: a second `make run` on a built tree starts at once.
.PHONY: run test test-deps bench lint build install uninstall clean fuzz chaos

NODE_DEPS := node_modules/.package-lock.json
GENERATED := src/generated/.stamp
BUILT := dist/.stamp
# What tsc compiles (tsconfig.json): no tests, no generated code (GENERATED).
SOURCES := $(shell find src -name '*.ts' ! -name '*.test.ts' ! -path 'src/test/*' ! -path 'src/generated/*')

$(NODE_DEPS): package-lock.json
	npm ci --no-audit --no-fund

$(GENERATED): proto/runtime/v1/api.proto $(NODE_DEPS)
	npm run gen
	touch $@

$(BUILT): $(SOURCES) $(GENERATED) tsconfig.json package.json $(NODE_DEPS)
	node_modules/.bin/tsc -p .
	chmod +x dist/cli/main.js
	touch $@

build: $(BUILT)

# Serve with the embedded default configuration.
run: build
	node dist/cli/main.js serve $(ARGS)

# The whole suite. The registry tests need Debian packages: as root they are
# installed here, otherwise this says which and stops (scripts/test-deps.sh).
test: test-deps build
	node_modules/.bin/vitest run $(TEST_ARGS)

test-deps:
	scripts/test-deps.sh

bench: build
	node dist/bench/main.js

lint: $(GENERATED)
	node_modules/.bin/tsc -p . --noEmit
	node_modules/.bin/tsc -p tsconfig.test.json --noEmit

# `fakecri` on PATH: a link to this tree's build, in $(PREFIX)/bin
# (/usr/local/bin as root, ~/.local/bin otherwise). `make uninstall` removes it.
PREFIX ?= $(if $(filter 0,$(shell id -u)),/usr/local,$(HOME)/.local)
install: build
	mkdir -p $(PREFIX)/bin
	ln -sfn $(CURDIR)/dist/cli/main.js $(PREFIX)/bin/fakecri
	@echo "installed $(PREFIX)/bin/fakecri -> $(CURDIR)/dist/cli/main.js"
	@case ":$$PATH:" in *":$(PREFIX)/bin:"*) ;; *) echo "note: $(PREFIX)/bin is not on your PATH";; esac

uninstall:
	rm -f $(PREFIX)/bin/fakecri

# Hostile input (README "Hostile input, races and crashes"). make fuzz: a
# bounded fuzzer on loopback, fixed seed; FUZZ_ARGS="--calls 100000 --seconds
# 3600" for the long form (--seed N, --deadline MS, --concurrency N).
# make chaos: kill -9 under load, as root (a tmpfs);
# CHAOS_ARGS="--kills 200".
FUZZ_ARGS ?= --calls 5000 --seconds 600
CHAOS_ARGS ?= --kills 20

fuzz: build
	node dist/bench/hostile/fuzz.js $(FUZZ_ARGS)

chaos: build
	node dist/bench/hostile/chaos.js $(CHAOS_ARGS)

clean:
	rm -rf dist src/generated

# ---------------------------------------------------------------------------
# Local cluster and end-to-end tests: a real kubelet (and apiserver, etcd) on fakecri.
# Not part of `make test`. Needs root and the Kubernetes binaries in $(KUBE_BIN_DIR)
# (default /opt/kube-bin; scripts/get-kube-binaries.sh VERSION DIR downloads them).
#   make cluster [CLUSTER_ARGS="--control-plane --imagefs-size 2g ..."]   (daemon mode;
#                 CLUSTER_ARGS=--foreground to stay in the foreground; quote values
#                 with < for the shell: CLUSTER_ARGS="--eviction-hard 'imagefs.available<20%'";
#                 all options: scripts/local-up.sh --help)
#   make cluster-down
#   make e2e      every scenario in e2e/ in turn (e2e/run.sh), each bringing its own
#                 cluster up and down, all of them even after a failure; then a table
#                 (scenario, result, seconds, bytes written), and a non-zero exit if any
#                 failed. E2E_ONLY=imagegc (or "smoke faults") picks some.
#                 Scenarios: smoke imagegc imagefs-eviction ephemeral-storage
#                 upstream-eviction faults streaming checkpoint hollow-nodes
#                 split-detect split-imagefs split-containerfs split-off (CRI-O personality)
#   make e2e-smoke  just the smoke scenario (a pod runs)
# Each scenario holds /tmp/fakecri-kubelet.lock while its cluster runs (one kubelet
# cluster per machine), so concurrent runs wait for each other.
# WORK_DIR (default /tmp/fakecri-cluster) selects the cluster's work directory.
.PHONY: cluster cluster-down e2e e2e-smoke

CLUSTER_ARGS ?=

cluster: build
	scripts/local-up.sh --daemon $(CLUSTER_ARGS)

cluster-down:
	scripts/local-down.sh

e2e: build
	E2E_ONLY="$(E2E_ONLY)" e2e/run.sh

e2e-smoke: build
	E2E_ONLY=smoke e2e/run.sh

# ---------------------------------------------------------------------------
# Upstream's node e2e suite (e2e_node.test from $(KUBE_BIN_DIR), unchanged) against
# fakecri: e2e/node/run.sh (--help). Needs root; holds /tmp/fakecri-kubelet.lock.
#   make e2e-node FOCUS='LocalStorageCapacityIsolationEviction' [SKIP='...'] [E2E_NODE_ARGS='--nodefs-size 12G']
# Summary: $E2E_NODE_WORK_DIR/summary.txt (default /tmp/fakecri-e2e-node), also printed.
.PHONY: e2e-node

FOCUS ?=
SKIP ?=
E2E_NODE_ARGS ?=

e2e-node: build
	e2e/node/run.sh --focus "$(FOCUS)" --skip "$(SKIP)" $(E2E_NODE_ARGS)

# ---------------------------------------------------------------------------
# critest: the cri-tools validation suite (kubernetes-sigs/cri-tools v1.35.0) against
# fakecri, on its own socket and state directory. Not part of `make test`; needs no
# kubelet (run it as root: a few specs mount tmpfs). Needs critest from $KUBE_BIN_DIR
# (default /opt/kube-bin), $PATH or CRITEST=/path/to/critest; e2e/critest.sh says where
# it comes from when it is missing (scripts/get-kube-binaries.sh VERSION DIR downloads it
# with crictl).
#   make critest [CRITEST_ARGS="--ginkgo.focus=Image --ginkgo.v"]
# Summary: $CRITEST_WORK_DIR/summary.txt (default /tmp/fakecri-critest), also printed.
# Expected failures, each with its reason: e2e/critest-expected-failures.txt.
.PHONY: critest

critest: build
	e2e/critest.sh
