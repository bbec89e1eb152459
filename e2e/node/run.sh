#!/usr/bin/env bash
# Run upstream's node e2e suite (e2e_node.test, unchanged) against fakecri:
#   make e2e-node FOCUS='LocalStorageCapacityIsolationEviction' [SKIP='...']
#   e2e/node/run.sh --focus REGEX [--skip REGEX] [options] [-- e2e_node.test flags]
# See --help, and the README section "Upstream's node e2e suite".
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=scripts/cluster-lib.sh
source "$REPO_ROOT/scripts/cluster-lib.sh"

usage() {
  cat <<EOF
Usage: $0 --focus REGEX [options] [-- extra e2e_node.test flags]

Runs upstream's e2e_node.test (from \$KUBE_BIN_DIR, default /opt/kube-bin) against a
fakecri of its own: the suite starts etcd, the apiserver and the kubelet itself; this
script gives it what a node without systemd lacks, and cleans up after it.

Selection:
  --focus REGEX            --ginkgo.focus (required; FOCUS= in make e2e-node)
  --skip REGEX             --ginkgo.skip (SKIP= in make e2e-node)
  --timeout DUR            --ginkgo.timeout for the whole suite (default 4h)

Node:
  --work-dir DIR           everything of the run: logs, reports, state
                           (default \$E2E_NODE_WORK_DIR or /tmp/fakecri-e2e-node)
  --nodefs-size SIZE       the kubelet's root dir (/var/lib/kubelet, a bind mount) and
                           fakecri's image and container filesystem share one ext4
                           filesystem on a loop device of this size, a sparse file in the
                           work dir, mounted with discard (default 10G; truncate(1) sizes).
                           "host": a directory of the work dir's own filesystem instead
  --node-name NAME         (default fakecri-node)
  --node-ip IP             the node's address, on a veth in the run's own network
                           namespace (default 10.200.0.1)
  --kubelet-config-extra F appended to the base KubeletConfiguration
  --fakecri-config-extra F appended to fakecri's config
  --fakecri-log-level L    (default info)

Environment: KUBE_BIN_DIR (kubelet, e2e_node.test; crictl is used if there),
FAKECRI_CMD (default: node dist/cli/main.js).

Needs root, Linux, Node.js 20+, a built fakecri (make build), and for the eviction tests
the disk (see the README). Takes /tmp/fakecri-kubelet.lock for the whole run.
Writes \$WORK/summary.txt and exits non-zero if a spec failed, none ran, or the
teardown left something behind.
EOF
}

FOCUS="" SKIP="" TIMEOUT=4h
WORK_DIR=${E2E_NODE_WORK_DIR:-/tmp/fakecri-e2e-node}
NODEFS_SIZE=10G NODE_NAME=fakecri-node NODE_IP=10.200.0.1
KUBELET_CONFIG_EXTRA="" FAKECRI_CONFIG_EXTRA="" FAKECRI_LOG_LEVEL=info
EXTRA=()
while (($#)); do
  case $1 in
    --focus) FOCUS=${2?}; shift 2 ;;
    --skip) SKIP=${2?}; shift 2 ;;
    --timeout) TIMEOUT=${2?}; shift 2 ;;
    --work-dir) WORK_DIR=${2?}; shift 2 ;;
    --nodefs-size) NODEFS_SIZE=${2?}; shift 2 ;;
    --node-name) NODE_NAME=${2?}; shift 2 ;;
    --node-ip) NODE_IP=${2?}; shift 2 ;;
    --kubelet-config-extra) KUBELET_CONFIG_EXTRA=${2?}; shift 2 ;;
    --fakecri-config-extra) FAKECRI_CONFIG_EXTRA=${2?}; shift 2 ;;
    --fakecri-log-level) FAKECRI_LOG_LEVEL=${2?}; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    --) shift; EXTRA=("$@"); break ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

