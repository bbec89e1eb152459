#!/usr/bin/env bash
# CRI-O personality, scenario 2: imagefs pressure on a split image filesystem.
#
# imagefs (512 MiB) and containerfs (256 MiB) are two tmpfs mounts, the kubelet on the
# CRI-O socket (cAdvisor stats path). In split mode the kubelet reclaims imagefs by image
# GC only (DeleteUnusedImages) and ranks pods for imagefs by images only
# (buildSignalToRankFunc: fsStatsImages). It keeps no per-pod image figure (containerUsage
# has no case for it), so every pod weighs 0 there, nobody exceeds a request, and the
# order falls to priority. A writable layer, on containerfs, does not count.
#
# The two pods of split_pods (e2e/split.bash) tell the rankings apart:
#   writer  priority 1000, writes 100 MiB into its writable layer, no request;
#   idle    priority 10, writes nothing, requests 16Mi of ephemeral-storage.
# Ranked by images only, nobody exceeds a request, so idle (lower priority) goes first.
# Had the writable layer counted, writer would exceed its request of 0 and go first,
# priority notwithstanding: split-off (imagefs shared with the writable layers) and
# split-containerfs rank the same two pods so.
#
# An unused 64 MiB image is pulled (crictl, behind the kubelet's back), then ballast takes
# imagefs to 92% (threshold imagefs.available<15%). The kubelet's first reclaim cannot
# remove the image: DeleteUnusedImages records images it has not seen (its own detection
# runs at its start and every 5 min), and imageMinimumGCAge (500ms) counts from that
# record. So it evicts. Asserted: its ranking ["default/idle","default/writer"], idle
# Failed/Evicted for ephemeral-storage with the imagefs threshold in its message, and
# kubelet_evictions{eviction_signal="imagefs.available"} 1. Its next reclaim, at least 1 s
# later (it polls the evicted pod's cleanup once a second), removes the image
# (RemoveImage) and relieves the pressure without evicting: writer stays Running, its
# layer on containerfs untouched, and DiskPressure clears with the ballast still there.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=e2e/split.bash
source "$(dirname "${BASH_SOURCE[0]}")/split.bash"

UNUSED_IMAGE=e2e.local/unused:1
extra=$(mktemp /tmp/fakecri-e2e-split.XXXXXX.toml)
cat >"$extra" <<'TOML'
[[images.catalog]]
match = "e2e.local/unused:*"
size = "64Mi"
layers = 1
TOML
e2e_log "bringing the cluster up in $E2E_WORK_DIR (--personality crio, split)"
e2e_up --personality crio --imagefs-size 512m --containerfs-size 256m --image-minimum-gc-age 500ms \
  --eviction-pressure-transition-period 30s --fakecri-config-extra "$extra"
rm -f "$extra"
e2e_wait 60 'the kubelet to log "Detect Split Filesystem"' grep -q '"Detect Split Filesystem"' "$KUBELET_LOG"
e2e_log "node $NODE_NAME is Ready; the kubelet logged \"Detect Split Filesystem\""
IMAGEFS=$CLUSTER_WORK_DIR/mnt/imagefs
CONTAINERFS=$CLUSTER_WORK_DIR/mnt/containerfs

split_pods 100Mi
split_check_cgroups writer idle
written() { (($(split_rootfs writer) >= 100 << 20)); }
e2e_wait 150 "/stats/summary to show the writer's 100Mi writable layer (cAdvisor measures once a minute)" written
container_before=$(split_statfs_used "$CONTAINERFS")
e2e_log "writer (priority $(k get pod writer -o jsonpath='{.spec.priority}')) and idle (priority $(k get pod idle -o jsonpath='{.spec.priority}')) Running; /stats/summary rootfs: writer $(e2e_human "$(split_rootfs writer)"), idle $(e2e_human "$(split_rootfs idle)"); containerfs $(e2e_human "$container_before") used"
cri pull "$UNUSED_IMAGE" >/dev/null
unused_id=$(cri inspecti -o json "$UNUSED_IMAGE" | jq -r .status.id)
e2e_log "images on fakecri: $(cri images -o json | jq -r '[.images[] | "\(.repoTags[0]) (\(.size | tonumber / 1048576 | floor) MiB)"] | join(", ")'); $UNUSED_IMAGE just pulled, unused"

node_condition_is DiskPressure False || e2e_fail "DiskPressure is $(node_condition DiskPressure) before the ballast"
mark=$(kubelet_log_mark)
seq=$(fctl calls --json | jq '[.[].seq] | max // 0')
before=$(split_statfs_used "$IMAGEFS")
fctl fs fill imagefs 92% >/dev/null
t0=$(date +%s)
ballast=$(($(split_statfs_used "$IMAGEFS") - before))
e2e_log "ballast $(e2e_human "$ballast"): imagefs $(e2e_human "$(split_statfs_used "$IMAGEFS")") used of $(e2e_human "$(split_statfs_size "$IMAGEFS")") (threshold imagefs.available<15%)"

