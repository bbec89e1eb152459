#!/usr/bin/env bash
# Scenario hollow-nodes: many real kubelets on one fakecri process.
#
#  1. local cluster up with the controller manager and the scheduler;
#  2. scripts/hollow-nodes.sh starts HOLLOW_NODES (20) kubelets, each on its own
#     socket of one `fakecri serve --nodes 20`, with maxPods HOLLOW_PODS (30); all Ready;
#  3. a Deployment of HOLLOW_NODES x HOLLOW_PODS (600) pause pods, nodeSelector
#     hollow-node=true: all Ready, and exactly HOLLOW_PODS on each hollow node;
#  4. memory and CPU per node (kubelet + fakecri's share), from hollow-nodes.sh --report;
#  5. node HOLLOW_FAULT_NODE (7)'s runtime gets a fault (`fakecri ctl --node 7 fault add
#     --not-ready RuntimeReady`): that node goes NotReady, every other stays Ready
#     (checked until two more status updates have passed);
#  6. teardown of the hollow nodes (Node objects deleted), then of the cluster, clean.
#
# Environment: HOLLOW_NODES, HOLLOW_PODS, HOLLOW_FAULT_NODE, HOLLOW_READY_TIMEOUT
# (seconds for all pods Ready, default 1200), E2E_WORK_DIR, E2E_KEEP_CLUSTER, KUBE_BIN_DIR.
set -Eeuo pipefail
# shellcheck source=e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NODES=${HOLLOW_NODES:-20}
PODS=${HOLLOW_PODS:-30}
FAULT_NODE=${HOLLOW_FAULT_NODE:-7}
READY_TIMEOUT=${HOLLOW_READY_TIMEOUT:-1200}
REPLICAS=$((NODES * PODS))
HOLLOW_DIR=${E2E_WORK_DIR}-hollow
HOLLOW_LOG=$HOLLOW_DIR.log
HOLLOW_PID=""
PREFIX=hollow-
((FAULT_NODE >= 1 && FAULT_NODE <= NODES)) || FAULT_NODE=1

# Stops hollow-nodes.sh (SIGTERM: it stops its kubelets and fakecri and deletes the
# Node objects), and waits for it.
hollow_stop() {
  [[ -n $HOLLOW_PID ]] || return 0
  local pid=$HOLLOW_PID rc=0
  HOLLOW_PID=""
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || rc=$?
  return "$rc"
}

e2e_log "bringing the cluster up in $E2E_WORK_DIR"
e2e_up --control-plane
# On any exit: the hollow nodes first, then the cluster. e2e_on_exit reads the exit
# status from $?, so it is set again (without errexit, which would end the trap there).
trap 'rc=$?; set +e; hollow_stop; (exit $rc); e2e_on_exit' EXIT

e2e_log "starting $NODES hollow nodes (maxPods $PODS) from one fakecri"
t_nodes=$(date +%s)
"$E2E_REPO_ROOT/scripts/hollow-nodes.sh" --nodes "$NODES" --max-pods "$PODS" --prefix "$PREFIX" \
  --work-dir "$HOLLOW_DIR" --cluster-dir "$E2E_WORK_DIR" >"$HOLLOW_LOG" 2>&1 &
HOLLOW_PID=$!
hollow_up() {
  grep -q '^HOLLOW_READY' "$HOLLOW_LOG" && return 0
  kill -0 "$HOLLOW_PID" 2>/dev/null || { tail -n 40 "$HOLLOW_LOG" >&2; e2e_fail "scripts/hollow-nodes.sh exited"; }
  return 1
}
deadline=$(($(date +%s) + 900))
until hollow_up; do
  (($(date +%s) < deadline)) || { tail -n 20 "$HOLLOW_LOG" >&2; e2e_fail "the hollow nodes were not Ready within 900s"; }
  sleep 2
done
nodes_s=$(($(date +%s) - t_nodes))
e2e_log "$NODES hollow nodes Ready in ${nodes_s}s"

e2e_log "a Deployment of $REPLICAS pause pods on the hollow nodes"
t_pods=$(date +%s)
k apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hollow-pause
  namespace: default
spec:
  replicas: $REPLICAS
  selector:
    matchLabels: {app: hollow-pause}
  template:
    metadata:
      labels: {app: hollow-pause}
    spec:
      nodeSelector: {hollow-node: "true"}
      automountServiceAccountToken: false
      enableServiceLinks: false
      terminationGracePeriodSeconds: 0
      containers:
      - name: pause
        image: registry.k8s.io/pause:3.10.1
        imagePullPolicy: IfNotPresent
