#!/usr/bin/env bash
# Hollow nodes: N real, unmodified kubelets on this machine, each on its own fakecri
# socket from ONE `fakecri serve --nodes N` process, registered with the apiserver of a
# running `make cluster` (scripts/local-up.sh).
#
#   scripts/hollow-nodes.sh [options]            foreground; Ctrl-C (or SIGTERM) tears down
#   scripts/hollow-nodes.sh --report [options]   print memory and CPU per node of a running set
#
# Each kubelet has its own node name (<prefix><i>), root dir, kubeconfig (a client
# certificate system:node:<name> signed by the cluster's CA, so the Node authorizer and
# NodeRestriction treat it as that node), ports (server --port-base+i, healthz
# --healthz-port-base+i, read-only port off) and the flags a kubelet needs to share a host
# with others, as kubemark's hollow kubelet sets them (pkg/kubemark/hollow_kubelet.go):
# no cgroups per QoS, node allocatable not enforced, swap allowed, no image GC or hard
# eviction fighting over the host's one disk (every kubelet sees the same nodefs), a
# status update every 10s. They start one after the other (each waits for the previous
# healthz): they share the device manager's /var/lib/kubelet/device-plugins, which each
# kubelet empties at start. Nodes register with the label hollow-node=true.
#
# Its serving certificate is the kubelet's own self-signed one: the apiserver (which
# checks kubelets against the cluster CA) cannot reach a hollow node for logs or exec.
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/cluster-lib.sh
source "$SCRIPT_DIR/cluster-lib.sh"

usage() {
  cat <<EOF
Usage: $0 [options]

  --nodes N                    how many hollow nodes (default 3)
  --prefix PREFIX              node i is named PREFIX<i> (default hollow-)
  --max-pods N                 maxPods of each kubelet (default 110)
  --work-dir DIR               this script's state (default /tmp/fakecri-hollow)
  --cluster-dir DIR            the running cluster's work dir, for its cluster.env and CA
                               (default \$CLUSTER_WORK_DIR, else /tmp/fakecri-cluster)
  --port-base N                kubelet i serves on N+i (default 21000)
  --healthz-port-base N        kubelet i's healthz on N+i (default 22000)
  --kubelet-verbosity N        --v for the kubelets (default 1)
  --kubelet-arg ARG            extra flag for every kubelet (repeatable)
  --fakecri-log-level LEVEL    (default warn)
  --ready-timeout SECONDS      for all nodes to be Ready (default 600)
  --report                     do not start anything: print RSS and CPU per node of the
                               hollow nodes running from --work-dir, and exit
  -h, --help                   this text

Once every node is Ready it prints a report (RSS and CPU of each kubelet, fakecri's
share; again at any time with --report) and waits; SIGINT or SIGTERM stops the kubelets
and fakecri, deletes the Node objects, unmounts what the kubelets mounted under the work
dir and puts fs.inotify.max_user_instances back (raised by 16 per node for the run: at
the default 128 the 17th kubelet cannot start).

Per node i: fakecri socket DIR/fakecri/fakecri-<i>.sock (control: fakecri-control-<i>.sock,
so 'fakecri ctl --socket DIR/fakecri/fakecri.sock --node <i|PREFIX<i>>' drives it),
fakecri state DIR/fakecri/state/node-<i>, kubelet root DIR/nodes/<i>/root, logs
DIR/logs/kubelet-<i>.log.

Holds /tmp/fakecri-kubelet.lock while it runs (one kubelet set per machine), or takes
over the lock's fd when started under a holder of it (an e2e scenario).

Environment: KUBE_BIN_DIR (default: the cluster's, else /opt/kube-bin), FAKECRI_CMD
(default: node $REPO_ROOT/dist/cli/main.js).
EOF
}

N=3
PREFIX=hollow-
MAX_PODS=110
WORK_DIR=/tmp/fakecri-hollow
CLUSTER_DIR=${CLUSTER_WORK_DIR:-/tmp/fakecri-cluster}
PORT_BASE=21000
HEALTHZ_BASE=22000
KUBELET_V=1
KUBELET_EXTRA_ARGS=()
FAKECRI_LOG_LEVEL=warn
READY_TIMEOUT=600
REPORT_ONLY=false

need_arg() { [[ $# -ge 2 && -n ${2+x} ]] || { echo "$0: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --nodes) need_arg "$@"; N=$2; shift ;;
    --prefix) need_arg "$@"; PREFIX=$2; shift ;;
    --max-pods) need_arg "$@"; MAX_PODS=$2; shift ;;
    --work-dir) need_arg "$@"; WORK_DIR=$2; shift ;;
    --cluster-dir) need_arg "$@"; CLUSTER_DIR=$2; shift ;;
    --port-base) need_arg "$@"; PORT_BASE=$2; shift ;;
    --healthz-port-base) need_arg "$@"; HEALTHZ_BASE=$2; shift ;;
    --kubelet-verbosity) need_arg "$@"; KUBELET_V=$2; shift ;;
    --kubelet-arg) need_arg "$@"; KUBELET_EXTRA_ARGS+=("$2"); shift ;;
    --fakecri-log-level) need_arg "$@"; FAKECRI_LOG_LEVEL=$2; shift ;;
    --ready-timeout) need_arg "$@"; READY_TIMEOUT=$2; shift ;;
    --report) REPORT_ONLY=true ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
