# shellcheck shell=bash
# Helpers for e2e scenarios: bring a local cluster up in daemon mode, talk to it with
# kubectl and crictl, check the host is as it was after teardown. Sourced, never run.
#
# A scenario does:
#   source e2e/lib.sh
#   e2e_up [local-up.sh options]     # exports KUBECONFIG, FAKECRI_SOCKET, NODE_NAME, …
#   … kubectl / crictl …
#   e2e_down                         # also runs on exit unless E2E_KEEP_CLUSTER=1
#
# Environment: E2E_WORK_DIR (default /tmp/fakecri-e2e), E2E_KEEP_CLUSTER=1 to leave
# the cluster running on exit, KUBE_BIN_DIR as for scripts/local-up.sh.

E2E_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster-lib.sh
source "$E2E_REPO_ROOT/scripts/cluster-lib.sh"

E2E_WORK_DIR=${E2E_WORK_DIR:-/tmp/fakecri-e2e}
E2E_KEEP_CLUSTER=${E2E_KEEP_CLUSTER:-0}
E2E_UP=false
E2E_T0=$(date +%s.%N)

e2e_log() { printf '[e2e %6.1fs] %s\n' "$(e2e_elapsed)" "$*" >&2; }
e2e_fail() {
  printf '[e2e %6.1fs] FAIL: %s\n' "$(e2e_elapsed)" "$*" >&2
  exit 1
}
e2e_elapsed() { awk -v t0="$E2E_T0" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - t0 }'; }

