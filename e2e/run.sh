#!/usr/bin/env bash
# Run the e2e scenarios one after the other (`make e2e`), each with a cluster of its own,
# and print a table of their results, wall times and real bytes written.
#
#   e2e/run.sh                       all of them
#   E2E_ONLY=imagegc e2e/run.sh      one (or several: E2E_ONLY="smoke faults")
#
# Scenarios: smoke (a pod runs), imagegc, imagefs-eviction, ephemeral-storage, faults,
# upstream-eviction (upstream's eviction_test.go busybox pods, in megabytes).
# CRI-O personality, the kubelet on its cAdvisor stats path (KEP-4191 split imagefs):
# split-detect, split-imagefs, split-containerfs, split-off (one filesystem).
# Each takes /tmp/fakecri-kubelet.lock for its own run only (e2e/lib.sh e2e_up), so other
# users of the machine get their turn between two scenarios. E2E_KEEP_GOING=1 runs the
# rest after a failure.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL=(smoke imagegc imagefs-eviction ephemeral-storage upstream-eviction faults split-detect split-imagefs split-containerfs split-off)
read -r -a selected <<<"${E2E_ONLY:-${ALL[*]}}"
for s in "${selected[@]}"; do
  [[ -x $here/$s.sh ]] || { echo "e2e/run.sh: no scenario '$s' (have: ${ALL[*]})" >&2; exit 2; }
done

export E2E_RESULTS
E2E_RESULTS=$(mktemp /tmp/fakecri-e2e-results.XXXXXX)
trap 'rm -f "$E2E_RESULTS"' EXIT
failed=()
for s in "${selected[@]}"; do
  echo "==== e2e/$s.sh"
  if ! "$here/$s.sh"; then
    failed+=("$s")
    printf '%s\tFAIL\t-\t-\t-\n' "$s" >>"$E2E_RESULTS"
    [[ ${E2E_KEEP_GOING:-0} == 1 ]] || break
  fi
done

human() { [[ $1 == - ]] && echo - || numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }
echo
printf '%-18s %-6s %10s %16s %16s\n' scenario result "wall (s)" "tmpfs written" "disk written"
while IFS=$'\t' read -r name res wall tmpfs disk; do
  printf '%-18s %-6s %10s %16s %16s\n' "$name" "$res" "$wall" "$(human "$tmpfs")" "$(human "$disk")"
done <"$E2E_RESULTS"
((${#failed[@]} == 0)) || { echo "failed: ${failed[*]}"; exit 1; }
