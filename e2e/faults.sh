#!/usr/bin/env bash
# Scenario 5, faults the kubelet must survive:
#  a. RuntimeReady=false (scripts/faults/runtime-not-ready.sh --for 20s): the node goes
#     NotReady ("container runtime not ready: RuntimeReady=false reason:E2EDrill …") and
#     is Ready again once the rule ends;
#  b. PullImage fails (scripts/faults/pull-failures.sh, not-found) for one image: its pod
#     shows ErrImagePull, then ImagePullBackOff;
#  c. a container with the behaviour crash_loop: CrashLoopBackOff with restart counts
#     that keep growing;
#  d. a 1.5 s delay on ListPodSandbox (scripts/faults/slow-runtime.sh): the kubelet's
#     PLEG relist duration (kubelet_pleg_relist_duration_seconds on its /metrics) goes
#     from milliseconds to over 1.5 s a relist;
#  e. kill -9 of fakecri, and a start with the same arguments: the kubelet sees the same
#     sandboxes and containers (same ids, no restart, no new sandbox or container).
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
FAULTS=$E2E_REPO_ROOT/scripts/faults

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
e2e_up --imagefs-size 512m --containerfs-size 128m
e2e_log "node $NODE_NAME is Ready"

# mkpod NAME IMAGE [BEHAVIOUR_JSON]
mkpod() {
  local behaviour=${3:-"{}"}
  k apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  annotations:
    fakecri.io/behaviour: '$behaviour'
spec:
  nodeName: "$NODE_NAME"
  containers:
  - name: app
    image: $2
EOF
}
waiting_reason() { k get pod "$1" -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' 2>/dev/null; }
waiting_is() { [[ $(waiting_reason "$1") == "$2" ]]; }
restarts() { k get pod "$1" -o jsonpath='{.status.containerStatuses[0].restartCount}' 2>/dev/null; }

# ---- a. RuntimeReady=false
t=$(date +%s)
"$FAULTS/runtime-not-ready.sh" --for 20s --reason E2EDrill >/dev/null
node_not_ready() { node_condition_is Ready False; }
e2e_wait 60 "node NotReady" node_not_ready
msg=$(k get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
[[ $msg == *"container runtime not ready"*E2EDrill* ]] || e2e_fail "NotReady, but with message: $msg"
e2e_log "a. node NotReady after $(($(date +%s) - t))s: $msg"
e2e_wait 90 "node Ready again" node_condition_is Ready True
e2e_log "a. node Ready again $(($(date +%s) - t))s after the fault (rule for 20s)"

# ---- b. pull failures, c. crash loop (both run while the rest goes on)
"$FAULTS/pull-failures.sh" --image e2e.local/broken:1 --kind not-found >/dev/null
mkpod pull-fails e2e.local/broken:1
mkpod crashloop e2e.local/app:1 '{"crash_loop": true}'
mkpod steady-a e2e.local/app:1
mkpod steady-b e2e.local/app:1

e2e_wait 60 "pull-fails in ErrImagePull" waiting_is pull-fails ErrImagePull
e2e_log "b. pull-fails: ErrImagePull ($(k get pod pull-fails -o jsonpath='{.status.containerStatuses[0].state.waiting.message}' | cut -c1-150))"
e2e_wait 60 "pull-fails in ImagePullBackOff" waiting_is pull-fails ImagePullBackOff
e2e_log "b. pull-fails: ImagePullBackOff"

e2e_wait 90 "crashloop in CrashLoopBackOff" waiting_is crashloop CrashLoopBackOff
r1=$(restarts crashloop)
e2e_log "c. crashloop: CrashLoopBackOff, restartCount $r1"
grows() { (($(restarts crashloop) > r1)); }
e2e_wait 90 "crashloop's restartCount to grow past $r1" grows
r2=$(restarts crashloop)
e2e_wait 90 "crashloop back in CrashLoopBackOff" waiting_is crashloop CrashLoopBackOff
e2e_log "c. crashloop: restartCount $r1 -> $r2, CrashLoopBackOff again"
last=$(k get pod crashloop -o jsonpath='{.status.containerStatuses[0].lastState.terminated.exitCode}')
[[ $last == 1 ]] || e2e_fail "crashloop's last exit code is $last, expected 1"

for p in steady-a steady-b; do e2e_wait 60 "pod $p Running" pod_is "$p" Running; done

# ---- d. a slow ListPodSandbox shows in the PLEG relist duration.
pleg() { kubelet_get /metrics | awk '/^kubelet_pleg_relist_duration_seconds_(sum|count) / { printf "%s ", $2 }'; }
mean_over() { # mean relist seconds between two "sum count" samples
  awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); n = y[2] - x[2]; if (n <= 0) { print "nan"; exit } printf "%.3f %d", (y[1] - x[1]) / n, n }'
}
s0=$(pleg)
sleep 10
s1=$(pleg)
read -r before n_before <<<"$(mean_over "$s0" "$s1")"
out=$("$FAULTS/slow-runtime.sh" --rpc ListPodSandbox --delay 1500ms 2>&1) || e2e_fail "slow-runtime.sh failed: $out"
rule=$(fctl fault ls --json | jq -r '[.[] | select(.action.type == "delay")] | last | .id')
sleep 3
s2=$(pleg)
sleep 15
s3=$(pleg)
read -r during n_during <<<"$(mean_over "$s2" "$s3")"
fctl fault rm "$rule" >/dev/null
awk -v d="$during" 'BEGIN { exit !(d >= 1.5) }' || e2e_fail "PLEG relist mean ${during}s with a 1.5s ListPodSandbox delay"
awk -v b="$before" 'BEGIN { exit !(b < 0.5) }' || e2e_fail "PLEG relist mean ${before}s before the delay"
e2e_log "d. kubelet_pleg_relist_duration_seconds mean: ${before}s over $n_before relists before, ${during}s over $n_during relists with ListPodSandbox delayed 1.5s"

