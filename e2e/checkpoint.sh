#!/usr/bin/env bash
# Scenario: forensic container checkpointing through a real kubelet (KEP-2008, the
# ContainerCheckpoint feature, on by default since 1.30), then a restore.
#
#  1. local cluster up; a busybox pod whose container writes /data/a (echo) and /data/b
#     (64 KiB of dd from /dev/urandom), then sleeps;
#  2. POST /checkpoint/default/<pod>/<container> on the kubelet's API (as the admin):
#     the kubelet asks fakecri for CheckpointContainer at
#     <root-dir>/checkpoints/checkpoint-<pod>_<ns>-<container>-<time>.tar and answers
#     {"items":[that path]};
#  3. the archive holds CRI-O's files (GNU tar reads it), and rootfs-diff.tar holds
#     data/b with the bytes the container has (sha256 through crictl exec);
#  4. the container keeps running;
#  5. restore with crictl: a container created in the same pod from the archive's path
#     (with the checkpoint's bind mounts, as CRI-O requires) has /data/a and /data/b with
#     the same bytes; then it is removed.
#
# Environment: E2E_WORK_DIR, E2E_KEEP_CLUSTER=1, KUBE_BIN_DIR; see e2e/lib.sh.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BUSYBOX=registry.k8s.io/e2e-test-images/busybox:1.37.0-1
POD=ckpt
CONTAINER=writer

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
e2e_up --imagefs-size 512m --containerfs-size 256m
e2e_log "node $NODE_NAME is Ready"

k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata: {name: $POD, namespace: default}
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: $CONTAINER
    image: $BUSYBOX
    command: [sh, -c, 'mkdir -p /data && echo hi > /data/a && dd if=/dev/urandom of=/data/b bs=1k count=64 2>/dev/null && touch /data/done && sleep 3600']
EOF
e2e_wait 120 "pod $POD Running" pod_is "$POD" Running
uid=$(k get pod "$POD" -o jsonpath='{.metadata.uid}')
cid=$(cri ps -q --label "io.kubernetes.pod.uid=$uid" --name "^$CONTAINER\$")
[[ -n $cid ]] || e2e_fail "crictl does not show container $CONTAINER of pod uid $uid"
written() { cri exec "$cid" ls /data/done >/dev/null 2>&1; }
e2e_wait 60 "the container to write its files" written
sum=$(cri exec "$cid" sha256sum /data/b | cut -d' ' -f1)
e2e_log "container $CONTAINER (${cid:0:13}) wrote /data/b, sha256 $sum"

# 2. the kubelet's checkpoint API
answer=$(curl -fsS -X POST --cacert "$CLUSTER_PKI/ca.crt" --cert "$CLUSTER_PKI/admin.crt" --key "$CLUSTER_PKI/admin.key" \
  "$KUBELET_URL/checkpoint/default/$POD/$CONTAINER?timeout=60") || e2e_fail "POST /checkpoint/default/$POD/$CONTAINER failed"
archive=$(jq -r '.items[0]' <<<"$answer")
e2e_log "kubelet answered $answer"
[[ $archive == */checkpoints/checkpoint-${POD}_default-${CONTAINER}-*.tar && -f $archive ]] ||
  e2e_fail "the kubelet's answer does not name an archive that exists: $answer"
calls=$(fctl calls --json --rpc CheckpointContainer | jq -c '[.[] | .code]')
e2e_log "fakecri's CheckpointContainer calls: $calls"

# 3. the archive
entries=$(tar -tf "$archive" | tr '\n' ' ')
for f in config.dump spec.dump rootfs-diff.tar io.kubernetes.cri-o.LogPath; do
  [[ " $entries " == *" $f "* ]] || e2e_fail "$archive lacks $f (it holds: $entries)"
done
got=$(tar -xOf "$archive" rootfs-diff.tar | tar -xOf - data/b | sha256sum | cut -d' ' -f1)
[[ $got == "$sum" ]] || e2e_fail "data/b in rootfs-diff.tar has sha256 $got, the container's has $sum"
e2e_log "archive $(stat -c %s "$archive") bytes, mode $(stat -c %a "$archive"): $entries; data/b matches"

# 4. still running
[[ $(cri inspect -o go-template --template '{{.status.state}}' "$cid") == CONTAINER_RUNNING ]] ||
  e2e_fail "container $CONTAINER is no longer running after the checkpoint"

# 5. restore into the same pod, with crictl
sandbox=$(cri pods -q --label "io.kubernetes.pod.uid=$uid")
cat >"$E2E_WORK_DIR/restore-pod.json" <<EOF
{"metadata": {"name": "$POD", "namespace": "default", "uid": "$uid", "attempt": 0}}
EOF
# As CRI-O, fakecri wants every bind mount of spec.dump defined again (the pod's
# service account token, /etc/hosts, the termination log): the same host paths.
mounts=$(tar -xOf "$archive" spec.dump | jq -c '[.mounts[] | select(.type == "bind") | {container_path: .destination, host_path: .source, readonly: (.options | index("ro") != null)}]')
cat >"$E2E_WORK_DIR/restore-ctr.json" <<EOF
{"metadata": {"name": "restored"}, "image": {"image": "$archive"}, "mounts": $mounts, "linux": {}}
EOF
rid=$(cri create "$sandbox" "$E2E_WORK_DIR/restore-ctr.json" "$E2E_WORK_DIR/restore-pod.json") || e2e_fail "crictl create from $archive failed"
cri start "$rid" >/dev/null
rsum=$(cri exec "$rid" sha256sum /data/b | cut -d' ' -f1)
ra=$(cri exec "$rid" cat /data/a)
[[ $rsum == "$sum" && $ra == hi ]] || e2e_fail "restored container has /data/b $rsum and /data/a '$ra'"
e2e_log "restored container ${rid:0:13} from the archive: /data/a 'hi', /data/b sha256 matches"
cri rm -f "$rid" >/dev/null

k delete pod "$POD" --wait=true --timeout=90s >/dev/null
e2e_pass checkpoint
