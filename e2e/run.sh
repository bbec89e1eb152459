#!/usr/bin/env bash
# Run the e2e scenarios one after the other (`make e2e`), each with a cluster of its own,
# every one of them even after a failure, then print a table of their results, seconds
# and real bytes written, and exit non-zero if any failed.
#
#   e2e/run.sh                       all of them
#   E2E_ONLY=imagegc e2e/run.sh      one (or several: E2E_ONLY="smoke faults")
#   E2E_STOP_ON_FAILURE=1            stop at the first failure instead
#
# Scenarios: smoke (a pod runs), imagegc, imagefs-eviction, ephemeral-storage, faults,
# upstream-eviction (upstream's eviction_test.go busybox pods, in megabytes), streaming
# (kubectl exec, attach, port-forward and cp), checkpoint (the kubelet's POST /checkpoint,
# then a restore with crictl), image-volume (KEP-4639 image volumes), hollow-nodes (20
# kubelets on one fakecri serve --nodes 20, 600 pods, one node's runtime faulted).
# CRI-O personality, the kubelet on its cAdvisor stats path (KEP-4191 split imagefs):
# split-detect, split-imagefs, split-containerfs, split-off (one filesystem).
# Each takes /tmp/fakecri-kubelet.lock for its own run only (e2e/lib.sh e2e_up), so other
# users of the machine get their turn between two scenarios. A scenario's seconds count
# from when it got the lock; "total" in the table also counts the wait for it.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ALL=(smoke imagegc imagefs-eviction ephemeral-storage upstream-eviction faults streaming checkpoint image-volume hollow-nodes split-detect split-imagefs split-containerfs split-off)
read -r -a selected <<<"${E2E_ONLY:-${ALL[*]}}"
((${#selected[@]})) || selected=("${ALL[@]}")
for s in "${selected[@]}"; do
  [[ -x $here/$s.sh ]] || { echo "e2e/run.sh: no scenario '$s' (have: ${ALL[*]})" >&2; exit 2; }
done

export E2E_RESULTS
E2E_RESULTS=$(mktemp /tmp/fakecri-e2e-results.XXXXXX)
trap 'rm -f "$E2E_RESULTS"' EXIT
failed=()
declare -A total=()
for s in "${selected[@]}"; do
  echo "==== e2e/$s.sh"
  t0=$(date +%s.%N)
  "$here/$s.sh"
  rc=$?
  total[$s]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  if ((rc != 0)); then
    failed+=("$s")
    # The scenario records its own line on PASS (e2e_pass) and on FAIL (e2e_on_exit);
    # this one is for a scenario that died before it could.
    grep -q "^$s"$'\t' "$E2E_RESULTS" || printf '%s\tFAIL\t-\t-\t-\n' "$s" >>"$E2E_RESULTS"
    [[ ${E2E_STOP_ON_FAILURE:-0} == 1 ]] && break
  fi
done

human() { [[ $1 == - ]] && echo - || numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }
echo
printf '%-18s %-6s %8s %8s %15s %15s\n' scenario result seconds total "tmpfs written" "disk written"
while IFS=$'\t' read -r name res wall tmpfs disk; do
  printf '%-18s %-6s %8s %8s %15s %15s\n' "$name" "$res" "$wall" "${total[$name]:--}" "$(human "$tmpfs")" "$(human "$disk")"
done <"$E2E_RESULTS"
for s in "${selected[@]}"; do
  [[ -n ${total[$s]:-} ]] || printf '%-18s %-6s\n' "$s" "not run"
done
echo
if ((${#failed[@]})); then
  echo "e2e: ${#failed[@]} of ${#selected[@]} failed: ${failed[*]}"
  exit 1
fi
echo "e2e: all ${#selected[@]} passed"
