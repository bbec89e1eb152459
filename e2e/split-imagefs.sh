#!/usr/bin/env bash
# CRI-O personality, scenario 2: imagefs pressure on a split image filesystem.
#
# imagefs (512 MiB) and containerfs (256 MiB) are two tmpfs mounts, the kubelet on the
# CRI-O socket (cAdvisor stats path). In split mode the kubelet reclaims imagefs by image
# GC only (DeleteUnusedImages) and ranks pods for imagefs by images only, which no pod is
# charged for: a writable layer (on containerfs) does not count. A pod "writer" writes
# 100 MiB into its writable layer, three unused 40 MiB images are pulled (crictl, behind
# the kubelet's back), then ballast takes imagefs to 92% (threshold imagefs.available<15%).
#
# The kubelet's first reclaim cannot remove the images: DeleteUnusedImages first records
# images it has not seen (its own detection runs at start and every 5 min), and
# imageMinimumGCAge (1s here) counts from that record. So it evicts the only pod
# (starved resource ephemeral-storage; the ranking, by images only in split mode, has one
# pod to rank, so it shows nothing here). At its next pass (10 s) it removes the three
# images (RemoveImage, recorded by fakecri) and logs that it reduced the pressure without
# evicting; DiskPressure clears with the ballast still there. containerfs is untouched.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=e2e/split.bash
source "$(dirname "${BASH_SOURCE[0]}")/split.bash"

extra=$(mktemp /tmp/fakecri-e2e-split.XXXXXX.toml)
cat >"$extra" <<'TOML'
[[images.catalog]]
match = "e2e.local/unused:*"
size = "40Mi"
layers = 1
TOML
e2e_log "bringing the cluster up in $E2E_WORK_DIR (--personality crio, split)"
e2e_up --personality crio --imagefs-size 512m --containerfs-size 256m --image-minimum-gc-age 1s \
  --eviction-pressure-transition-period 30s --fakecri-config-extra "$extra"
rm -f "$extra"
e2e_wait 60 'the kubelet to log "Detect Split Filesystem"' grep -q '"Detect Split Filesystem"' "$KUBELET_LOG"
e2e_log "node $NODE_NAME is Ready; the kubelet logged \"Detect Split Filesystem\""
IMAGEFS=$CLUSTER_WORK_DIR/mnt/imagefs
CONTAINERFS=$CLUSTER_WORK_DIR/mnt/containerfs

k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: writer
  annotations:
    fakecri.io/behaviour: '{"rootfs_write": {"rate": "50Mi", "total": "100Mi"}, "stop": {"mode": "exit", "exit_code": 143}}'
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10.1
YAML
e2e_wait 120 "pod writer Running" pod_is writer Running
split_check_cgroups writer
ids=()
for i in 1 2 3; do
  cri pull "e2e.local/unused:$i" >/dev/null
  ids+=("$(cri inspecti -o json "e2e.local/unused:$i" | jq -r .status.id)")
done
layer_written() { (($(split_statfs_used "$CONTAINERFS") >= 100 << 20)); }
e2e_wait 30 "the writer's 100Mi on containerfs" layer_written
container_before=$(split_statfs_used "$CONTAINERFS")
e2e_log "writer Running (cgroups: $SPLIT_CGROUP_LINE); containerfs $(e2e_human "$container_before") used; 3 unused images of 40Mi pulled"

node_condition_is DiskPressure False || e2e_fail "DiskPressure is $(node_condition DiskPressure) before the ballast"
mark=$(kubelet_log_mark)
seq=$(fctl calls --json --rpc RemoveImage | jq '[.[].seq] | max // 0')
before=$(split_statfs_used "$IMAGEFS")
fctl fs fill imagefs 92% >/dev/null
t0=$(date +%s)
ballast=$(($(split_statfs_used "$IMAGEFS") - before))
e2e_log "ballast $(e2e_human "$ballast"): imagefs $(e2e_human "$(split_statfs_used "$IMAGEFS")") used of $(e2e_human "$(split_statfs_size "$IMAGEFS")") (threshold imagefs.available<15%)"

e2e_wait 60 "node condition DiskPressure=True" node_condition_is DiskPressure True
e2e_log "DiskPressure=True after $(($(date +%s) - t0))s"
all_removed() {
  local got id
  got=$(fctl calls --json --rpc RemoveImage | jq -r --argjson s "$seq" '.[] | select(.seq > $s) | .request.image')
  for id in "${ids[@]}"; do grep -qxF "$id" <<<"$got" || return 1; done
}
e2e_wait 90 "RemoveImage of the three unused images" all_removed
e2e_log "image GC removed the 3 unused images after $(($(date +%s) - t0))s (RemoveImage recorded by fakecri); imagefs $(e2e_human "$(split_statfs_used "$IMAGEFS")") used"
reduced() { kubelet_log_since "$mark" | grep -q 'Eviction manager: able to reduce resource pressure without evicting pods'; }
e2e_wait 60 "the kubelet to reduce the pressure without evicting" reduced
e2e_wait 120 "DiskPressure=False (ballast still there)" node_condition_is DiskPressure False
e2e_log "DiskPressure=False $(($(date +%s) - t0))s after the fill, ballast still on imagefs"
log=$(kubelet_log_since "$mark")
if grep -q 'pod is evicted successfully" pod="default/writer"' <<<"$log"; then
  msg=$(k get pod writer -o jsonpath='{.status.reason}: {.status.message}')
  [[ $msg == "Evicted: The node was low on resource: ephemeral-storage."* ]] || e2e_fail "writer: $msg"
  ann=$(k get events --field-selector reason=Evicted,involvedObject.name=writer -o json |
    jq -c '[.items[].metadata.annotations | {starved_resource, offending_containers, offending_containers_usage}] | first')
  [[ $(jq -r .starved_resource <<<"$ann") == ephemeral-storage ]] ||
    e2e_fail "Evicted event annotations: $ann"
  e2e_log "first pass, images too new to remove: writer evicted: \"$msg\" (event $ann)"
else
  pod_is writer Running || e2e_fail "pod writer is $(pod_phase writer) but the kubelet did not evict it"
  e2e_log "the kubelet's image detection had seen the images: no eviction, writer still Running"
  ((container_before == $(split_statfs_used "$CONTAINERFS"))) || e2e_fail "containerfs usage changed"
fi
grep -E 'Eviction manager: (attempting to reclaim|able to reduce)|Attempting to delete unused images|Removing image to free bytes|Image garbage collection succeeded' <<<"$log" |
  cut -c1-300 | awk '!seen[substr($0, index($0, "]"))]++' | head -n 8 | sed 's/^/  /' >&2
e2e_log "containerfs: $(e2e_human "$container_before") (the writer's layer) before, $(e2e_human "$(split_statfs_used "$CONTAINERFS")") now (an evicted pod's layer goes with its container)"
complaints=$(split_cgroup_complaints)
[[ -z $complaints ]] || e2e_fail "kubelet complaints about cgroups/cAdvisor: $complaints"
e2e_log "pulled 120Mi of images, ballast $(e2e_human "$ballast"), writable layer 100Mi"

k delete pod writer --wait=false >/dev/null
split_pass split-imagefs