die() { cl_log "ERROR: $*"; exit 1; }
[[ -n $FOCUS ]] || die "--focus is required (FOCUS='…' with make): the whole suite is 870 specs, most of them for features a fake runtime lacks"
[[ $(id -u) == 0 ]] || die "run as root: the kubelet needs it, and this script mounts, makes a network namespace and sets cgroups"
[[ $(uname -s) == Linux ]] || die "Linux only"
WORK_DIR=$(cl_abs "$WORK_DIR")
WORK_DIR=${WORK_DIR%/}
[[ $WORK_DIR != / && $WORK_DIR != /var/lib/kubelet* ]] || die "--work-dir $WORK_DIR: not there"
[[ $FAKECRI_CONFIG_EXTRA == "" || -f $FAKECRI_CONFIG_EXTRA ]] || die "--fakecri-config-extra $FAKECRI_CONFIG_EXTRA: no such file"
[[ $KUBELET_CONFIG_EXTRA == "" || -f $KUBELET_CONFIG_EXTRA ]] || die "--kubelet-config-extra $KUBELET_CONFIG_EXTRA: no such file"
[[ -z $FAKECRI_CONFIG_EXTRA ]] || FAKECRI_CONFIG_EXTRA=$(cl_abs "$FAKECRI_CONFIG_EXTRA")
[[ -z $KUBELET_CONFIG_EXTRA ]] || KUBELET_CONFIG_EXTRA=$(cl_abs "$KUBELET_CONFIG_EXTRA")

KUBE_BIN_DIR=${KUBE_BIN_DIR:-/opt/kube-bin}
for b in kubelet e2e_node.test; do
  [[ -x $KUBE_BIN_DIR/$b ]] || die "no $KUBE_BIN_DIR/$b: build the peers as /work/shared/docs/peers.md says, or set KUBE_BIN_DIR"
done
KUBELET_BIN=$(readlink -f "$KUBE_BIN_DIR/kubelet")
E2E_NODE_BIN=$(readlink -f "$KUBE_BIN_DIR/e2e_node.test")
CRICTL=""
[[ -x $KUBE_BIN_DIR/crictl ]] && CRICTL=$KUBE_BIN_DIR/crictl
if [[ -n ${FAKECRI_CMD:-} ]]; then
  read -r -a FAKECRI_ARGV <<<"$FAKECRI_CMD"
else
  [[ -f $REPO_ROOT/dist/cli/main.js ]] || die "fakecri is not built: run make build (make e2e-node does)"
  FAKECRI_ARGV=(node "$REPO_ROOT/dist/cli/main.js")
fi
for t in ip nsenter setpriv losetup mkfs.ext4 flock jq; do command -v "$t" >/dev/null || die "$t is needed (apt-get install iproute2 util-linux e2fsprogs jq)"; done

# Fixed names: one run per machine, which the lock guarantees.
NETNS=fakecri-e2e-node
VETH=fcri-node0
VETH_PEER=fcri-node1
KUBELET_ROOT=/var/lib/kubelet
# The kubelet sets these host sysctls (setupKernelTunables) when they differ.
SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Host paths the kubelet (or ip netns) creates whatever its root dir; removed at
# teardown if they did not exist before.
HOST_PATHS=(/var/lib/kubelet /var/log/pods /var/log/containers /usr/libexec/kubernetes /run/netns)
# Top-level cgroups the kubelet makes on this node (cgroupsPerQOS, kubeletCgroups
# /kubelet, runtime cgroups /docker-daemon as the framework passes them).
CGROUPS=(kubepods kubelet docker-daemon system kubepods.slice kubelet.slice runtime.slice)

SAVED=$WORK_DIR/saved
LOGS=$WORK_DIR/logs
RUN=$WORK_DIR/run
REPORT=$WORK_DIR/report
STATE=$WORK_DIR/systemctl
NODEFS=$WORK_DIR/nodefs
NODEFS_IMG=$WORK_DIR/nodefs.img
FAKECRI_DIR=$WORK_DIR/fakecri
FAKECRI_SOCKET=$FAKECRI_DIR/fakecri.sock
SUMMARY=$WORK_DIR/summary.txt

# ---------------------------------------------------------------- the lock
# As e2e/lib.sh: one kubelet per machine. Under `flock FILE CMD` we inherit the fd.
LOCK_FILE=${E2E_LOCK_FILE:-/tmp/fakecri-kubelet.lock}
LOCK_FD=""
T0=$(date +%s)
take_lock() {
  local fd
  for fd in /proc/$$/fd/*; do
    [[ $(readlink "$fd" 2>/dev/null) == "$LOCK_FILE" ]] || continue
    if flock -n "${fd##*/}" 2>/dev/null; then LOCK_FD=${fd##*/}; return 0; fi
  done
  exec {LOCK_FD}>>"$LOCK_FILE"
  if ! flock -n "$LOCK_FD"; then
    cl_log "waiting for $LOCK_FILE: another kubelet runs on this machine"
    flock "$LOCK_FD"
    cl_log "got the lock; the wall time counts from here"
  fi
  T0=$(date +%s)
}