for v in N MAX_PODS PORT_BASE HEALTHZ_BASE READY_TIMEOUT KUBELET_V; do
  [[ ${!v} =~ ^[0-9]+$ ]] || die "${v,,} must be a whole number, not '${!v}'"
done
((N >= 1 && N <= 200)) || die "--nodes $N: from 1 to 200"
((PORT_BASE + N <= 65535 && HEALTHZ_BASE + N <= 65535)) || die "ports past 65535: lower --port-base or --healthz-port-base"
[[ $PREFIX =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9-])?$ ]] || die "--prefix $PREFIX: node names are lower-case DNS names"
WORK_DIR=$(cl_abs "$WORK_DIR")
WORK_DIR=${WORK_DIR%/}
case $WORK_DIR in
  "" | / | /tmp | /var | /var/lib | /home | /root | /usr | /etc | "$HOME") die "refusing to use $WORK_DIR as the work directory" ;;
esac
CLUSTER_DIR=$(cl_abs "$CLUSTER_DIR")
PIDS=$WORK_DIR/pids
LOGS=$WORK_DIR/logs
MARKER=.fakecri-hollow

# ---------------------------------------------------------------- report
# RSS and CPU of each kubelet, and fakecri's, over a 5 s window (CPU as a fraction of
# one core) and since each process started; fakecri's are also shown per node (/N).
proc_cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
proc_rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
proc_age_s() {
  local start hz up
  hz=$(getconf CLK_TCK)
  start=$(awk '{ print $22 }' "/proc/$1/stat" 2>/dev/null) || { echo 1; return; }
  up=$(awk '{ print $1 }' /proc/uptime)
  awk -v s="$start" -v hz="$hz" -v up="$up" 'BEGIN { a = up - s / hz; print (a > 0 ? a : 1) }'
}
report() {
  local names=() pids=() t0=() t1=() i pid hz n=0 rss age tot_rss=0 tot_cpu=0 tot_life=0 f
  hz=$(getconf CLK_TCK)
  for f in "$PIDS"/kubelet-*.pid "$PIDS"/fakecri.pid; do
    [[ -f $f ]] || continue
    pid=$(<"$f")
    [[ -r /proc/$pid/stat ]] || continue
    names+=("$(basename "$f" .pid)")
    pids+=("$pid")
    t0+=("$(proc_cpu_ticks "$pid")")
  done
  ((${#pids[@]})) || { echo "no hollow-node process is running from $WORK_DIR"; return 1; }
  sleep 5
  for i in "${!pids[@]}"; do t1+=("$(proc_cpu_ticks "${pids[i]}")"); done
  printf '%-14s %8s %10s %10s %10s\n' process pid 'RSS MiB' 'CPU (5s)' 'CPU (life)'
  local fk_rss=0 fk_cpu=0 fk_life=0
  for i in "${!pids[@]}"; do
    rss=$(proc_rss_kib "${pids[i]}")
    age=$(proc_age_s "${pids[i]}")
    local cpu life
    cpu=$(awk -v a="${t0[i]}" -v b="${t1[i]}" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz / 5 }')
    life=$(awk -v b="${t1[i]}" -v hz="$hz" -v age="$age" 'BEGIN { printf "%.3f", b / hz / age }')
    printf '%-14s %8s %10.1f %10s %10s\n' "${names[i]}" "${pids[i]}" "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')" "$cpu" "$life"
    if [[ ${names[i]} == fakecri ]]; then
      fk_rss=$rss fk_cpu=$cpu fk_life=$life
    else
      n=$((n + 1))
      tot_rss=$((tot_rss + rss))
      tot_cpu=$(awk -v a="$tot_cpu" -v b="$cpu" 'BEGIN { print a + b }')
      tot_life=$(awk -v a="$tot_life" -v b="$life" 'BEGIN { print a + b }')
    fi
  done
  ((n)) || return 0
  awk -v n="$n" -v kr="$tot_rss" -v kc="$tot_cpu" -v kl="$tot_life" -v fr="$fk_rss" -v fc="$fk_cpu" -v fl="$fk_life" 'BEGIN {
    printf "per node (%d nodes): kubelet RSS %.1f MiB + fakecri share %.1f MiB = %.1f MiB; CPU (5s) kubelet %.3f + fakecri share %.3f = %.3f core; CPU (life) %.3f + %.3f = %.3f core\n",
      n, kr / n / 1024, fr / n / 1024, (kr + fr) / n / 1024, kc / n, fc / n, (kc + fc) / n, kl / n, fl / n, (kl + fl) / n
  }'
}

if $REPORT_ONLY; then
  report
  exit $?
fi

[[ $(id -u) -eq 0 ]] || die "must run as root: the kubelet needs it"
[[ -f $CLUSTER_DIR/cluster.env ]] || die "no running cluster in $CLUSTER_DIR (no cluster.env): start one with 'make cluster' or give --cluster-dir"
# shellcheck source=/dev/null
source "$CLUSTER_DIR/cluster.env"
[[ -r $CLUSTER_PKI/ca.key ]] || die "cannot read the cluster CA key $CLUSTER_PKI/ca.key"
KUBE_BIN_DIR=${KUBE_BIN_DIR:-/opt/kube-bin}
KUBELET=$KUBE_BIN_DIR/kubelet
KUBECTL=("$KUBE_BIN_DIR/kubectl" --kubeconfig "$KUBECONFIG")
[[ -x $KUBELET && -x ${KUBECTL[0]} ]] || die "kubelet or kubectl missing from $KUBE_BIN_DIR"
API_URL=$(awk '/server:/ { print $2; exit }' "$KUBECONFIG")
if [[ -n ${FAKECRI_CMD:-} ]]; then
  read -r -a FAKECRI_ARGV <<<"$FAKECRI_CMD"
else
  [[ -f $REPO_ROOT/dist/cli/main.js ]] || die "fakecri is not built: run 'make build'"
  FAKECRI_ARGV=(node "$REPO_ROOT/dist/cli/main.js")
fi

# ---------------------------------------------------------------- lock
LOCK_FILE=${E2E_LOCK_FILE:-/tmp/fakecri-kubelet.lock}
LOCK_FD=""
for fd in /proc/$$/fd/*; do
  [[ $(readlink "$fd" 2>/dev/null) == "$LOCK_FILE" ]] || continue
  if flock -n "${fd##*/}" 2>/dev/null; then
    LOCK_FD=${fd##*/}
    break
  fi
done
if [[ -z $LOCK_FD ]]; then
  exec {LOCK_FD}>>"$LOCK_FILE"
  if ! flock -n "$LOCK_FD"; then
    cl_log "waiting for $LOCK_FILE: another kubelet set is running on this machine"
    flock "$LOCK_FD"
  fi
fi

# Each kubelet takes several inotify instances (cAdvisor, its config and certificate
# watchers): at the default limit of 128 per user, the 17th kubelet fails to start
# ("inotify_init: too many open files"). The limit is raised by 16 per node for the run
# and put back at teardown (the value before is kept in the work dir until then).
INOTIFY=/proc/sys/fs/inotify/max_user_instances
raise_inotify() {
  local now
  now=$(<"$INOTIFY")
  echo "$now" >"$WORK_DIR/saved-inotify"
  echo $((now + 16 * N)) >"$INOTIFY" || return 1
  cl_log "raised fs.inotify.max_user_instances from $now to $((now + 16 * N)) for the run"
}
restore_inotify() {
  [[ -s $WORK_DIR/saved-inotify ]] || return 0
  local was
  was=$(<"$WORK_DIR/saved-inotify")
  echo "$was" >"$INOTIFY" || return 1
  rm -f "$WORK_DIR/saved-inotify"
  cl_log "restored fs.inotify.max_user_instances=$was"
}

# ---------------------------------------------------------------- previous run
if [[ -d $WORK_DIR ]]; then
  [[ -e $WORK_DIR/$MARKER || -z $(ls -A "$WORK_DIR") ]] || die "$WORK_DIR is not empty and was not made by this script"
  for f in "$PIDS"/*.pid; do
    [[ -f $f ]] || continue
    ! cl_pid_alive "$WORK_DIR" "$(basename "$f" .pid)" >/dev/null || die "hollow nodes already run from $WORK_DIR ($(basename "$f" .pid))"
  done
  cl_unmount_all "$WORK_DIR" || die "something is still mounted under $WORK_DIR"
  restore_inotify || die "could not put back fs.inotify.max_user_instances from $WORK_DIR/saved-inotify"
  cl_clean_host_dirs "$WORK_DIR"
  find "$WORK_DIR" -mindepth 1 -maxdepth 1 ! -name "$MARKER" -exec rm -rf --one-file-system {} +
fi
mkdir -p "$WORK_DIR" "$PIDS" "$LOGS" "$WORK_DIR/pki" "$WORK_DIR/fakecri"
touch "$WORK_DIR/$MARKER"
chmod 700 "$WORK_DIR/pki"
FAKECRI_SOCKET=$WORK_DIR/fakecri/fakecri.sock
((${#FAKECRI_SOCKET} + 20 < 108)) || die "work dir path too long for unix sockets"

port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
for ((i = 1; i <= N; i++)); do
  for p in $((PORT_BASE + i)) $((HEALTHZ_BASE + i)); do
    ! port_in_use "$p" || die "port $p is already in use (kubelet $i's); choose another --port-base or --healthz-port-base"
  done
done

# ---------------------------------------------------------------- teardown
STARTED_NODES=()
T0=$SECONDS
on_exit() {
  local rc=$? i pid bad=0
  trap - EXIT INT TERM
  ((rc == 0 || rc == 130 || rc == 143)) || cl_warn "failed (exit $rc); logs are in $LOGS"
  cl_log "tearing down the hollow nodes in $WORK_DIR"
  # All kubelets are told at once, then each is waited for (and killed if it lingers).
  for ((i = N; i >= 1; i--)); do pid=$(cl_pid_alive "$WORK_DIR" "kubelet-$i") && kill -TERM "$pid" 2>/dev/null; done
  for ((i = N; i >= 1; i--)); do [[ -f $PIDS/kubelet-$i.pid ]] && cl_stop "$WORK_DIR" "kubelet-$i" 20; done
  cl_stop "$WORK_DIR" fakecri 15
  # The kubelets' links in /var/log/containers to their pods' logs, and the
  # kubelet's fixed host directories they made.
  cl_clean_host_dirs "$WORK_DIR"
  if ((${#STARTED_NODES[@]})); then
    "${KUBECTL[@]}" delete node "${STARTED_NODES[@]}" --ignore-not-found --wait=false >/dev/null 2>&1 ||
      cl_warn "could not delete the Node objects ${STARTED_NODES[*]}"
  fi
  cl_unmount_all "$WORK_DIR" || bad=1
  for f in "$PIDS"/*.pid; do
    [[ -f $f ]] || continue
    cl_pid_alive "$WORK_DIR" "$(basename "$f" .pid)" >/dev/null && { cl_warn "$(basename "$f" .pid) is still running"; bad=1; }
  done
  restore_inotify || { cl_warn "could not restore fs.inotify.max_user_instances (see $WORK_DIR/saved-inotify)"; bad=1; }
  ((rc == 130 || rc == 143)) && rc=0
  if ((bad)); then cl_warn "teardown left something behind (see above)"; rc=1; else cl_log "torn down"; fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {
  local name=$1
  shift
  printf '%q ' "$@" >"$LOGS/$name.cmdline"
  echo >>"$LOGS/$name.cmdline"
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 {LOCK_FD}>&- &
  echo $! >"$PIDS/$name.pid"
}
wait_for() {
  local name=$1 timeout=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    cl_pid_alive "$WORK_DIR" "$name" >/dev/null || { tail -n 30 "$LOGS/$name.log" >&2; die "$name exited during start-up"; }
    ((SECONDS < deadline)) || { tail -n 30 "$LOGS/$name.log" >&2; die "$name was not ready after ${timeout}s"; }
    sleep 0.5
  done
}

raise_inotify || die "could not raise fs.inotify.max_user_instances"
cl_save_host_dirs "$WORK_DIR"

# ---------------------------------------------------------------- fakecri
cl_log "starting fakecri with $N nodes"
start fakecri "${FAKECRI_ARGV[@]}" serve --nodes "$N" --node-name-prefix "$PREFIX" \
  --socket "$FAKECRI_SOCKET" --state-dir "$WORK_DIR/fakecri/state" --log-level "$FAKECRI_LOG_LEVEL"
wait_for fakecri 60 test -S "$WORK_DIR/fakecri/fakecri-control.sock"

# ---------------------------------------------------------------- kubelets
kubelet_config() {
  local i=$1
  cat <<EOF
# Generated by scripts/hollow-nodes.sh: a hollow kubelet sharing the host (see the top).
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $((PORT_BASE + i))
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $((HEALTHZ_BASE + i))
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $CLUSTER_PKI/ca.crt
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
maxPods: $MAX_PODS
podLogsDir: $WORK_DIR/nodes/$i/pod-logs
staticPodPath: $WORK_DIR/nodes/$i/manifests
volumePluginDir: $WORK_DIR/nodes/$i/volume-plugins
fileCheckFrequency: 20s
httpCheckFrequency: 20s
syncFrequency: 10s
nodeStatusUpdateFrequency: 10s
nodeStatusReportFrequency: 1m
clusterDomain: cluster.local
clusterDNS: []
resolvConf: "$([[ -f /etc/resolv.conf ]] && echo /etc/resolv.conf)"
# Every kubelet here sees the same host disk and memory: no image GC and no hard eviction,
# or all of them would act at once on what none of them owns.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 90
evictionHard: {}
volumeStatsAggPeriod: 1m
registerNode: true
providerID: fakecri://$PREFIX$i
EOF
}

node_ready() { [[ $("${KUBECTL[@]}" get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]; }
for ((i = 1; i <= N; i++)); do
  name=$PREFIX$i
  d=$WORK_DIR/nodes/$i
  mkdir -p "$d/root" "$d/pod-logs" "$d/manifests" "$d/volume-plugins" "$d/pki"
  cl_sign_client "$CLUSTER_PKI" "$WORK_DIR/pki/$name" "/CN=system:node:$name/O=system:nodes" || die "could not sign $name's client certificate"
  cl_kubeconfig "$API_URL" "$CLUSTER_PKI/ca.crt" "$WORK_DIR/pki/$name.crt" "$WORK_DIR/pki/$name.key" "$name" >"$d/kubeconfig"
  kubelet_config "$i" >"$d/config.yaml"
  cl_log "starting kubelet $i of $N ($name)"
  STARTED_NODES+=("$name")
  start "kubelet-$i" "$KUBELET" --config="$d/config.yaml" --kubeconfig="$d/kubeconfig" \
    --root-dir="$d/root" --cert-dir="$d/pki" --hostname-override="$name" \
    --node-labels=hollow-node=true \
    --container-runtime-endpoint="unix://$WORK_DIR/fakecri/fakecri-$i.sock" \
    --v="$KUBELET_V" ${KUBELET_EXTRA_ARGS[@]+"${KUBELET_EXTRA_ARGS[@]}"}
  wait_for "kubelet-$i" 120 curl -fsS "http://127.0.0.1:$((HEALTHZ_BASE + i))/healthz"
done

cl_log "waiting for $N nodes to be Ready (up to ${READY_TIMEOUT}s)"
deadline=$((SECONDS + READY_TIMEOUT))
for name in "${STARTED_NODES[@]}"; do
  until node_ready "$name"; do
    ((SECONDS < deadline)) || die "node $name is not Ready after ${READY_TIMEOUT}s"
    sleep 1
  done
  # The node lifecycle controller lifts this taint; without a controller manager, we do.
  "${KUBECTL[@]}" taint node "$name" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
done
cl_log "$N hollow nodes Ready in $((SECONDS - T0))s"
echo "HOLLOW_READY $N"
report || true
echo "Ctrl-C to tear down; 'fakecri ctl --socket $FAKECRI_SOCKET --node <i>' drives node i's runtime."
while :; do
  for ((i = 1; i <= N; i++)); do
    cl_pid_alive "$WORK_DIR" "kubelet-$i" >/dev/null || die "kubelet-$i exited; see $LOGS/kubelet-$i.log"
  done
  cl_pid_alive "$WORK_DIR" fakecri >/dev/null || die "fakecri exited; see $LOGS/fakecri.log"
  sleep 5 &
  wait $! || true
done
