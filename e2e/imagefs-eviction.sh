#!/usr/bin/env bash
# Scenario 3, imagefs.available hard eviction: ballast takes a dedicated imagefs under
# the threshold; the kubelet first reclaims (unused images and containers), sets
# DiskPressure, then evicts the pods one at a time in its ranking order; the condition
# clears once the ballast is drained and the pressure transition period has passed.
#
# Layout: one 256 MiB tmpfs holds images and the containers' writable layers
# (--containerfs-shared). It is a dedicated imagefs (the kubelet's root dir is on another
# device), so for imagefs.available the kubelet ranks pods by their writable layers
# (ListContainerStats writable_layer), which is what the kubelet believes is on imagefs:
# with the CRI stats provider it reports containerfs as equal to imagefs anyway.
#
# The pods (writable layers grown by the fakecri behaviour rootfs_write), in the order
# the kubelet must evict them (rankDiskPressureFunc: usage over the ephemeral-storage
# request first, then lower priority first, then larger usage beyond the request):
#   over-request  high priority, request  2Mi, writes  6Mi   (over its request)
#   low-prio      priority 0,    request 16Mi, writes  4Mi
#   high-big      high priority, request 16Mi, writes 10Mi
#   high-small    high priority, request 16Mi, writes  2Mi
# The containers answer StopContainer's SIGTERM as a process without a handler for it
# does: exit status 143 (behaviour stop). With fakecri's default (exit 0, Completed) the
# kubelet, which evicts with phase Failed and reason Evicted, recomputes the phase of a
# pod whose containers all exited 0 as Succeeded and drops the reason with the phase
# change: the API shows the pods Completed, not Evicted.
#
# An unused 10 MiB image is there too: the reclaim step (the image GC manager's
# DeleteUnusedImages, run by the eviction manager before it ranks pods) must remove it
# (RemoveImage). imageMinimumGCAge is 1s here: an image first seen by a reclaim pass is
# younger than the minimum age in that pass (its firstDetected is that pass's time), so
# the pass after removes it; with the default 2m it would be kept through this scenario,
# since it was pulled after the kubelet started.
#
# The ballast puts everything but the pods and the unused image at 82% of the
# filesystem (threshold imagefs.available<20%), so the pressure holds until the ballast
# is drained, whatever the reclaim and the evictions free.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

THRESHOLD=20
BASELINE=82
PTP=30s
IMAGE=e2e.local/app:1
UNUSED=e2e.local/unused:1

extra=$(mktemp /tmp/fakecri-e2e-evict.XXXXXX.toml)
cat >"$extra" <<'EOF'
[[images.catalog]]
match = "e2e.local/app:*"
size = "1Mi"
layers = 1

[[images.catalog]]
match = "e2e.local/unused:*"
size = "10Mi"
layers = 1
EOF

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
e2e_up --imagefs-size 256m --containerfs-shared \
  --eviction-hard "memory.available<100Mi,nodefs.available<5%,imagefs.available<$THRESHOLD%" \
  --eviction-pressure-transition-period "$PTP" --image-minimum-gc-age 1s \
  --fakecri-config-extra "$extra"
rm -f "$extra"
e2e_log "node $NODE_NAME is Ready"
IMAGEFS=$CLUSTER_WORK_DIR/mnt/imagefs
statfs_used() { stat -f -c '%b %f %S' "$IMAGEFS" | awk '{ printf "%d", ($1 - $2) * $3 }'; }
statfs_size() { stat -f -c '%b %S' "$IMAGEFS" | awk '{ printf "%d", $1 * $2 }'; }
base_used=$(statfs_used)
capacity=$(statfs_size)

k apply -f - >/dev/null <<EOF
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata:
  name: e2e-high
value: 1000
EOF