# ---------------------------------------------------------------- teardown
# alive PID: a process that has not exited. Zombies (Z) and dying tasks (X) have; a
# status file that vanishes between two reads (reaped meanwhile) means gone too.
alive() {
  local st
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}

# netns_pids: every process in our network namespace (all ours: the suite, its
# services, the kubelet unit and kubelet, fakecri).
netns_pids() {
  [[ -e /run/netns/$NETNS ]] || return 0
  ip netns pids "$NETNS" 2>/dev/null || true
}

stop_everything() {
  local pids=() p i
  mapfile -t pids < <(netns_pids)
  ((${#pids[@]})) || return 0
  cl_log "stopping ${#pids[@]} process(es) in netns $NETNS: $(for p in "${pids[@]}"; do printf '%s(%s) ' "$p" "$(cat "/proc/$p/comm" 2>/dev/null)"; done)"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for ((i = 0; i < 300; i++)); do
    mapfile -t pids < <(netns_pids)
    local any=0
    for p in "${pids[@]}"; do alive "$p" && any=1; done
    ((any)) || return 0
    sleep 0.1
  done
  for p in "${pids[@]}"; do
    alive "$p" && { cl_warn "pid $p ($(cat "/proc/$p/comm" 2>/dev/null)) ignored SIGTERM for 30s; SIGKILL"; kill -KILL "$p" 2>/dev/null || true; }
  done
  sleep 1
}

# rm_cgroups: the kubelet's top-level cgroups that were not there before, in every
# hierarchy, deepest first. They are empty once the kubelet and its pods are gone
# (fakecri runs no processes).
rm_cgroups() {
  local rc=0 h name d
  for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
    [[ -d $h && -f $h/cgroup.procs ]] || continue
    for name in "${CGROUPS[@]}"; do
      d=$h/$name
      [[ -d $d ]] || continue
      grep -qxF "$d" "$SAVED/cgroups-before" 2>/dev/null && continue
      while IFS= read -r sub; do
        rmdir "$sub" 2>/dev/null || { cl_warn "could not remove cgroup $sub ($(wc -l <"$sub/cgroup.procs" 2>/dev/null || echo ?) processes)"; rc=1; }
      done < <(find "$d" -depth -type d 2>/dev/null)
    done
  done
  return "$rc"
}

rm_host_paths() {
  local rc=0 p link
  [[ -f $SAVED/host-paths-created ]] || return 0
  # Symlinks the kubelet made into /var/log/pods, in a /var/log/containers that was
  # there before.
  if [[ -d /var/log/containers ]] && ! grep -qx /var/log/containers "$SAVED/host-paths-created"; then
    for link in /var/log/containers/*; do
      [[ -L $link && $(readlink "$link") == /var/log/pods/* ]] && rm -f "$link"
    done
  fi
  while IFS= read -r p; do
    [[ -e $p ]] || continue
    case $p in
      /run/netns)
        if mountpoint -q /run/netns && [[ -z $(ls -A /run/netns) ]]; then umount /run/netns || rc=1; fi
        rmdir /run/netns 2>/dev/null || { cl_warn "left /run/netns (not empty)"; rc=1; }
        ;;
      /var/lib/kubelet)
        # Everything of the kubelet was on our nodefs; the directory itself is empty.
        if mountpoint -q "$p"; then cl_warn "$p is still a mountpoint"; rc=1; continue; fi
        rmdir "$p" 2>/dev/null || { cl_warn "left $p: not empty ($(ls -A "$p" | head -5 | tr '\n' ' '))"; rc=1; }
        ;;
      /var/log/pods | /var/log/containers)
        # Pod logs written by fakecri for the kubelet, and the kubelet's symlinks to them.
        rm -rf "$p" || rc=1
        ;;
      /usr/libexec/kubernetes)
        # The kubelet's default volume plugin dir: empty directories.
        find "$p" -depth -type d -empty -delete 2>/dev/null
        [[ -e $p ]] && { cl_warn "left $p: not empty"; rc=1; }
        ;;
    esac
    [[ -e $p ]] || cl_log "removed $p (made by this run)"
  done < <(sort -r "$SAVED/host-paths-created")
  ((rc)) || rm -f "$SAVED/host-paths-created"
  return "$rc"
}

teardown() {
  local rc=0 dev
  [[ -d $SAVED ]] || return 0
  stop_everything
  if [[ -n $(netns_pids) ]]; then cl_warn "processes still in netns $NETNS: $(netns_pids | tr '\n' ' ')"; rc=1; fi
  # The kubelet's bind mount of its root dir onto itself, ours below it, and any pod
  # volume (tmpfs for projected tokens) the kubelet left.
  cl_unmount_all "$KUBELET_ROOT" || rc=1
  cl_unmount_all "$WORK_DIR" || rc=1
  if [[ -s $SAVED/loop ]]; then
    dev=$(<"$SAVED/loop")
    if losetup "$dev" 2>/dev/null | grep -qF "$NODEFS_IMG"; then
      # Sectors written to the loop device (field 7 of its block stat): what the tests
      # wrote to nodefs, emptyDirs, writable layers, images and logs of the kubelet.
      # The counters live as long as the device, not the attachment: count from setup.
      NODEFS_WRITTEN=$(awk -v from="$(cat "$SAVED/loop-sectors" 2>/dev/null || echo 0)" \
        '{ printf "%.1f GiB", ($7 - from) * 512 / 1073741824 }' "/sys/block/${dev##*/}/stat" 2>/dev/null || true)
      losetup -d "$dev" && cl_log "detached $dev" || rc=1
    fi
    rm -f "$SAVED/loop"
  fi
  rm -f "$NODEFS_IMG"
  # What the tests wrote (with --nodefs-size host, on the work dir's own disk).
  if [[ -d $NODEFS && -z $(cl_mounts_under "$NODEFS") && -z $(cl_mounts_under "$KUBELET_ROOT") ]]; then
    rm -rf "$NODEFS"
  fi
  if [[ -e /run/netns/$NETNS ]]; then ip netns del "$NETNS" && cl_log "deleted netns $NETNS" || rc=1; fi
  rm_cgroups || rc=1
  cl_restore_sysctls "$WORK_DIR" || rc=1
  rm_host_paths || rc=1
  rm -f "$FAKECRI_SOCKET" "${FAKECRI_SOCKET%.sock}-control.sock"
  return "$rc"
}

# host_snapshot: what must be as before after the run.
host_snapshot() {
  local key p h
  for key in "${SYSCTLS[@]}"; do printf 'sysctl %s=%s\n' "$key" "$(<"/proc/sys/${key//.//}")"; done
  for p in "${HOST_PATHS[@]}"; do
    if [[ -e $p ]]; then printf 'exists %s\n' "$p"; else printf 'absent %s\n' "$p"; fi
    mountpoint -q "$p" 2>/dev/null && printf 'mounted %s\n' "$p"
  done
  for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
    [[ -f $h/cgroup.procs ]] || continue
    for p in "${CGROUPS[@]}"; do [[ -d $h/$p ]] && printf 'cgroup %s\n' "$h/$p"; done
  done
  ip netns list 2>/dev/null | awk -v n="$NETNS" '$1 == n { print "netns " n }'
  losetup -j "$NODEFS_IMG" 2>/dev/null | sed 's/^/loop /'
  return 0
}

# ---------------------------------------------------------------- summary
summarize() {
  local rc=$1 wall=$(($(date +%s) - T0)) json=$REPORT/report.json
  {
    echo "e2e-node: upstream e2e_node.test against fakecri"
    echo "focus: $FOCUS"
    [[ -n $SKIP ]] && echo "skip:  $SKIP"
    echo "peers: $("$KUBELET_BIN" --version 2>/dev/null) ($KUBELET_BIN); e2e_node.test $E2E_NODE_BIN"
    if [[ -n ${FAKECRI_CMD:-} ]]; then
      echo "fakecri: FAKECRI_CMD=$FAKECRI_CMD"
    else
      echo "fakecri: $(cd "$REPO_ROOT" && git describe --always --dirty 2>/dev/null || echo '?') ($REPO_ROOT)"
    fi
    echo "nodefs: ${NODEFS_DESC:-not set up}${NODEFS_WRITTEN:+; written to it: $NODEFS_WRITTEN}"
    echo "wall time: ${wall}s (from the lock to the end of teardown)"
    if [[ -s $json ]]; then
      jq -r '
        [.[].SpecReports[]] as $all
        | ($all | map(select(.LeafNodeType == "It"))) as $its
        | ($its | map(select(.State == "passed")) | length) as $passed
        | ($its | map(select(.State | IN("failed","panicked","timedout","aborted","interrupted"))) | length) as $failed
        | ($its | map(select(.State == "skipped" and (.Failure.Message // "") != "")) | length) as $skipped_at_run
        | ($its | map(select(.State == "skipped" and (.Failure.Message // "") == "")) | length) as $not_selected
        | "specs: \($passed) passed, \($failed) failed, \($skipped_at_run) skipped by the test itself, \($its | map(select(.State == "pending")) | length) pending; \($not_selected) not selected",
          ($all | map(select(.LeafNodeType != "It" and (.State | IN("failed","panicked","timedout","aborted","interrupted"))))[]
            | "  \(.State | ascii_upcase) \(.LeafNodeType) at \(.Failure.Location.FileName // "?"):\(.Failure.Location.LineNumber // "?"): \(.Failure.Message // "" | split("\n")[0] | .[0:300])"),
          ($its | map(select(.State != "skipped" or (.Failure.Message // "") != ""))[]
            | "  \(.State | ascii_upcase) \((.RunTime // 0) / 1e9 | floor)s  \((.ContainerHierarchyTexts // []) + [.LeafNodeText] | map(select(. != "")) | join(" "))"
              + (if .Failure then "\n      \(.Failure.FailureNodeType // "") at \(.Failure.Location.FileName // "?" | split("/") | .[-1]):\(.Failure.Location.LineNumber // "?"): \(.Failure.Message // "" | gsub("\n"; " ") | .[0:400])" else "" end))
      ' "$json" 2>/dev/null || echo "specs: (could not read $json)"
    else
      echo "specs: no report ($json): the suite did not get to run (see $LOGS/e2e_node.log)"
    fi
    echo "e2e_node.test exit status: ${SUITE_RC:-not run}; teardown: ${TEARDOWN_RESULT:-not run}"
    echo "logs: $LOGS/e2e_node.log (the suite), $REPORT/kubelet.log, $REPORT/services.log, $LOGS/fakecri.log, $STATE/calls.log (systemctl stand-in)"
    echo "result: $([[ $rc == 0 ]] && echo PASS || echo FAIL)"
  } >"$SUMMARY"
  echo
  cat "$SUMMARY"
}

suite_passed() {
  local json=$REPORT/report.json
  [[ -s $json ]] || return 1
  jq -e '
    [.[].SpecReports[]] as $all
    | ($all | map(select(.State | IN("failed","panicked","timedout","aborted","interrupted"))) | length) == 0
      and ($all | map(select(.LeafNodeType == "It" and .State == "passed")) | length) > 0
  ' "$json" >/dev/null
}

SUITE_PID=""
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [[ -n $SUITE_PID ]] && alive "$SUITE_PID"; then
    cl_log "interrupting e2e_node.test (pid $SUITE_PID)"
    kill -INT "$SUITE_PID" 2>/dev/null || true
    for ((i = 0; i < 600; i++)); do alive "$SUITE_PID" || break; sleep 0.1; done
    alive "$SUITE_PID" && kill -TERM "$SUITE_PID" 2>/dev/null
    wait "$SUITE_PID" 2>/dev/null
    SUITE_RC="$? (interrupted)"
  fi
  if [[ -d ${SAVED:-/nonexistent} ]]; then
    if teardown; then
      after=$(host_snapshot)
      if [[ $after == "$HOST_BEFORE" ]]; then
        TEARDOWN_RESULT="clean (no process, mount, loop device, netns, cgroup or host path left; sysctls as before)"
        rm -rf "$SAVED"
      else
        TEARDOWN_RESULT="LEFT SOMETHING: $(diff <(echo "$HOST_BEFORE") <(echo "$after") | grep '^[<>]' | tr '\n' ';')"
        rc=1
      fi
    else
      TEARDOWN_RESULT="FAILED (see above)"
      rc=1
    fi
    cl_log "teardown: $TEARDOWN_RESULT"
  fi
  [[ -n ${HOST_BEFORE:-} ]] && summarize "$rc"
  exit "$rc"
}

# ---------------------------------------------------------------- set up
take_lock
# A run that died without its teardown: clean up after it first (still under the lock).
if [[ -d $SAVED ]]; then
  cl_warn "$WORK_DIR holds a run that was not torn down; tearing it down first"
  teardown || die "could not tear down the previous run in $WORK_DIR; see above"
  rm -rf "$SAVED"
fi
[[ -z $(cl_mounts_under "$WORK_DIR") ]] || die "something is mounted under $WORK_DIR: $(cl_mounts_under "$WORK_DIR" | tr '\n' ' ')"
for p in $(pgrep -x kubelet || true); do
  die "a kubelet is already running (pid $p: $(tr '\0' ' ' </proc/"$p"/cmdline | cut -c1-200)) without holding $LOCK_FILE"
done
if mountpoint -q "$KUBELET_ROOT" 2>/dev/null || [[ -n $(ls -A "$KUBELET_ROOT" 2>/dev/null) ]]; then
  die "$KUBELET_ROOT is in use (a mountpoint or not empty): another kubelet's, or a leftover; this run needs it for its own kubelet"
fi

HOST_BEFORE=$(host_snapshot)
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -rf "$LOGS" "$RUN" "$REPORT" "$STATE" "$FAKECRI_DIR" "$NODEFS" "$SUMMARY" "$WORK_DIR/k8s-bin" "$WORK_DIR/path"
mkdir -p "$SAVED" "$LOGS" "$RUN" "$REPORT" "$STATE" "$FAKECRI_DIR/state" "$NODEFS"
cl_log "work dir $WORK_DIR; binaries $KUBE_BIN_DIR ($("$KUBELET_BIN" --version 2>/dev/null))"

# What to put back.
cl_save_sysctls "$WORK_DIR" "${SYSCTLS[@]}"
for p in "${HOST_PATHS[@]}"; do [[ -e $p ]] || echo "$p"; done >"$SAVED/host-paths-created"
for h in /sys/fs/cgroup /sys/fs/cgroup/*; do
  [[ -f $h/cgroup.procs ]] || continue
  for p in "${CGROUPS[@]}"; do [[ -d $h/$p ]] && echo "$h/$p"; done
done >"$SAVED/cgroups-before"

# -- nodefs: the kubelet's root dir, and fakecri's images and writable layers on the
# same filesystem (not a dedicated imagefs), as on a containerd node with one disk.
if [[ $NODEFS_SIZE == host ]]; then
  NODEFS_DESC="a directory on $(df --output=source,target "$WORK_DIR" | tail -n 1 | tr -s ' '): the host's disk, shared with everything else on it"
else
  need=$(numfmt --from=iec "${NODEFS_SIZE%[bB]}" 2>/dev/null) || die "--nodefs-size $NODEFS_SIZE: not a size"
  avail=$(($(stat -f -c '%a * %S' "$WORK_DIR" | tr -d ' ')))
  ((avail > need + 1073741824)) ||
    cl_warn "only $(numfmt --to=iec "$avail") free on $WORK_DIR's filesystem for a $NODEFS_SIZE nodefs (sparse: it fills as the tests write)"
  truncate -s "$NODEFS_SIZE" "$NODEFS_IMG"
  dev=$(losetup -f --show "$NODEFS_IMG") || die "losetup failed (no loop devices?); use --nodefs-size host"
  echo "$dev" >"$SAVED/loop"
  awk '{ print $7 }' "/sys/block/${dev##*/}/stat" >"$SAVED/loop-sectors" 2>/dev/null || true
  mkfs.ext4 -q -m 0 -L fakecri-nodefs "$dev" || die "mkfs.ext4 $dev failed"
  mount -o discard "$dev" "$NODEFS" || die "mount $dev on $NODEFS failed"
  NODEFS_DESC="ext4 on $dev ($NODEFS_SIZE, $NODEFS_IMG sparse, discard), mounted on $NODEFS"
  cl_log "nodefs: $NODEFS_DESC"
fi
mkdir -p "$NODEFS/kubelet" "$NODEFS/fakecri/imagefs" "$KUBELET_ROOT"
mount --bind "$NODEFS/kubelet" "$KUBELET_ROOT" || die "bind mount of $NODEFS/kubelet on $KUBELET_ROOT failed"
cl_log "bind-mounted $NODEFS/kubelet on $KUBELET_ROOT"

# -- network namespace: lo, and a veth pair (both ends inside) holding the node IP, with
# a default route through it: the apiserver needs one to choose its advertise address,
# and will not proxy to a loopback node address. Nothing inside can reach the host's
# network or beyond.
ip netns add "$NETNS"
ip -n "$NETNS" link set lo up
ip -n "$NETNS" link add "$VETH" type veth peer name "$VETH_PEER"
ip -n "$NETNS" addr add "$NODE_IP/24" dev "$VETH"
ip -n "$NETNS" link set "$VETH" up
ip -n "$NETNS" link set "$VETH_PEER" up
ip -n "$NETNS" route add default dev "$VETH"
cl_log "netns $NETNS: lo, $VETH $NODE_IP/24, default route dev $VETH"
NSENTER=(nsenter --net="/run/netns/$NETNS" --)

# -- the suite's PATH: our systemctl and sudo first, and no systemd-run (with it, the
# framework runs the kubelet as a transient unit, which fails without systemd as PID 1).
PATH_DIR=$WORK_DIR/path
mkdir -p "$PATH_DIR/bin"
ln -s "$HERE/bin/systemctl" "$PATH_DIR/bin/systemctl"
ln -s "$HERE/bin/sudo" "$PATH_DIR/bin/sudo"
SUITE_PATH=$PATH_DIR/bin
IFS=: read -r -a path_entries <<<"$PATH"
declare -A seen_dirs=()
n=0
for d in "${path_entries[@]}"; do
  [[ $d == /* && -d $d ]] || continue
  real=$(readlink -f "$d")
  [[ -z ${seen_dirs[$real]:-} ]] || continue
  seen_dirs[$real]=1
  if [[ -e $d/systemd-run ]]; then
    # A copy of this directory as symlinks, without systemd-run.
    n=$((n + 1))
    shadow=$PATH_DIR/shadow$n
    mkdir -p "$shadow"
    ln -s "$real"/* "$shadow"/
    rm -f "$shadow/systemd-run"
    SUITE_PATH+=:$shadow
  else
    SUITE_PATH+=:$d
  fi
done
PATH=$SUITE_PATH command -v systemd-run >/dev/null && die "systemd-run is still on the suite's PATH ($SUITE_PATH)"

# -- the "kubelet" the framework starts: our unit supervisor (e2e/node/bin/kubelet-unit).
mkdir -p "$WORK_DIR/k8s-bin"
ln -s "$HERE/bin/kubelet-unit" "$WORK_DIR/k8s-bin/kubelet"

# -- fakecri: the host backend on nodefs, so the bytes the containers write into their
# writable layers are real and on the kubelet's filesystem.
{
  cat <<EOF
# Generated by e2e/node/run.sh.
[server]
log_level = "$FAKECRI_LOG_LEVEL"

[runtime]
cgroup_driver = "cgroupfs"

[filesystems.imagefs]
backend = "host"
path = "$NODEFS/fakecri/imagefs"
EOF
  if [[ -n $FAKECRI_CONFIG_EXTRA ]]; then
    printf '\n# ---- from %s\n' "$FAKECRI_CONFIG_EXTRA"
    cat "$FAKECRI_CONFIG_EXTRA"
  fi
} >"$FAKECRI_DIR/config.toml"
printf '%q ' "${FAKECRI_ARGV[@]}" serve --socket "$FAKECRI_SOCKET" --state-dir "$FAKECRI_DIR/state" \
  --config "$FAKECRI_DIR/config.toml" --log-level "$FAKECRI_LOG_LEVEL" >"$LOGS/fakecri.cmdline"
"${NSENTER[@]}" setsid "${FAKECRI_ARGV[@]}" serve --socket "$FAKECRI_SOCKET" --state-dir "$FAKECRI_DIR/state" \
  --config "$FAKECRI_DIR/config.toml" --log-level "$FAKECRI_LOG_LEVEL" \
  </dev/null >>"$LOGS/fakecri.log" 2>&1 {LOCK_FD}>&- &
FAKECRI_PID=$!
echo "$FAKECRI_PID" >"$WORK_DIR/fakecri.pid"
for ((i = 0; i < 120; i++)); do
  alive "$FAKECRI_PID" || { tail -n 20 "$LOGS/fakecri.log" >&2; die "fakecri exited at start; see $LOGS/fakecri.log"; }
  if [[ -S $FAKECRI_SOCKET ]]; then
    if [[ -z $CRICTL ]] || "$CRICTL" --runtime-endpoint "unix://$FAKECRI_SOCKET" --timeout 5s version >/dev/null 2>&1; then break; fi
  fi
  sleep 0.5
done
[[ -S $FAKECRI_SOCKET ]] || die "fakecri did not serve $FAKECRI_SOCKET within 60s"
cl_log "fakecri up (pid $FAKECRI_PID) on $FAKECRI_SOCKET"

# -- the base KubeletConfiguration: upstream's test/e2e_node/jenkins/default-kubelet-config.yaml
# values (which the framework also uses when given no file), and failCgroupV1: false on a
# cgroup v1 host (the kubelet refuses v1 otherwise since 1.35).
{
  cat <<EOF
# Generated by e2e/node/run.sh: the values of upstream's
# test/e2e_node/jenkins/default-kubelet-config.yaml, then this node's own.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: /
podCIDR: "10.100.0.0/24"
volumeStatsAggPeriod: 10s
fileCheckFrequency: 10s
evictionPressureTransitionPeriod: 30s
evictionHard:
  memory.available: 250Mi
  nodefs.available: 10%
  nodefs.inodesFree: 5%
evictionMinimumReclaim:
  nodefs.available: 5%
  nodefs.inodesFree: 5%
serializeImagePulls: false
EOF
  if [[ $(stat -f -c %T /sys/fs/cgroup) != cgroup2fs ]]; then
    echo "# This host has cgroup v1."
    echo "failCgroupV1: false"
  fi
  if [[ -n $KUBELET_CONFIG_EXTRA ]]; then
    printf '# ---- from %s\n' "$KUBELET_CONFIG_EXTRA"
    cat "$KUBELET_CONFIG_EXTRA"
  fi
} >"$WORK_DIR/kubelet-config.yaml"

# ---------------------------------------------------------------- the suite
SUITE_ARGS=(
  --container-runtime-endpoint="unix://$FAKECRI_SOCKET"
  # The images pulled before any spec, as upstream's CI does: a spec that sets a
  # threshold from the kubelet's summary (cAdvisor's, up to 15 s old) must not
  # be the one whose pulls take the images' inodes and bytes.
  --prepull-images=true
  --node-name="$NODE_NAME"
  --kubelet-config-file="$WORK_DIR/kubelet-config.yaml"
  --k8s-bin-dir="$WORK_DIR/k8s-bin"
  --report-dir="$REPORT"
  # One flag: the framework splits it on blanks. --system-cgroups= keeps the kubelet
  # from moving every host process into /system.
  "--kubelet-flags=--node-ip=$NODE_IP --system-cgroups="
  --ginkgo.focus="$FOCUS"
  --ginkgo.timeout="$TIMEOUT"
  --ginkgo.v
  --ginkgo.no-color
  --ginkgo.json-report="$REPORT/report.json"
)
[[ -n $SKIP ]] && SUITE_ARGS+=(--ginkgo.skip="$SKIP")
SUITE_ARGS+=(${EXTRA[@]+"${EXTRA[@]}"})
printf '%q ' "$E2E_NODE_BIN" "${SUITE_ARGS[@]}" >"$LOGS/e2e_node.cmdline"
cl_log "running e2e_node.test in $RUN (output: $LOGS/e2e_node.log)"
# If this script dies without its teardown (SIGKILL), the suite gets SIGTERM (pdeathsig)
# and cleans up as on Ctrl-C: its AfterEach and AfterSuite run, with fakecri still
# there, and stop the kubelet; the next run tears down the rest (fakecri, mounts...).
# Nothing started here holds the lock (not even tee), so that run is not kept waiting.
(
  cd "$RUN"
  exec setpriv --pdeathsig TERM "${NSENTER[@]}" env PATH="$SUITE_PATH" \
    FAKECRI_E2E_NODE_STATE="$STATE" FAKECRI_E2E_NODE_KUBELET="$KUBELET_BIN" \
    "$E2E_NODE_BIN" "${SUITE_ARGS[@]}"
) </dev/null > >(tee "$LOGS/e2e_node.log" {LOCK_FD}>&-) 2>&1 {LOCK_FD}>&- &
SUITE_PID=$!
set +e
wait "$SUITE_PID"
SUITE_RC=$?
set -e
SUITE_PID=""
cl_log "e2e_node.test exited with status $SUITE_RC"

# The framework stops its kubelet (our unit) at the end; anything left is stopped by
# the teardown, which also stops fakecri.
if ((SUITE_RC == 0)) && suite_passed; then exit 0; fi
exit 1
