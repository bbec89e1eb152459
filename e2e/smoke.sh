#!/usr/bin/env bash
# Scenario 1, a pod runs (`make e2e-smoke`): a real kubelet on fakecri runs a pod and
# cleans it up.
#
#  1. local cluster up in daemon mode (scripts/local-up.sh --daemon), node Ready;
#  2. a pod bound to the node with spec.nodeName (no scheduler needed), with an exec
#     readiness probe `cat /tmp/ready`; fakecri's behaviour `files` gives the container
#     that file, and `log` has it write 10 lines;
#  3. it becomes Running, and Ready only through the probe: fakecri must have answered
#     the kubelet's ExecSync calls for it (fakecri ctl calls);
#  4. `kubectl logs` shows the line fakecri writes at container start and the
#     workload's 10 lines;
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
  annotations:
    fakecri.io/behaviour: '{"files": {"/tmp/ready": "ok\\n"}, "log": {"rate": 20, "total": 10, "line_size": 40}}'
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: $CONTAINER
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    readinessProbe:
      exec:
        command: [cat, /tmp/ready]
      periodSeconds: 2
EOF
e2e_log "pod $POD created ($IMAGE)"

e2e_wait 120 "pod $POD Running" pod_is "$POD" Running
e2e_wait 60 "pod $POD Ready" pod_ready "$POD"
e2e_log "pod $POD is Running and Ready (IP $(k get pod "$POD" -o jsonpath='{.status.podIP}'))"
execs=$(fctl calls --json --rpc ExecSync | jq -r '[.[] | select(.code == "OK")] | length')
((execs > 0)) || e2e_fail "the pod is Ready but fakecri recorded no successful ExecSync (readiness probe)"
e2e_log "readiness probe: $execs ExecSync calls answered OK by fakecri ($(fctl calls --json --rpc ExecSync | jq -c '.[0].request' | cut -c1-120))"

expected="fakecri: container $CONTAINER started"
logs=$(k logs "$POD" -c "$CONTAINER")
grep -qxF "$expected" <<<"$logs" || e2e_fail "kubectl logs $POD did not show '$expected'; it showed: $logs"
workload_lines() { k logs "$POD" -c "$CONTAINER" | grep -cE "^fakecri $CONTAINER line [0-9]+ x*$"; }
ten_lines() { [[ $(workload_lines) == 10 ]]; }
e2e_wait 30 "kubectl logs to show the workload's 10 lines" ten_lines
e2e_log "kubectl logs: '$expected' and 10 workload lines, e.g. '$(k logs "$POD" -c "$CONTAINER" | grep -m1 "line 10 ")'"

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

# After teardown (in e2e_pass), so that what the kubelet said while stopping counts too.
e2e_pass smoke
complaints=$(e2e_kubelet_cri_complaints)
if [[ -n $complaints ]]; then
  echo "kubelet warnings/errors about the runtime ($(wc -l <<<"$complaints")), from $KUBELET_LOG:"
  while IFS= read -r line; do printf '  %s\n' "${line:0:400}"; done <<<"$complaints"
else
  echo "kubelet logged no CRI-related warnings or errors"
fi
