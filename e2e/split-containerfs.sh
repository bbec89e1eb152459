#!/usr/bin/env bash
# CRI-O personality, scenario 3: containerfs pressure on a split image filesystem. The
# upstream test/e2e_node/split_disk_test.go, with megabytes instead of 8,000 MiB of dd.
#
# imagefs (512 MiB) and containerfs (256 MiB) are two tmpfs mounts, the kubelet on the
# CRI-O socket (cAdvisor stats path). In split mode the kubelet gives containerfs the
# nodefs thresholds (nodefs.available<10%), reclaims by deleting dead containers, and
# ranks pods by logs + volumes + writable layers. A pod "writer" writes 200 MiB into its
# writable layer, the kubelet sees it (cAdvisor's du of <storage_root>/containers/<id>/diff),
# then its layer grows past the threshold. Asserted: DiskPressure=True; the kubelet ranks
# writer before the idle pod, though writer's priority is the higher (split_pods); writer
# evicted, starved resource ephemeral-storage; its container removed; pressure cleared;
# imagefs untouched; no kubelet complaint about cgroups or cAdvisor's handler.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=e2e/split.bash
source "$(dirname "${BASH_SOURCE[0]}")/split.bash"

e2e_log "bringing the cluster up in $E2E_WORK_DIR (--personality crio, split)"
e2e_up --personality crio --imagefs-size 512m --containerfs-size 256m --eviction-pressure-transition-period 30s
e2e_wait 60 'the kubelet to log "Detect Split Filesystem"' grep -q '"Detect Split Filesystem"' "$KUBELET_LOG"
e2e_log "node $NODE_NAME is Ready; the kubelet logged \"Detect Split Filesystem\""
IMAGEFS=$CLUSTER_WORK_DIR/mnt/imagefs

split_writer_eviction "$CLUSTER_WORK_DIR/mnt/containerfs" 10 200Mi
image_after=$(split_statfs_used "$IMAGEFS")
((image_after == SPLIT_IMAGEFS_AT_FILL)) || e2e_fail "imagefs usage moved from $SPLIT_IMAGEFS_AT_FILL to $image_after during the pressure"
e2e_log "imagefs untouched ($(e2e_human "$image_after") used)"
printf '  %s\n' "${SPLIT_EVICTION_LOG//$'\n'/$'\n'  }" >&2
complaints=$(split_cgroup_complaints)
[[ -z $complaints ]] || e2e_fail "kubelet complaints about cgroups/cAdvisor: $complaints"
e2e_log "pod bytes written into writable layers: $(e2e_human "$SPLIT_WRITTEN")"

k delete pod writer idle --wait=false >/dev/null
split_pass split-containerfs
