#!/usr/bin/env bash
# CRI-O personality, scenario 4: not split. One tmpfs (256 MiB) holds images and
# writable layers (--containerfs-shared), so fakecri's /info has no storage_image and
# cAdvisor labels one filesystem crio-images. The kubelet (CRI-O socket, cAdvisor stats
# path) must not log "Detect Split Filesystem", must report imageFs equal to containerFs,
# and evict on imagefs.available (<15%): it is a dedicated imagefs (the kubelet's root
# dir is on another device), ranked by writable layers and images, reclaimed by deleting
# dead containers and unused images. A pod "writer" grows its writable layer past the
# threshold; the kubelet ranks it before the idle pod, though writer's priority is the
# higher (split_pods), and evicts it with starved resource ephemeral-storage. The same
# pods under imagefs pressure when split (split-imagefs) are ranked the other way round.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=e2e/split.bash
source "$(dirname "${BASH_SOURCE[0]}")/split.bash"

e2e_log "bringing the cluster up in $E2E_WORK_DIR (--personality crio, one filesystem)"
e2e_up --personality crio --imagefs-size 256m --containerfs-shared --eviction-pressure-transition-period 30s
e2e_log "node $NODE_NAME is Ready; kubelet endpoint unix://$FAKECRI_SOCKET"

info=$(curl -fsS --unix-socket "$FAKECRI_SOCKET" http://crio/info)
jq -e 'has("storage_image") | not' <<<"$info" >/dev/null || e2e_fail "/info has storage_image on one filesystem: $info"
e2e_log "fakecri /info: $(jq -c '{storage_driver, storage_root}' <<<"$info") (no storage_image)"
# The kubelet decides at its first ImageFsStats; give it the eviction manager's first loops.
runtime_fs_reported() { split_summary | jq -e '.node.runtime.imageFs.capacityBytes > 0' >/dev/null; }
e2e_wait 60 "/stats/summary to report runtime filesystems" runtime_fs_reported
sleep 15
! grep -q '"Detect Split Filesystem"' "$KUBELET_LOG" || e2e_fail "the kubelet logged \"Detect Split Filesystem\" on one filesystem"
read -r icap iavail ccap cavail < <(split_runtime_fs)
((icap == ccap && iavail == cavail && icap == 256 << 20)) ||
  e2e_fail "summary: imageFs $icap/$iavail, containerFs $ccap/$cavail; expected equal, of 256Mi"
e2e_log "no \"Detect Split Filesystem\"; /stats/summary imageFs = containerFs: $(e2e_human "$iavail") free of $(e2e_human "$icap")"

split_writer_eviction "$CLUSTER_WORK_DIR/mnt/imagefs" 15 100Mi
printf '  %s\n' "${SPLIT_EVICTION_LOG//$'\n'/$'\n'  }" >&2
# Expected, as with a real CRI-O without an image store: with no storage_image cAdvisor
# labels no crio-containers filesystem, and the eviction manager logs, at every start,
# "failed to check if we have separate container filesystem. Ignoring." (not split).
expected='failed to check if we have separate container filesystem. Ignoring." err="non-existent label \"crio-containers\"'
grep -qF "$expected" "$KUBELET_LOG" || e2e_fail "the kubelet did not log: $expected"
e2e_log "kubelet, as for CRI-O without an image store: ${expected%%\" err=*}\" (non-existent label crio-containers)"
complaints=$(split_cgroup_complaints | grep -vF "$expected" || true)
[[ -z $complaints ]] || e2e_fail "kubelet complaints about cgroups/cAdvisor: $complaints"
e2e_log "pod bytes written into writable layers: $(e2e_human "$SPLIT_WRITTEN")"

k delete pod writer idle --wait=false >/dev/null
split_pass split-off
