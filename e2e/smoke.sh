#!/usr/bin/env bash
# Smoke scenario (`make e2e`): a real kubelet on fakecri runs a pod and cleans it up.
#
#  1. local cluster up in daemon mode (scripts/local-up.sh --daemon), node Ready;
#  2. a pod bound to the node with spec.nodeName (no scheduler needed);
#  3. it becomes Running and Ready;
#  4. `kubectl logs` shows the line fakecri writes at container start;
#  5. delete it; fakecri (crictl) must then hold neither its sandbox nor its container.
#     The kubelet stops them at once but removes them in its container GC, which runs
#     once a minute, so this step takes up to a minute;
#  6. teardown, checking that no process, mount or host change is left;
#  7. the kubelet's CRI-related warnings and errors are listed (they do not fail it).
#
# Environment: SMOKE_IMAGE (default registry.k8s.io/pause:3.10.1), E2E_WORK_DIR,
# E2E_KEEP_CLUSTER=1, KUBE_BIN_DIR; see e2e/lib.sh.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IMAGE=${SMOKE_IMAGE:-registry.k8s.io/pause:3.10.1}
POD=smoke
CONTAINER=smoke

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
e2e_up --imagefs-size 512m --containerfs-size 256m
e2e_log "node $NODE_NAME is Ready"

k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $POD
  namespace: default
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: $CONTAINER
    image: $IMAGE
    imagePullPolicy: IfNotPresent
EOF
e2e_log "pod $POD created ($IMAGE)"

pod_running() { [[ $(k get pod "$POD" -o jsonpath='{.status.phase}') == Running ]]; }
pod_ready() { [[ $(k get pod "$POD" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]; }
e2e_wait 120 "pod $POD Running" pod_running
e2e_wait 60 "pod $POD Ready" pod_ready
e2e_log "pod $POD is Running and Ready (IP $(k get pod "$POD" -o jsonpath='{.status.podIP}'))"

expected="fakecri: container $CONTAINER started"
logs=$(k logs "$POD" -c "$CONTAINER")
grep -qxF "$expected" <<<"$logs" || e2e_fail "kubectl logs $POD did not show '$expected'; it showed: $logs"
e2e_log "kubectl logs: $expected"

uid=$(k get pod "$POD" -o jsonpath='{.metadata.uid}')
sandboxes=$(cri pods -q --label "io.kubernetes.pod.uid=$uid")
containers=$(cri ps -a -q --label "io.kubernetes.pod.uid=$uid")
[[ -n $sandboxes && -n $containers ]] || e2e_fail "crictl does not show the sandbox and container of pod uid $uid"
e2e_log "fakecri holds sandbox $(echo "$sandboxes" | cut -c1-13 | tr '\n' ' ')and container $(echo "$containers" | cut -c1-13 | tr '\n' ' ')"

k delete pod "$POD" --wait=true --timeout=90s >/dev/null
e2e_log "pod $POD deleted from the API"

gone_from_fakecri() {
  [[ -z $(cri pods -q --label "io.kubernetes.pod.uid=$uid") ]] &&
    [[ -z $(cri ps -a -q --label "io.kubernetes.pod.uid=$uid") ]]
}
e2e_wait 150 "fakecri to hold no sandbox or container of pod uid $uid (kubelet container GC)" gone_from_fakecri
for id in $sandboxes; do
  ! cri inspectp "$id" >/dev/null 2>&1 || e2e_fail "crictl inspectp $id still finds the sandbox"
done
for id in $containers; do
  ! cri inspect "$id" >/dev/null 2>&1 || e2e_fail "crictl inspect $id still finds the container"
done
e2e_log "sandbox and container are gone from fakecri"

e2e_down || e2e_fail "teardown left something behind"
trap - EXIT
# After teardown, so that what the kubelet said while stopping counts too.
complaints=$(e2e_kubelet_cri_complaints)

if [[ -n $complaints ]]; then
  echo "kubelet warnings/errors about the runtime ($(wc -l <<<"$complaints")), from $E2E_WORK_DIR/logs/kubelet.log:"
  while IFS= read -r line; do printf '  %s\n' "${line:0:400}"; done <<<"$complaints"
else
  echo "kubelet logged no CRI-related warnings or errors"
fi
echo "smoke: PASS in $(e2e_elapsed)s wall time"
