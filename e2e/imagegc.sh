#!/usr/bin/env bash
# Scenario 2, image garbage collection: images fill a dedicated imagefs past
# imageGCHighThresholdPercent, and the kubelet removes unused images until usage is
# under imageGCLowThresholdPercent, keeping the image a running pod uses and the pinned
# sandbox image.
#
#  1. cluster with a 1 GiB imagefs tmpfs of its own (a dedicated imagefs: the kubelet's
#     root dir is elsewhere), imageGCHighThresholdPercent 70, low 50;
#  2. a pod runs image e2e.local/inuse:1 (100 MiB in fakecri's catalog);
#  3. the pause image (pinned) and seven unused 100 MiB images are pulled with crictl:
#     imagefs is ~81% used, which the kubelet's /stats/summary shows;
#  4. the kubelet is restarted (see below why); 5 minutes later it logs "Disk usage on
#     image filesystem is over the high threshold" and calls RemoveImage (fakecri ctl
#     calls) on unused images only, and only as many as bring usage under 50%: four of
#     the seven;
#  5. /stats/summary shows imagefs under the low threshold; the in-use image and the
#     pinned pause image are still there, and three unused ones too.
#
# How long it takes, and why. The kubelet's image GC (GarbageCollect, the only path
# that honours the high/low thresholds and logs that line) runs from
# StartGarbageCollection with wait.Until(..., ImageGCPeriod): once at start, then every
# ImageGCPeriod, which is a constant (pkg/kubelet/kubelet.go: 5 * time.Minute), not a
# config field. The run at start fails here, as on most nodes ("Image garbage collection
# failed once. Stats initialization may not have completed yet" err="invalid capacity 0
# on image filesystem": cAdvisor has no fs stats yet), so the first useful run is 5
# minutes after the kubelet starts, and this scenario waits for it. Restarting the
# kubelet does not help (the run at start fails again). The other path to image removal
# is the eviction manager's reclaim (DeleteUnusedImages), which runs within 10 s of an
# imagefs.available threshold being crossed but removes every unused image and ignores
# the GC thresholds; e2e/imagefs-eviction.sh shows that one.
#
# So images must be known to the image manager before that pass: it records an image
# (firstDetected) in detectImages, which runs when the kubelet starts and every 5
# minutes after, in step with GarbageCollect; an image first seen by the GC pass itself
# is younger than imageMinimumGCAge (default 2m; 0 in the config means the default) and
# is kept. So the images are pulled, then the kubelet is restarted (by pid, same
# command line; the pod keeps running), and its image GC 5 minutes later finds them
# 5 minutes old. Without the restart the first pass that may remove them is the one 10
# minutes after the kubelet started.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GC_HIGH=70
GC_LOW=50
N_UNUSED=7
INUSE_IMAGE=e2e.local/inuse:1
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1

extra=$(mktemp /tmp/fakecri-e2e-imagegc.XXXXXX.toml)
cat >"$extra" <<'EOF'
[[images.catalog]]
match = "e2e.local/*"
size = "100Mi"
layers = 1

[[images.catalog]]
match = "gc-big-*"
size = "100Mi"
layers = 1
EOF

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
# imagefs.available<5%: the eviction manager's reclaim (which removes every unused
# image) must stay out of this scenario; 81% used is 19% available.
e2e_up --imagefs-size 1g --containerfs-size 64m \
  --image-gc-high "$GC_HIGH" --image-gc-low "$GC_LOW" \
  --eviction-hard "memory.available<100Mi,nodefs.available<10%,imagefs.available<5%" \
  --fakecri-config-extra "$extra"
rm -f "$extra"
e2e_log "node $NODE_NAME is Ready"

k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: inuse
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: app
    image: $INUSE_IMAGE
EOF
e2e_wait 120 "pod inuse Running" pod_is inuse Running
e2e_log "pod inuse is Running ($INUSE_IMAGE)"

# fakecri needs no sandbox image to run sandboxes, so nothing pulls it: pull it, as a
# node's image pre-pulling would. fakecri reports it pinned (runtime.sandbox_image).
cri pull "$PAUSE_IMAGE" >/dev/null
[[ $(cri inspecti -o json "$PAUSE_IMAGE" | jq -r .status.pinned) == true ]] || e2e_fail "$PAUSE_IMAGE is not reported pinned"
for i in $(seq 1 "$N_UNUSED"); do cri pull "gc-big-$i:1" >/dev/null; done
e2e_log "pulled $N_UNUSED unused images with crictl: $(cri images | awk 'NR > 1 { printf "%s:%s ", $1, $2 }')"