EOF
ready_count() { k get deploy hollow-pause -o jsonpath='{.status.readyReplicas}' 2>/dev/null; }
deadline=$(($(date +%s) + READY_TIMEOUT))
last=""
while :; do
  n=$(ready_count || true)
  [[ ${n:-0} -ge $REPLICAS ]] && break
  if [[ ${n:-0} != "$last" ]]; then
    e2e_log "  ${n:-0} of $REPLICAS pods Ready"
    last=${n:-0}
  fi
  (($(date +%s) < deadline)) || e2e_fail "only ${n:-0} of $REPLICAS pods Ready after ${READY_TIMEOUT}s"
  kill -0 "$HOLLOW_PID" 2>/dev/null || { tail -n 40 "$HOLLOW_LOG" >&2; e2e_fail "scripts/hollow-nodes.sh exited"; }
  sleep 5
done
pods_s=$(($(date +%s) - t_pods))
e2e_log "all $REPLICAS pods Ready in ${pods_s}s"

# Exactly PODS on each hollow node (maxPods makes them fit exactly), none elsewhere.
per_node=$(k get pods -l app=hollow-pause -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort | uniq -c)
bad=$(awk -v p="$PODS" -v pre="$PREFIX" '$1 != p || index($2, pre) != 1' <<<"$per_node")
nodes_used=$(wc -l <<<"$per_node")
[[ -z $bad && $nodes_used -eq $NODES ]] || e2e_fail "pods are not $PODS on each of the $NODES hollow nodes: $(tr '\n' ' ' <<<"$per_node")"
e2e_log "$PODS pods on each of the $NODES hollow nodes"

report=$("$E2E_REPO_ROOT/scripts/hollow-nodes.sh" --report --work-dir "$HOLLOW_DIR")
echo "$report" >&2
per_node_line=$(grep '^per node' <<<"$report" || true)

# ---- a fault on one node's runtime
hctl() { node "$E2E_REPO_ROOT/dist/cli/main.js" ctl --control "$HOLLOW_DIR/fakecri/fakecri-control.sock" "$@"; }
hctl --node "$FAULT_NODE" fault add --not-ready RuntimeReady --reason HollowDrill --message "e2e: node $FAULT_NODE's runtime is down" >&2 ||
  e2e_fail "fakecri ctl --node $FAULT_NODE fault add failed"
t_fault=$(date +%s)
ready_of() { k get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null; }
node_not_ready() { [[ $(ready_of "$PREFIX$FAULT_NODE") == False ]]; }
e2e_wait 180 "node $PREFIX$FAULT_NODE NotReady" node_not_ready
notready_s=$(($(date +%s) - t_fault))
msg=$(k get node "$PREFIX$FAULT_NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].message}')
e2e_log "node $PREFIX$FAULT_NODE NotReady after ${notready_s}s: $msg"
[[ $msg == *HollowDrill* || $msg == *"runtime is down"* ]] || e2e_fail "the NotReady message does not name the fault: $msg"
# The others stay Ready through two more status updates (10s each).
others_ready() {
  local i
  for ((i = 1; i <= NODES; i++)); do
    ((i == FAULT_NODE)) && continue
    [[ $(ready_of "$PREFIX$i") == True ]] || { echo "$PREFIX$i"; return 1; }
  done
}
end=$(($(date +%s) + 25))
while (($(date +%s) < end)); do
  who=$(others_ready) || e2e_fail "node $who left Ready while only node $FAULT_NODE's runtime had a fault"
  node_not_ready || e2e_fail "node $PREFIX$FAULT_NODE became Ready again while its fault holds"
  sleep 2
done
e2e_log "the other $((NODES - 1)) nodes stayed Ready"

# ---- teardown
t_down=$(date +%s)
hollow_stop || e2e_fail "scripts/hollow-nodes.sh failed its teardown (see $HOLLOW_LOG)"
grep -q 'torn down' "$HOLLOW_LOG" || e2e_fail "scripts/hollow-nodes.sh did not report a clean teardown"
e2e_log "hollow nodes torn down in $(($(date +%s) - t_down))s"
echo "hollow-nodes: $NODES nodes Ready in ${nodes_s}s; $REPLICAS pods Ready in ${pods_s}s; NotReady ${notready_s}s after the fault"
echo "hollow-nodes: $per_node_line"
e2e_pass hollow-nodes