# mkpod NAME PRIORITYCLASS REQUEST WRITE
mkpod() {
  local name=$1 pc=$2 req=$3 write=$4
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
  annotations:
    fakecri.io/behaviour: '{"rootfs_write": {"rate": "64Mi", "total": "$write"}, "stop": {"mode": "exit", "exit_code": 143}}'
spec:
  nodeName: "$NODE_NAME"
  ${pc:+priorityClassName: $pc}
  containers:
  - name: app
    image: $IMAGE
    resources:
      requests:
        ephemeral-storage: $req
EOF
}
mkpod over-request e2e-high 2Mi 6Mi
mkpod low-prio "" 16Mi 4Mi
mkpod high-big e2e-high 16Mi 10Mi
mkpod high-small e2e-high 16Mi 2Mi
PODS=(over-request low-prio high-big high-small)
for p in "${PODS[@]}"; do e2e_wait 120 "pod $p Running" pod_is "$p" Running; done
cri pull "$UNUSED" >/dev/null
unused_id=$(cri inspecti -o json "$UNUSED" | jq -r .status.id)
e2e_log "4 pods Running; unused image $UNUSED pulled"

# The kubelet must see every writable layer at its full size before the pressure comes.
rootfs_of() { kubelet_get /stats/summary | jq -r --arg p "$1" '.pods[] | select(.podRef.name == $p) | .containers[0].rootfs.usedBytes // 0'; }
all_written() {
  [[ $(rootfs_of over-request) -ge $((6 << 20)) && $(rootfs_of low-prio) -ge $((4 << 20)) &&
    $(rootfs_of high-big) -ge $((10 << 20)) && $(rootfs_of high-small) -ge $((2 << 20)) ]]
}
e2e_wait 60 "/stats/summary to show every pod's writable layer" all_written
for p in "${PODS[@]}"; do printf '    %-13s rootfs %s\n' "$p" "$(e2e_human "$(rootfs_of "$p")")" >&2; done

node_condition_is DiskPressure False || e2e_fail "DiskPressure is $(node_condition DiskPressure) before the ballast"
mark=$(kubelet_log_mark)
seq_before=$(fctl calls --json --rpc RemoveImage | jq '[.[].seq] | max // 0')
ballast=$((capacity * BASELINE / 100 - base_used))
fctl fs fill imagefs "$ballast" >/dev/null
t_fill=$(date +%s)
e2e_log "ballast: $(e2e_human "$ballast") on imagefs; statfs: $(e2e_human "$(statfs_used)") of $(e2e_human "$capacity") used, threshold imagefs.available<$THRESHOLD%"

e2e_wait 60 "node condition DiskPressure=True" node_condition_is DiskPressure True
e2e_log "node has DiskPressure after $(($(date +%s) - t_fill))s"

# Evicted pods end Failed with reason Evicted; the kubelet evicts one per pass.
evicted() { [[ $(k get pod "$1" -o jsonpath='{.status.reason}' 2>/dev/null) == Evicted ]]; }
all_evicted() { for p in "${PODS[@]}"; do evicted "$p" || return 1; done; }
e2e_wait 240 "all four pods evicted" all_evicted
e2e_log "all four pods evicted after $(($(date +%s) - t_fill))s"

log=$(kubelet_log_since "$mark")
# 1. The eviction manager's reclaim removed the unused image through the image GC manager.
grep -q 'Eviction manager: attempting to reclaim" resourceName="ephemeral-storage"' <<<"$log" ||
  e2e_fail "the kubelet did not log 'attempting to reclaim' ephemeral-storage"
