#!/usr/bin/env bash
# The cri-tools validation suite (critest) against fakecri (`make critest`).
#
#  1. starts fakecri (dist/, so `make build` first; make critest does) on a socket in the
#     work directory, with a fresh state directory and e2e/critest.toml;
#  2. runs critest against it, with a JSON report;
#  3. writes the summary to $CRITEST_WORK_DIR/summary.txt and prints it: passed, failed,
#     skipped; each failure either expected (it matches a line of
#     e2e/critest-expected-failures.txt, whose reason is shown) or not (its message and
#     where critest failed); and expected failures that now pass (to be taken off the list);
#  4. stops fakecri.
# Exit status: 0 when every failure is an expected one, 1 otherwise.
#
# Environment:
#   CRITEST            the critest binary (default: $KUBE_BIN_DIR/critest, else on $PATH)
#   KUBE_BIN_DIR       default /opt/kube-bin when it exists
#   CRITEST_WORK_DIR   default /tmp/fakecri-critest (emptied at each run)
#   CRITEST_ARGS       more critest arguments, e.g. "--ginkgo.focus=Image --ginkgo.v"
#   CRITEST_SUMMARY_ONLY=1  only summarise the report already in the work directory
set -Eeuo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK_DIR=${CRITEST_WORK_DIR:-/tmp/fakecri-critest}
EXPECTED=$REPO_ROOT/e2e/critest-expected-failures.txt
CONFIG=$REPO_ROOT/e2e/critest.toml
REPORT=$WORK_DIR/report.json
SUMMARY=$WORK_DIR/summary.txt
SOCKET=$WORK_DIR/fakecri.sock
if [[ -z ${KUBE_BIN_DIR:-} && -d /opt/kube-bin ]]; then KUBE_BIN_DIR=/opt/kube-bin; fi

log() { printf '[critest] %s\n' "$*" >&2; }
die() {
  printf '[critest] %s\n' "$*" >&2
  exit 1
}

summarise() {
  node - "$REPORT" "$EXPECTED" "$SUMMARY" <<'EOF'
const fs = require('node:fs');
const [report, expectedFile, out] = process.argv.slice(2);
// Lines: a JavaScript regular expression matched against the full spec name, then
// "  # " and the reason. Blank lines and lines starting with # are comments.
const expected = fs.readFileSync(expectedFile, 'utf8').split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => {
    const i = l.indexOf(' # ');
    if (i < 0) throw new Error(`${expectedFile}: "${l}" has no " # reason"`);
    const pattern = l.slice(0, i).trim();
    return { pattern, re: new RegExp(pattern), reason: l.slice(i + 3).trim(), hits: 0 };
  });
const specs = JSON.parse(fs.readFileSync(report, 'utf8'))
  .flatMap((suite) => suite.SpecReports ?? [])
  .filter((s) => s.LeafNodeType === 'It')
  .map((s) => ({ name: [...(s.ContainerHierarchyTexts ?? []), s.LeafNodeText].join(' '), state: s.State, failure: s.Failure }));
const count = (state) => specs.filter((s) => s.state === state).length;
const failed = specs.filter((s) => !['passed', 'skipped', 'pending'].includes(s.state));
const lines = [];
const expectedFails = [];
const unexpected = [];
for (const s of failed) {
  const e = expected.find((x) => x.re.test(s.name));
  if (e) {
    e.hits++;
    expectedFails.push(`  ${s.name}\n      ${e.reason}`);
  } else {
    const msg = (s.failure?.Message ?? s.state).split('\n').find((l) => l.trim()) ?? s.state;
    const where = s.failure?.Location ? `${s.failure.Location.FileName.replace(/.*\/pkg\//, 'pkg/')}:${s.failure.Location.LineNumber}` : '';
    unexpected.push(`  ${s.name}\n      ${msg.trim().slice(0, 300)}${where ? ` (${where})` : ''}`);
  }
}
const nowPassing = specs.filter((s) => s.state === 'passed' && expected.some((x) => x.re.test(s.name))).map((s) => `  ${s.name}`);
const ran = specs.length - count('skipped') - count('pending');
lines.push(`critest against fakecri: ${count('passed')} of ${ran} specs run passed, ${failed.length} failed (${expectedFails.length} expected, ${unexpected.length} unexpected), ${count('skipped') + count('pending')} skipped; ${specs.length} specs in all`);
lines.push(`expected-failure patterns: ${expected.length} in e2e/critest-expected-failures.txt`);
if (unexpected.length) lines.push('', `UNEXPECTED FAILURES (${unexpected.length}):`, ...unexpected);
if (nowPassing.length) lines.push('', `EXPECTED TO FAIL BUT PASSED (${nowPassing.length}; take them off the list):`, ...nowPassing);
if (expectedFails.length) lines.push('', `expected failures (${expectedFails.length}):`, ...expectedFails);
const unused = expected.filter((x) => x.hits === 0 && !specs.some((s) => x.re.test(s.name)));
if (unused.length) lines.push('', `patterns matching no spec (${unused.length}):`, ...unused.map((x) => `  ${x.pattern}`));
fs.writeFileSync(out, lines.join('\n') + '\n');
process.stdout.write(lines.join('\n') + '\n');
process.exit(unexpected.length ? 1 : 0);
EOF
}

