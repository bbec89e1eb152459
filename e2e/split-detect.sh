#!/usr/bin/env bash
# CRI-O personality, scenario 1: the kubelet detects the split image filesystem
# (KEP-4191). imagefs and containerfs are two tmpfs mounts (512 MiB, 256 MiB, mounted
# with distinct sources: cAdvisor keys its filesystem labels by mount source), and the
# kubelet is on fakecri's /var/run/crio/crio.sock, so it takes its cAdvisor stats path;
# cAdvisor asks fakecri's CRI-O inspect API (/info) for storage_root and storage_image.
#
# Asserts, from the kubelet and the apiserver:
#  - the kubelet logs "Detect Split Filesystem" with the two mountpoints;
#  - /stats/summary shows imageFs and containerFs with the two mounts' capacities
#    (different), and different available bytes once a pod has written 24 MiB into its
#    writable layer (on containerfs, not imagefs);
#  - the pod is in /stats/summary with that rootfs usage (cAdvisor's du of the writable
#    layer), which needs fakecri's crio-<id> cgroups where cAdvisor looks;
#  - no kubelet warning or error about cgroups or cAdvisor's CRI-O handler;
#  - teardown removes the CRI-O socket and the cgroups.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=e2e/split.bash
source "$(dirname "${BASH_SOURCE[0]}")/split.bash"

POD=writer
e2e_log "bringing the cluster up in $E2E_WORK_DIR (--personality crio, split)"
e2e_up --personality crio --imagefs-size 512m --containerfs-size 256m
e2e_log "node $NODE_NAME is Ready; kubelet endpoint unix://$FAKECRI_SOCKET"

# Logged at the first ImageFsStats after cAdvisor has its first samples (the eviction
# manager's or the image GC's), a few seconds after start.
e2e_wait 60 'the kubelet to log "Detect Split Filesystem"' grep -q '"Detect Split Filesystem"' "$KUBELET_LOG"
line=$(grep -m1 '"Detect Split Filesystem"' "$KUBELET_LOG")
grep -qF "mountpoint:\\\"$CLUSTER_WORK_DIR/mnt/imagefs\\\"" <<<"$line" && grep -qF "mountpoint:\\\"$CLUSTER_WORK_DIR/mnt/containerfs\\\"" <<<"$line" ||
  e2e_fail "\"Detect Split Filesystem\" does not name both mounts: $line"
e2e_log "kubelet: ${line#* ] }"

read -r icap iavail ccap cavail < <(split_runtime_fs)
((icap == 512 << 20 && ccap == 256 << 20)) || e2e_fail "summary capacities: imageFs $icap, containerFs $ccap; expected 512Mi and 256Mi"

k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $POD
  annotations:
    fakecri.io/behaviour: '{"rootfs_write": {"rate": "24Mi", "total": "24Mi"}}'
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10.1
YAML
e2e_wait 120 "pod $POD Running" pod_is "$POD" Running
split_check_cgroups "$POD"
e2e_log "cgroups: $SPLIT_CGROUP_LINE; the kubelet lists the pod in /stats/summary"

written() { (($(split_rootfs "$POD") >= 24 << 20)); }
e2e_wait 150 "/stats/summary to show the pod's 24Mi writable layer (cAdvisor measures once a minute)" written
read -r icap iavail ccap cavail < <(split_runtime_fs)
((icap != ccap)) || e2e_fail "imageFs and containerFs have the same capacity ($icap)"
((iavail != cavail)) || e2e_fail "imageFs and containerFs have the same available bytes ($iavail)"
((ccap - cavail >= 24 << 20)) || e2e_fail "containerFs shows $((ccap - cavail)) bytes used, less than the pod's 24Mi"
e2e_log "/stats/summary: imageFs $(e2e_human "$iavail") free of $(e2e_human "$icap"), containerFs $(e2e_human "$cavail") free of $(e2e_human "$ccap"); pod $POD rootfs $(e2e_human "$(split_rootfs "$POD")")"

complaints=$(split_cgroup_complaints)
[[ -z $complaints ]] || e2e_fail "kubelet complaints about cgroups/cAdvisor: $complaints"
e2e_log "kubelet logged no warning or error about cgroups or cAdvisor's CRI-O handler"

k delete pod "$POD" --wait=false >/dev/null
split_pass split-detect