grep -q 'Attempting to delete unused images' <<<"$log" || e2e_fail "the kubelet did not run DeleteUnusedImages in reclaim"
removed=$(fctl calls --json --rpc RemoveImage | jq -r --argjson s "$seq_before" '.[] | select(.seq > $s) | .request.image')
grep -qxF "$unused_id" <<<"$removed" || e2e_fail "no RemoveImage of the unused image $unused_id during reclaim (got: $removed)"
e2e_log "reclaim: DeleteUnusedImages removed $UNUSED (RemoveImage $(cut -c1-19 <<<"$unused_id")… recorded by fakecri)"
# 2. The order of the evictions.
order=$(grep -o 'Eviction manager: pod is evicted successfully" pod="default/[^"]*"' <<<"$log" | sed 's/.*pod="default\///; s/"$//' | awk '!seen[$0]++' | tr '\n' ' ')
expected="${PODS[*]} "
[[ $order == "$expected" ]] || e2e_fail "eviction order: got '$order', expected '$expected'"
ranked=$(grep -m1 'pods ranked for eviction' <<<"$log" | grep -o 'pods=\[[^]]*\]')
e2e_log "kubelet ranked $ranked; evicted in order: $order"
# 3. What the apiserver shows: reason Evicted and the kubelet's message.
for p in "${PODS[@]}"; do
  msg=$(k get pod "$p" -o jsonpath='{.status.message}')
  [[ $msg == "The node was low on resource: ephemeral-storage. Threshold quantity:"* ]] ||
    e2e_fail "pod $p: unexpected eviction message: $msg"
done
e2e_log "apiserver: every pod Failed/Evicted: \"$(k get pod over-request -o jsonpath='{.status.message}' | cut -c1-160)…\""
ev=$(k get events --field-selector reason=Evicted -o name | wc -l)
((ev >= 4)) || e2e_fail "expected 4 Evicted events, found $ev"
# A new pod is refused while the node has DiskPressure.
node_condition_is DiskPressure True || e2e_fail "DiskPressure cleared while the ballast is still there"

# 4. Drain: the condition clears once the kubelet has not seen the pressure for the
# transition period. What the kubelet guarantees (eviction manager synchronize:
# nodeConditionsObservedSince) is counted from the last pass of its eviction manager that
# saw the threshold crossed, not from the drain, and on its own clock: so the check
# compares the kubelet's timestamps, not this script's. Each such pass logs "attempting
# to reclaim" (one with stale stats may not, which only moves the bound earlier); the
# condition's lastTransitionTime and the NodeHasNoDiskPressure event say when it cleared.
fctl fs drain imagefs >/dev/null
t_drain=$(date +%s)
e2e_log "ballast drained; statfs: $(e2e_human "$(statfs_used)") used"
e2e_wait 120 "DiskPressure=False after the drain" node_condition_is DiskPressure False
e2e_log "DiskPressure=False $(($(date +%s) - t_drain))s after the drain, by this script's clock"
last_line=$(grep 'Eviction manager: attempting to reclaim' "$KUBELET_LOG" | tail -n 1)
[[ -n $last_line ]] || e2e_fail "no 'attempting to reclaim' line in the kubelet log"
last_seen=$(klog_epoch "$last_line")
cleared_at=$(node_condition_since DiskPressure)
event_at=$(k get events --field-selector involvedObject.kind=Node,reason=NodeHasNoDiskPressure -o json |
  jq -r '[.items[] | (.lastTimestamp // .eventTime // empty)] | max // empty')
[[ -n $event_at ]] || e2e_fail "no NodeHasNoDiskPressure event"
event_at=$(date -d "$event_at" +%s)
((cleared_at - last_seen >= ${PTP%s})) ||
  e2e_fail "DiskPressure lastTransitionTime $(date -ud "@$cleared_at" +%T) is $((cleared_at - last_seen))s after the kubelet last saw the pressure ($(date -ud "@$last_seen" +%T)), before the $PTP transition period"
((event_at - last_seen >= ${PTP%s})) ||
  e2e_fail "NodeHasNoDiskPressure at $(date -ud "@$event_at" +%T), $((event_at - last_seen))s after the kubelet last saw the pressure, before the $PTP transition period"
e2e_log "kubelet: pressure last seen $(date -ud "@$last_seen" +%T), DiskPressure=False at $(date -ud "@$cleared_at" +%T) ($((cleared_at - last_seen))s later; evictionPressureTransitionPeriod $PTP), event NodeHasNoDiskPressure at $(date -ud "@$event_at" +%T)"

k delete pod "${PODS[@]}" --wait=false >/dev/null
e2e_pass imagefs-eviction