if [[ ${CRITEST_SUMMARY_ONLY:-0} == 1 ]]; then
  [[ -f $REPORT ]] || die "no report at $REPORT: run make critest first"
  summarise
  exit
fi

CRITEST=${CRITEST:-}
if [[ -z $CRITEST ]]; then
  if [[ -n ${KUBE_BIN_DIR:-} && -x $KUBE_BIN_DIR/critest ]]; then
    CRITEST=$KUBE_BIN_DIR/critest
  else
    CRITEST=$(command -v critest || true)
  fi
fi
if [[ -z $CRITEST || ! -x $CRITEST ]]; then
  cat >&2 <<EOF
$(basename "$0"): critest is missing
  looked in: ${CRITEST:-${KUBE_BIN_DIR:+$KUBE_BIN_DIR/critest and }\$PATH}
  critest is the cri-tools validation suite (kubernetes-sigs/cri-tools, v1.35.0); it is not
  part of this repository. Either:
  - download the official release binaries (needs internet access):
      scripts/get-kube-binaries.sh v1.35.0 ~/.cache/fakecri/kube-bin
      export KUBE_BIN_DIR=~/.cache/fakecri/kube-bin
  - or build it from a cri-tools checkout at v1.35.0:
      go test -c -o critest ./cmd/critest
    and set CRITEST=/path/to/critest (or put it in KUBE_BIN_DIR).
EOF
  exit 1
fi
[[ -f $REPO_ROOT/dist/cli/main.js ]] || die "fakecri is not built ($REPO_ROOT/dist/cli/main.js missing): run 'make build' (make critest does)"

if [[ -e $WORK_DIR && ! -f $WORK_DIR/.fakecri-critest && -n $(ls -A "$WORK_DIR") ]]; then
  die "$WORK_DIR is not empty and was not made by this script; pick another CRITEST_WORK_DIR"
fi
rm -rf "$WORK_DIR"
mkdir -p "$WORK_DIR"
touch "$WORK_DIR/.fakecri-critest"

FAKECRI_PID=
cleanup() {
  if [[ -n $FAKECRI_PID ]] && kill -0 "$FAKECRI_PID" 2>/dev/null; then
    kill "$FAKECRI_PID"
    wait "$FAKECRI_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

node "$REPO_ROOT/dist/cli/main.js" serve --socket "$SOCKET" --state-dir "$WORK_DIR/state" --config "$CONFIG" \
  >"$WORK_DIR/fakecri.log" 2>&1 &
FAKECRI_PID=$!
for _ in $(seq 100); do
  [[ -S $SOCKET ]] && break
  kill -0 "$FAKECRI_PID" 2>/dev/null || die "fakecri did not start; see $WORK_DIR/fakecri.log: $(tail -3 "$WORK_DIR/fakecri.log")"
  sleep 0.1
done
[[ -S $SOCKET ]] || die "fakecri did not create $SOCKET within 10s"

log "$("$CRITEST" --version 2>/dev/null | head -1) against fakecri (pid $FAKECRI_PID) on $SOCKET"
log "critest output: $WORK_DIR/critest.log"
t0=$(date +%s)
# shellcheck disable=SC2086 # CRITEST_ARGS is split on purpose
"$CRITEST" --runtime-endpoint "unix://$SOCKET" --image-endpoint "unix://$SOCKET" \
  --ginkgo.no-color --ginkgo.json-report="$REPORT" ${CRITEST_ARGS:-} >"$WORK_DIR/critest.log" 2>&1 || true
log "critest took $(($(date +%s) - t0))s"
[[ -f $REPORT ]] || die "critest wrote no report; see $WORK_DIR/critest.log: $(tail -5 "$WORK_DIR/critest.log")"
cleanup
FAKECRI_PID=
log "summary: $SUMMARY"
summarise
