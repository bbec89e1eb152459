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

e2e_up() {
  E2E_HOST_BEFORE=$(e2e_host_snapshot)
  trap e2e_on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  E2E_UP=true
  "$E2E_REPO_ROOT/scripts/local-up.sh" --daemon --work-dir "$E2E_WORK_DIR" "$@" ||
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
  local rc=0 pid cmd after leftovers=()
  "$E2E_REPO_ROOT/scripts/local-down.sh" --work-dir "$E2E_WORK_DIR" || rc=1
  for pid in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$pid/cmdline" 2>/dev/null) || continue
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
  if ((rc != 0)); then e2e_dump_debug; fi
  if [[ $E2E_KEEP_CLUSTER == 1 ]] && $E2E_UP; then
    e2e_log "leaving the cluster up (E2E_KEEP_CLUSTER=1): source $E2E_WORK_DIR/cluster.env"
  else
    e2e_down || rc=1
  fi
  exit "$rc"
}

# kubelet_get PATH: GET from the kubelet's own API as the admin (the apiserver does not
# proxy to a loopback node address). e.g. kubelet_get /stats/summary
kubelet_get() {
  curl -fsS --cacert "$CLUSTER_PKI/ca.crt" --cert "$CLUSTER_PKI/admin.crt" --key "$CLUSTER_PKI/admin.key" "$KUBELET_URL$1"
}