e2e_wait 60 "node condition DiskPressure=True" node_condition_is DiskPressure True
e2e_log "DiskPressure=True after $(($(date +%s) - t0))s"
e2e_wait 90 "pod idle evicted (had the kubelet seen $UNUSED_IMAGE before the fill, its first reclaim would remove it and evict nobody)" split_evicted idle
e2e_log "idle evicted after $(($(date +%s) - t0))s"

# The kubelet's own ranking, from its first eviction after the fill.
ranked=$(split_ranked "$mark")
[[ $ranked == '["default/idle","default/writer"]' ]] ||
  e2e_fail "the kubelet ranked $ranked for imagefs, not [\"default/idle\",\"default/writer\"]: the writable layer counted, or priority did not decide"
first_evicted=$(kubelet_log_since "$mark" | grep -m1 'Eviction manager: pod is evicted successfully' | sed -n 's/.* pod="\([^"]*\)".*/\1/p' || true)
[[ $first_evicted == default/idle ]] || e2e_fail "the first pod evicted was '$first_evicted', not default/idle"
# The threshold in the message is imagefs's 15% (the kubelet multiplies by a float32).
capacity=$(split_statfs_size "$IMAGEFS")
msg=$(k get pod idle -o jsonpath='{.status.message}')
quantity=$(sed -n 's/^The node was low on resource: ephemeral-storage\. Threshold quantity: \([0-9]*[KMG]\{0,1\}i\{0,1\}\),.*/\1/p' <<<"$msg")
quantity=$(numfmt --from=auto "${quantity:-x}" 2>/dev/null || echo 0)
((quantity * 10000 > capacity * 1499 && quantity * 10000 < capacity * 1501)) ||
  e2e_fail "idle's eviction message is not for the imagefs threshold (15% of $capacity bytes): $msg"
ann=$(k get events --field-selector reason=Evicted,involvedObject.name=idle -o json |
  jq -r '[.items[].metadata.annotations.starved_resource // empty] | first // empty')
[[ $ann == ephemeral-storage ]] || e2e_fail "Evicted event of idle: starved_resource is '$ann'"
signal=$(kubelet_get /metrics | grep '^kubelet_evictions{' || true)
grep -qx 'kubelet_evictions{eviction_signal="imagefs.available"} 1' <<<"$signal" ||
  e2e_fail "kubelet_evictions is not one imagefs.available eviction: ${signal:-none}"
! split_evicted writer || e2e_fail "writer was evicted too"
e2e_log "the kubelet ranked $ranked for imagefs (writer's $(e2e_human "$(split_rootfs writer)") layer not counted, priority decided); idle Failed/Evicted: \"${msg:0:120}\", starved_resource=$ann, $signal"

removed_image() {
  fctl calls --json --rpc RemoveImage | jq -e --argjson s "$seq" --arg id "$unused_id" \
    '[.[] | select(.seq > $s and .request.image == $id)] | length > 0' >/dev/null
}
e2e_wait 60 "RemoveImage of the unused image $UNUSED_IMAGE (image GC)" removed_image
e2e_log "image GC removed $UNUSED_IMAGE (RemoveImage recorded by fakecri) after $(($(date +%s) - t0))s; imagefs $(e2e_human "$(split_statfs_used "$IMAGEFS")") used"
reduced() { kubelet_log_since "$mark" | grep -q 'Eviction manager: able to reduce resource pressure without evicting pods'; }
e2e_wait 60 "the kubelet to reduce the pressure without evicting" reduced
e2e_wait 120 "DiskPressure=False (ballast still there)" node_condition_is DiskPressure False
e2e_log "DiskPressure=False $(($(date +%s) - t0))s after the fill, ballast still on imagefs"
pod_is writer Running || e2e_fail "pod writer is $(pod_phase writer), not Running"
container_after=$(split_statfs_used "$CONTAINERFS")
((container_after == container_before)) || e2e_fail "containerfs usage moved from $container_before to $container_after"
e2e_log "writer still Running; containerfs $(e2e_human "$container_before") before, $(e2e_human "$container_after") now"

kubelet_log_since "$mark" |
  grep -E 'Eviction manager: (attempting to reclaim|must evict|pods ranked|pod is evicted successfully|able to reduce)|Removing image to free bytes|Image garbage collection succeeded' |
  cut -c1-300 | awk '!seen[substr($0, index($0, "]"))]++' | head -n 10 | sed 's/^/  /' >&2
complaints=$(split_cgroup_complaints)
[[ -z $complaints ]] || e2e_fail "kubelet complaints about cgroups/cAdvisor: $complaints"

k delete pod writer idle --wait=false >/dev/null
split_pass split-imagefs