# imagefs usage as the kubelet computes it for image GC: 100 - available*100/capacity.
imagefs_usage() {
  kubelet_get /stats/summary | jq -r '.node.runtime.imageFs | 100 - ((.availableBytes * 100 / .capacityBytes) | floor)'
}
image_ids() { cri images -q --no-trunc 2>/dev/null | sort; }
over_high() { (($(imagefs_usage) >= GC_HIGH)); }
e2e_wait 90 "/stats/summary to show imagefs >= $GC_HIGH% used (now: $(kubelet_get /stats/summary | jq -c .node.runtime.imageFs))" over_high
usage_before=$(imagefs_usage)
mark=$(kubelet_log_mark)
e2e_restart_kubelet
kubelet_started=$(stat -c %Y "$CLUSTER_WORK_DIR/pids/kubelet.pid")
e2e_log "/stats/summary: imagefs ${usage_before}% used (high threshold $GC_HIGH%)"

inuse_id=$(cri inspecti -o json "$INUSE_IMAGE" | jq -r .status.id)
pause_id=$(cri inspecti -o json "$PAUSE_IMAGE" | jq -r .status.id)
unused_ids=$(for i in $(seq 1 "$N_UNUSED"); do cri inspecti -o json "gc-big-$i:1" | jq -r .status.id; done | sort)
seq_before=$(fctl calls --json --rpc RemoveImage | jq '[.[].seq] | max // 0')

gc_at=$((kubelet_started + 300))
e2e_log "the kubelet's image GC runs every 5 minutes from its start (ImageGCPeriod, a constant): next run about $(date -d "@$gc_at" +%H:%M:%S), in $((gc_at - $(date +%s)))s"
# The pass at the restart itself may already see the usage (or fail on "invalid capacity
# 0" if cAdvisor has no stats yet); it removes nothing, since its images were first
# detected by that very pass. The pass 5 minutes later is the one that removes.
removing_logged() { kubelet_log_since "$mark" | grep -q 'Removing image to free bytes'; }
e2e_wait $((gc_at - $(date +%s) + 60)) "the kubelet's image GC to remove images ('Removing image to free bytes')" removing_logged
gc_log=$(kubelet_log_since "$mark" | sed -n '/Removing image to free bytes/q;p' | grep 'Disk usage on image filesystem is over the high threshold' | tail -n 1)
[[ -n $gc_log ]] || e2e_fail "the kubelet removed images without logging 'over the high threshold' first"
e2e_log "kubelet: ${gc_log#*] }"
under_low() { (($(imagefs_usage) < GC_LOW)); }
e2e_wait 30 "imagefs usage under $GC_LOW% after the GC pass" under_low
sleep 2

removed=$(fctl calls --json --rpc RemoveImage | jq -r --argjson s "$seq_before" '.[] | select(.seq > $s) | "\(.request.image // .request.imageId // .request.image_ref // "")\t\(.code)"')
[[ -n $removed ]] || e2e_fail "fakecri recorded no RemoveImage call after the GC pass"
n_removed=$(wc -l <<<"$removed")
e2e_log "fakecri recorded $n_removed RemoveImage calls:"
while IFS=$'\t' read -r img code; do
  printf '    RemoveImage %s -> %s\n' "$img" "$code" >&2
  [[ $code == OK ]] || e2e_fail "RemoveImage $img answered $code"
  grep -qxF "$img" <<<"$unused_ids" || e2e_fail "the kubelet removed $img, which is not one of the unused images"
done <<<"$removed"
n_logged=$(kubelet_log_since "$mark" | grep -c 'Removing image to free bytes')
((n_logged == n_removed)) || e2e_fail "the kubelet logged $n_logged 'Removing image to free bytes' lines for $n_removed RemoveImage calls"

usage_after=$(imagefs_usage)
((usage_after < GC_LOW)) || e2e_fail "imagefs usage is $usage_after% after GC, expected < $GC_LOW%"
e2e_log "/stats/summary: imagefs ${usage_after}% used (low threshold $GC_LOW%)"

left=$(image_ids)
grep -qxF "$inuse_id" <<<"$left" || e2e_fail "the in-use image $INUSE_IMAGE was removed"
grep -qxF "$pause_id" <<<"$left" || e2e_fail "the pinned image $PAUSE_IMAGE was removed"
n_unused_left=$(comm -12 <(echo "$unused_ids") <(echo "$left") | wc -l)
((n_unused_left > 0)) || e2e_fail "every unused image was removed: the kubelet should stop at the low threshold"
((n_removed + n_unused_left == N_UNUSED)) || e2e_fail "$n_removed removed + $n_unused_left left != $N_UNUSED unused images"
# It stops as soon as the sum of Image.size freed reaches amountToFree: one image fewer
# would not have been enough.
amount=$(grep -o 'amountToFree=[0-9]*' <<<"$gc_log" | cut -d= -f2)
size=$((100 * 1024 * 1024))
((n_removed == (amount + size - 1) / size)) || e2e_fail "removed $n_removed images of 100Mi for amountToFree=$amount"
e2e_log "kept: the in-use image, the pinned pause image and $n_unused_left unused images; removed $n_removed x 100Mi for amountToFree=$amount"
pod_is inuse Running || e2e_fail "pod inuse is no longer Running"

k delete pod inuse --wait=false >/dev/null
e2e_pass imagegc