# The host state a cluster must leave as it found it.
e2e_host_snapshot() {
  local key d
  for key in "${CLUSTER_SYSCTLS[@]}"; do printf 'sysctl %s=%s\n' "$key" "$(<"/proc/sys/${key//.//}")"; done
  for d in "${CLUSTER_HOST_DIRS[@]}" /usr/libexec/kubernetes; do
    if [[ -e $d ]]; then printf 'exists %s\n' "$d"; else printf 'absent %s\n' "$d"; fi
  done
}

# Only one kubelet cluster can run on a machine at a time (fixed ports, host sysctls,
# /var/lib/kubelet): every scenario holds this lock from e2e_up to its exit. If we were
# started under `flock /tmp/fakecri-kubelet.lock CMD`, we inherited that lock's fd and
# take it over instead of waiting on ourselves.
E2E_LOCK_FILE=${E2E_LOCK_FILE:-/tmp/fakecri-kubelet.lock}
E2E_LOCK_FD=""
e2e_lock() {
  local fd
  for fd in /proc/$$/fd/*; do
    [[ $(readlink "$fd" 2>/dev/null) == "$E2E_LOCK_FILE" ]] || continue
    if flock -n "${fd##*/}" 2>/dev/null; then
      E2E_LOCK_FD=${fd##*/}
      # The wrapper may have waited for it: count from when we got it.
      E2E_T0=$(date +%s.%N)
      return 0
    fi
  done
  exec {E2E_LOCK_FD}>>"$E2E_LOCK_FILE"
  if ! flock -n "$E2E_LOCK_FD"; then
    e2e_log "waiting for $E2E_LOCK_FILE: another kubelet cluster is running on this machine"
    flock "$E2E_LOCK_FD"
    e2e_log "got the lock after $(e2e_elapsed)s; the wall time counts from here"
    E2E_T0=$(date +%s.%N)
  fi
}

# ---- real bytes written. A sampler in the background, every 0.5 s, records for each
# tmpfs mounted under the work dir the sum of the increases of its statfs "used" (what
# was written to it, short of writes freed again within half a second) and its peak, and
# for every cluster process (pids/*.pid) the highest /proc/PID/io write_bytes seen: the
# bytes it sent to a block device (etcd's WAL, logs, the kubelet's files, fakecri's
# state and anything it writes off the tmpfs mounts).
E2E_SAMPLER_PID=""
E2E_BYTES_DIR=""
e2e_sample_once() {
  local mp used prev cum peak pid name wb old
  while IFS= read -r mp; do
    [[ $(stat -f -c %T "$mp" 2>/dev/null) == tmpfs ]] || continue
    used=$(stat -f -c '%b %f %S' "$mp" 2>/dev/null | awk '{ printf "%d", ($1 - $2) * $3 }') || continue
    [[ -n $used ]] || continue
    read -r prev cum peak 2>/dev/null <"$E2E_BYTES_DIR/fs.${mp//\//_}" || { prev=0 cum=0 peak=0; }
    ((used > prev)) && cum=$((cum + used - prev))
    ((used > peak)) && peak=$used
    printf '%s %s %s\n' "$used" "$cum" "$peak" >"$E2E_BYTES_DIR/fs.${mp//\//_}"
  done < <(for mp in "$E2E_WORK_DIR/mnt/imagefs" "$E2E_WORK_DIR/mnt/containerfs" "$E2E_WORK_DIR/nodefs"; do
    mountpoint -q "$mp" 2>/dev/null && echo "$mp"
  done)
  for pid in "$E2E_WORK_DIR"/pids/*.pid; do
    [[ -f $pid ]] || continue
    name=$(basename "$pid" .pid)
    pid=$(<"$pid") || continue
    wb=$(awk '/^write_bytes:/ { print $2 }' "/proc/$pid/io" 2>/dev/null) || continue
    [[ -n $wb ]] || continue
    old=$(cat "$E2E_BYTES_DIR/io.$name.$pid" 2>/dev/null || echo 0)
    ((wb > old)) && echo "$wb" >"$E2E_BYTES_DIR/io.$name.$pid"
  done
  return 0
}
e2e_sampler_start() {
  E2E_BYTES_DIR=$(mktemp -d /tmp/fakecri-e2e-bytes.XXXXXX)
  (
    trap 'exit 0' TERM
    while :; do e2e_sample_once; sleep 0.5; done
  ) </dev/null >/dev/null 2>&1 &
  E2E_SAMPLER_PID=$!
}
e2e_sampler_stop() {
  [[ -n $E2E_SAMPLER_PID ]] || return 0
  kill "$E2E_SAMPLER_PID" 2>/dev/null || true
  wait "$E2E_SAMPLER_PID" 2>/dev/null || true
  E2E_SAMPLER_PID=""
  e2e_sample_once
}
# e2e_bytes_summary: "tmpfs written X (imagefs A, …), block device written Y (etcd B, …)"
e2e_bytes_summary() {
  [[ -n $E2E_BYTES_DIR && -d $E2E_BYTES_DIR ]] || { echo "not measured"; return 0; }
  local f tmpfs_total=0 disk_total=0 parts="" dparts="" prev cum peak name v
  declare -A per=()
  for f in "$E2E_BYTES_DIR"/fs.*; do
    [[ -f $f ]] || continue
    read -r prev cum peak <"$f"
    name=${f##*_}
    tmpfs_total=$((tmpfs_total + cum))
    parts+="${parts:+, }$name $(e2e_human "$cum") (peak $(e2e_human "$peak"))"
  done
  for f in "$E2E_BYTES_DIR"/io.*; do
    [[ -f $f ]] || continue
    name=${f#"$E2E_BYTES_DIR"/io.}
    name=${name%.*}
    v=$(<"$f")
    per[$name]=$((${per[$name]:-0} + v))
    disk_total=$((disk_total + v))
  done
  for name in "${!per[@]}"; do dparts+="${dparts:+, }$name $(e2e_human "${per[$name]}")"; done
  E2E_BYTES_TMPFS=$tmpfs_total
  E2E_BYTES_DISK=$disk_total
  printf 'tmpfs %s (%s); block device %s (%s)\n' "$(e2e_human "$tmpfs_total")" "$parts" "$(e2e_human "$disk_total")" "$dparts"
}
e2e_human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1" 2>/dev/null || echo "${1}B"; }

e2e_up() {
  trap e2e_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  e2e_lock
  # After the lock: while another cluster runs, the host is in its state, not ours.
  E2E_HOST_BEFORE=$(e2e_host_snapshot)
  E2E_UP=true
  e2e_sampler_start
  # The lock's fd is not for the cluster's processes: they would hold it after we exit.
  "$E2E_REPO_ROOT/scripts/local-up.sh" --daemon --work-dir "$E2E_WORK_DIR" "$@" {E2E_LOCK_FD}>&- ||
    e2e_fail "scripts/local-up.sh failed"
  # shellcheck source=/dev/null
  source "$E2E_WORK_DIR/cluster.env"
  KUBECTL="$KUBE_BIN_DIR/kubectl"
  CRICTL="$KUBE_BIN_DIR/crictl"
  [[ -x $KUBECTL ]] || KUBECTL=$(command -v kubectl)
  [[ -x $CRICTL ]] || CRICTL=$(command -v crictl)
}

k() { "$KUBECTL" "$@"; }
cri() { "$CRICTL" "$@"; }

# e2e_wait TIMEOUT DESCRIPTION CHECK...: poll CHECK every 0.5s.
e2e_wait() {
  local timeout=$1 what=$2 deadline
  shift 2
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    (($(date +%s) < deadline)) || e2e_fail "timed out after ${timeout}s waiting for $what"
    sleep 0.5
  done
}

# Kubelet log lines at warning or error level that concern the runtime: the CRI
# client, the runtime manager, PLEG, the CRI stats provider, image GC, filesystems,
# image and log managers.
e2e_kubelet_cri_complaints() {
  grep -E '^[EW][0-9]{4} ' "$KUBELET_LOG" |
    grep -E 'log\.go|remote_(runtime|image)|kuberuntime|pleg|generic\.go|cri_stats|image_gc|images/|container_gc|pod_container_deletor|logs/container_log|rpc error|[Rr]untime|[Ss]andbox|CRI|[Ii]mage|garbage collection|filesystem' || true
}

e2e_dump_debug() {
  [[ -n ${KUBELET_LOG:-} ]] || return 0
  {
    echo "---- pods"
    k get pods -A -o wide 2>&1 || true
    echo "---- events"
    k get events -A --sort-by=.lastTimestamp 2>&1 | tail -n 30 || true
    echo "---- crictl pods / ps -a"
    cri pods 2>&1 || true
    cri ps -a 2>&1 || true
    echo "---- kubelet.log (errors and warnings, last 40)"
    grep -E '^[EW][0-9]{4} ' "$KUBELET_LOG" | tail -n 40 || true
    echo "---- fakecri.log (last 20)"
    tail -n 20 "$FAKECRI_LOG" 2>&1 || true
  } >&2
}

# e2e_down: tear down and check that nothing is left: no process mentioning the work
# dir, no mount under it, sysctls and the kubelet's host dirs as before.
e2e_down() {
  $E2E_UP || return 0
  E2E_UP=false
  e2e_sampler_stop
  local rc=0 pid cmd after leftovers=()
  "$E2E_REPO_ROOT/scripts/local-down.sh" --work-dir "$E2E_WORK_DIR" || rc=1
  for pid in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$pid/cmdline") || continue
    [[ $cmd == *"$E2E_WORK_DIR"* && ${pid#/proc/} != "$$" && ${pid#/proc/} != "$BASHPID" ]] && leftovers+=("${pid#/proc/}: $cmd")
  done
  if ((${#leftovers[@]})); then
    printf 'left running: %s\n' "${leftovers[@]}" >&2
    rc=1
  fi
  if [[ -n $(cl_mounts_under "$E2E_WORK_DIR") ]]; then
    echo "left mounted: $(cl_mounts_under "$E2E_WORK_DIR" | tr '\n' ' ')" >&2
    rc=1
  fi
  after=$(e2e_host_snapshot)
  if [[ $after != "$E2E_HOST_BEFORE" ]]; then
    echo "host state changed:" >&2
    diff <(echo "$E2E_HOST_BEFORE") <(echo "$after") >&2 || true
    rc=1
  fi
  ((rc == 0)) && e2e_log "teardown clean: no process, no mount, sysctls and host dirs as before"
  return "$rc"
}

e2e_on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if ((rc != 0)); then
    e2e_dump_debug
    # For make e2e's table: the scenario's name is its script's.
    if [[ -n ${E2E_RESULTS:-} ]]; then
      printf '%s\tFAIL\t%s\t-\t-\n' "$(basename "$0" .sh)" "$(e2e_elapsed)" >>"$E2E_RESULTS"
    fi
  fi
  if [[ $E2E_KEEP_CLUSTER == 1 ]] && $E2E_UP; then
    e2e_log "leaving the cluster up (E2E_KEEP_CLUSTER=1): source $E2E_WORK_DIR/cluster.env"
  else
    e2e_down || rc=1
  fi
  [[ -n $E2E_BYTES_DIR && -d $E2E_BYTES_DIR ]] && rm -rf "$E2E_BYTES_DIR"
  exit "$rc"
}

# kubelet_get PATH: GET from the kubelet's own API as the admin (the apiserver does not
# proxy to a loopback node address). e.g. kubelet_get /stats/summary
kubelet_get() {
  curl -fsS --cacert "$CLUSTER_PKI/ca.crt" --cert "$CLUSTER_PKI/admin.crt" --key "$CLUSTER_PKI/admin.key" "$KUBELET_URL$1"
}

# fctl ARGS...: fakecri ctl against this cluster's fakecri.
fctl() {
  if [[ -n ${FAKECRI_CMD:-} ]]; then
    # shellcheck disable=SC2086
    $FAKECRI_CMD ctl --control "$FAKECRI_CONTROL" "$@"
  else
    node "$E2E_REPO_ROOT/dist/cli/main.js" ctl --control "$FAKECRI_CONTROL" "$@"
  fi
}

# e2e_kill_fakecri: SIGKILL fakecri by its pid (as a crash would).
e2e_kill_fakecri() {
  local pid
  pid=$(cl_pid_alive "$CLUSTER_WORK_DIR" fakecri) || e2e_fail "fakecri is not running"
  e2e_sample_once
  kill -KILL "$pid"
  while [[ -e /proc/$pid && $(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) != Z ]]; do sleep 0.1; done
  e2e_log "killed fakecri (pid $pid) with SIGKILL"
}

# e2e_start_fakecri: start fakecri again exactly as local-up.sh did (logs/fakecri.cmdline,
# same socket, state dir and config), in its own session, appending to the same log, and
# wait until it answers Version.
e2e_start_fakecri() {
  local logs=$CLUSTER_WORK_DIR/logs pids=$CLUSTER_WORK_DIR/pids i
  [[ -s $logs/fakecri.cmdline ]] || e2e_fail "no $logs/fakecri.cmdline to restart fakecri from"
  ! cl_pid_alive "$CLUSTER_WORK_DIR" fakecri >/dev/null || e2e_fail "fakecri is still running"
  # The command line was written with printf %q, so eval gives back the same words.
  eval "setsid $(<"$logs/fakecri.cmdline") </dev/null >>\"\$logs/fakecri.log\" 2>&1 {E2E_LOCK_FD}>&- &"
  echo $! >"$pids/fakecri.pid"
  for ((i = 0; i < 60; i++)); do
    cri version >/dev/null 2>&1 && { e2e_log "fakecri started again (pid $(<"$pids/fakecri.pid"))"; return 0; }
    cl_pid_alive "$CLUSTER_WORK_DIR" fakecri >/dev/null || { tail -n 20 "$logs/fakecri.log" >&2; e2e_fail "fakecri exited at restart"; }
    sleep 0.5
  done
  e2e_fail "fakecri did not answer within 30s of its restart"
}

# e2e_restart_fakecri: kill -9, then start with the same arguments.
e2e_restart_fakecri() { e2e_kill_fakecri; e2e_start_fakecri; }

# e2e_pass NAME: tear down (checking it is clean), then print the scenario's wall time
# and the real bytes written, and record them in $E2E_RESULTS when set (make e2e).
e2e_pass() {
  local name=$1 summary wall
  e2e_down || e2e_fail "teardown left something behind"
  trap - EXIT
  # Not in $(…): it sets E2E_BYTES_TMPFS and E2E_BYTES_DISK for the results below.
  e2e_bytes_summary >"$E2E_BYTES_DIR/summary"
  summary=$(<"$E2E_BYTES_DIR/summary")
  wall=$(e2e_elapsed)
  echo "$name: real bytes written: $summary"
  echo "$name: PASS in ${wall}s wall time"
  if [[ -n ${E2E_RESULTS:-} ]]; then
    printf '%s\tPASS\t%s\t%s\t%s\n' "$name" "$wall" "${E2E_BYTES_TMPFS:-0}" "${E2E_BYTES_DISK:-0}" >>"$E2E_RESULTS"
  fi
  [[ -n $E2E_BYTES_DIR ]] && rm -rf "$E2E_BYTES_DIR"
  return 0
}

# pod_phase POD, pod_ready POD, pod_reason POD: from the apiserver.
pod_phase() { k get pod "$1" -o jsonpath='{.status.phase}' 2>/dev/null; }
pod_is() { [[ $(pod_phase "$1") == "$2" ]]; }
pod_ready() { [[ $(k get pod "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]; }
node_condition() { k get node "$NODE_NAME" -o jsonpath="{.status.conditions[?(@.type==\"$1\")].status}"; }
node_condition_is() { [[ $(node_condition "$1") == "$2" ]]; }
# node_condition_since TYPE: the condition's lastTransitionTime, as seconds since the epoch
# (the kubelet's clock; the API keeps whole seconds).
node_condition_since() {
  date -d "$(k get node "$NODE_NAME" -o jsonpath="{.status.conditions[?(@.type==\"$1\")].lastTransitionTime}")" +%s
}
# klog_epoch LINE: the time of a kubelet log line (klog: "I1203 21:30:01.123456 …",
# local time, no year), as whole seconds since the epoch.
klog_epoch() {
  local head=${1:1:20}
  date -d "$(date +%Y)-${head:0:2}-${head:2:2} ${head:5:8}" +%s
}
# kubelet_log_since LINE: kubelet log lines after line number LINE (see kubelet_log_mark).
kubelet_log_mark() { wc -l <"$KUBELET_LOG"; }
kubelet_log_since() { tail -n +"$(($1 + 1))" "$KUBELET_LOG"; }

# e2e_restart_kubelet: stop the kubelet (SIGTERM, by pid) and start it again with the
# same command line (logs/kubelet.cmdline), then wait for its healthz and node Ready.
# Pods keep running in the runtime meanwhile, as on a real node.
e2e_restart_kubelet() {
  local logs=$CLUSTER_WORK_DIR/logs pids=$CLUSTER_WORK_DIR/pids port
  [[ -s $logs/kubelet.cmdline ]] || e2e_fail "no $logs/kubelet.cmdline to restart the kubelet from"
  e2e_sample_once
  cl_stop "$CLUSTER_WORK_DIR" kubelet 20
  eval "setsid $(<"$logs/kubelet.cmdline") </dev/null >>\"\$logs/kubelet.log\" 2>&1 {E2E_LOCK_FD}>&- &"
  echo $! >"$pids/kubelet.pid"
  port=$(awk '/^healthzPort:/ { print $2 }' "$CLUSTER_WORK_DIR/kubelet/config.yaml")
  e2e_wait 60 "the restarted kubelet's healthz" curl -fsS "http://127.0.0.1:${port:-10248}/healthz"
  e2e_wait 60 "node Ready after the kubelet restart" node_condition_is Ready True
  e2e_log "kubelet restarted (pid $(<"$pids/kubelet.pid"))"
}