# ---- e. kill -9 and restart of fakecri: nothing lost.
k delete pod pull-fails crashloop --wait=false >/dev/null
# Their teardown must be over, or it carries on against the new process: the kubelet
# deletes them from the API server once their sandboxes are stopped, and its container
# GC (every minute) removes those sandboxes, calling StopPodSandbox again before each
# RemovePodSandbox (kuberuntime_gc.go, removeSandbox). Runs that waited only for the
# deletion saw those two calls after the restart whenever a GC fell in the 20 s window.
torn_down() {
  [[ -z $(cri pods -q --label io.kubernetes.pod.name=crashloop) &&
    -z $(cri pods -q --label io.kubernetes.pod.name=pull-fails) &&
    -z $(k get pods -o name | grep -E '^pod/(crashloop|pull-fails)$') ]]
}
e2e_wait 150 "the deleted pods' sandboxes to be removed by the kubelet's container GC" torn_down
snapshot() { # pod name, uid, container id, restart count, for the steady pods
  k get pods steady-a steady-b -o jsonpath='{range .items[*]}{.metadata.name} {.status.containerStatuses[0].containerID} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].state.running.startedAt}{"\n"}{end}'
}
fakecri_view() { # the steady pods' ready sandboxes and running containers, in fakecri
  local p
  for p in steady-a steady-b; do
    cri pods -q --state ready --label "io.kubernetes.pod.name=$p"
    cri ps -q --state running --label "io.kubernetes.pod.name=$p"
  done
}
before_k=$(snapshot)
before_f=$(fakecri_view)
e2e_log "e. before: $(tr '\n' ';' <<<"$before_k")"
e2e_kill_fakecri
sleep 5
e2e_start_fakecri
# fakecri's record of calls starts empty with the new process: all it holds is since.
# Long enough for several PLEG relists and pod syncs against the new process.
sleep 20
after_k=$(snapshot)
after_f=$(fakecri_view)
[[ $after_k == "$before_k" ]] || e2e_fail "the kubelet's view changed across the restart:
before: $before_k
after:  $after_k"
[[ -n $before_f && $after_f == "$before_f" ]] || e2e_fail "fakecri's running sandboxes/containers of the steady pods changed across the restart:
before: $before_f
after:  $after_f"
created=$(fctl calls --json --rpc RunPodSandbox,CreateContainer,StartContainer,StopContainer,StopPodSandbox | jq length)
((created == 0)) || e2e_fail "the kubelet made $created sandbox/container lifecycle calls after the restart"
for p in steady-a steady-b; do pod_ready "$p" || e2e_fail "pod $p is not Ready after the restart"; done
node_condition_is Ready True || e2e_fail "node not Ready after the restart"
e2e_log "e. after the restart: same container ids, restart counts and start times; no lifecycle call in 20s"

k delete pod steady-a steady-b --wait=false >/dev/null
e2e_pass faults
