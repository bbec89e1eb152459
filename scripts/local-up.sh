#!/usr/bin/env bash
# Start a one-node Kubernetes cluster whose kubelet runs on fakecri, on loopback only.
#
#   scripts/local-up.sh [--daemon] [options]      (`make cluster` runs it with --daemon)
#   scripts/local-down.sh [--work-dir DIR]        (`make cluster-down`)
#
# It starts etcd, kube-apiserver, optionally kube-controller-manager and kube-scheduler,
# fakecri and a kubelet pointed at fakecri. Everything it makes lives under one work
# directory (see scripts/cluster-lib.sh for the layout); the only things outside it are
# the three host sysctls the kubelet sets, which are saved first and put back at
# teardown, and /var/lib/kubelet/device-plugins and /var/log/containers, which the
# kubelet creates whatever its --root-dir and which teardown removes if it made them and
# they are empty.
#
# Foreground (the default): waits after the node is Ready; Ctrl-C tears down.
# --daemon: returns once the node is Ready, printing KUBECONFIG and the fakecri socket;
#           the cluster keeps running until scripts/local-down.sh.
#
# Choices made here, and why:
# - Node name 127.0.0.1 (as hack/local-up-cluster.sh). The kubelet refuses a loopback
#   --node-ip, but takes a --hostname-override that is an IP as its InternalIP without
#   checking it, and the apiserver reaches the kubelet (logs, exec) at InternalIP. Any
#   other name would make the kubelet advertise a non-loopback interface address.
# - Service accounts: without kube-controller-manager nobody creates the "default"
#   ServiceAccount or the "kube-root-ca.crt" ConfigMap, and the ServiceAccount admission
#   plugin rejects pods in a namespace without the former, while the kubelet cannot
#   mount the kube-api-access volume without the latter. We keep the admission plugin on,
#   so pods look as they do in a real cluster (projected token volume, TokenRequest
#   from the kubelet), and create both objects in the "default" namespace ourselves
#   (and in any namespace given with --namespace). With --controller-manager the
#   controllers do it for every namespace.
# - Pod CIDR: nothing allocates one without the controller manager's IPAM, so we set
#   spec.podCIDR on the node once it registers; the kubelet then sends it to fakecri
#   with UpdateRuntimeConfig, as on a real node.
# - Authentication between the components is by client certificate only (openssl, see
#   gen_pki); the kubelet serves with a certificate from the same CA, and the apiserver
#   checks it (--kubelet-certificate-authority).
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
# shellcheck source=scripts/cluster-lib.sh
source "$SCRIPT_DIR/cluster-lib.sh"

usage() {
  cat <<EOF
Usage: $0 [options]

Mode:
  --daemon, -d                 return once the node is Ready; stop with scripts/local-down.sh
  --foreground                 stay in the foreground; Ctrl-C tears down (default)
  --work-dir DIR               all state goes here (default \$WORK_DIR or /tmp/fakecri-cluster)
  --keep-on-failure            if start-up fails, leave everything running for a look

Components:
  --controller-manager         also start kube-controller-manager
  --scheduler                  also start kube-scheduler
  --control-plane              both of the above
  --node-name NAME             node name (default 127.0.0.1; see the comment at the top)
  --pod-cidr CIDR              spec.podCIDR set on the node (default 10.244.0.0/24; "" for none)
  --namespace NS               also create the default ServiceAccount and kube-root-ca.crt
                               ConfigMap in NS (repeatable; without the controller manager)
  --feature-gates GATES        passed to the apiserver and the kubelet (A=true,B=false)

Filesystems (tmpfs, sizes as mount(8) takes them: 512m, 2g):
  --imagefs-size SIZE          fakecri's imagefs (default 1g)
  --containerfs-size SIZE      fakecri's containerfs (default 512m)
  --containerfs-shared         no containerfs of its own: writable layers go on imagefs
  --nodefs-size SIZE           also put the kubelet root dir and pod logs on a tmpfs of
                               this size (default: on the work dir's filesystem)

Kubelet:
  --eviction-hard LIST         e.g. "imagefs.available<15%,memory.available<100Mi"
                               (default: the kubelet's own defaults, written out)
  --eviction-soft LIST         (default none)
  --eviction-soft-grace-period LIST  e.g. "imagefs.available=30s"
  --eviction-minimum-reclaim LIST    e.g. "imagefs.available=100Mi"
  --eviction-pressure-transition-period DUR   (default 1m, as local-up-cluster.sh)
  --image-gc-high PERCENT      imageGCHighThresholdPercent (default 85)
  --image-gc-low PERCENT       imageGCLowThresholdPercent (default 80)
  --image-minimum-gc-age DUR   (default 2m)
  --node-status-update-frequency DUR  (default 5s; upstream 10s)
  --node-status-report-frequency DUR  (default 30s; upstream 5m)
  --kubelet-verbosity N        --v for the kubelet (default 2)
  --kubelet-arg ARG            extra kubelet flag (repeatable)
  --kubelet-config-extra FILE  YAML appended to the KubeletConfiguration (top-level keys
                               not already written by this script)

fakecri:
  --personality NAME           containerd (default) or crio: fakecri serves CRI-O's socket
                               /var/run/crio/crio.sock with CRI-O's HTTP inspect API and
                               crio-<id> cgroups, so the kubelet takes its cAdvisor stats
                               path, the only one that shows a split imagefs (KEP-4191)
  --fakecri-log-level LEVEL    (default info)
  --fakecri-config-extra FILE  TOML appended to the generated config (tables other than
                               [filesystems.*], [runtime], [server], [network])

Ports (all on 127.0.0.1):
  --etcd-port N (2379; peer N+1)  --apiserver-port N (6443)  --kubelet-port N (10250)
  --kubelet-healthz-port N (10248)

Environment: KUBE_BIN_DIR (default /opt/kube-bin if it exists), ETCD (etcd binary),
FAKECRI_CMD (command to run fakecri; default: node $REPO_ROOT/dist/cli/main.js).
EOF
}

# ---------------------------------------------------------------- options
WORK_DIR=${WORK_DIR:-/tmp/fakecri-cluster}
DAEMON=false
KEEP_ON_FAILURE=false
START_CM=false
START_SCHED=false
NODE_NAME=127.0.0.1
POD_CIDR=10.244.0.0/24
SA_NAMESPACES=(default)
FEATURE_GATES=""
IMAGEFS_SIZE=1g
CONTAINERFS_SIZE=512m
CONTAINERFS_SHARED=false
NODEFS_SIZE=""
# The kubelet's defaults (pkg/kubelet/eviction/defaults_linux.go), written out so
# that the config file says what is in force.
EVICTION_HARD="memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%"
EVICTION_SOFT=""
EVICTION_SOFT_GRACE=""
EVICTION_MIN_RECLAIM=""
EVICTION_PTP=1m
IMAGE_GC_HIGH=85
IMAGE_GC_LOW=80
IMAGE_MIN_GC_AGE=2m
NODE_STATUS_UPDATE=5s
NODE_STATUS_REPORT=30s
KUBELET_V=2
KUBELET_EXTRA_ARGS=()
KUBELET_CONFIG_EXTRA=""
FAKECRI_LOG_LEVEL=info
FAKECRI_CONFIG_EXTRA=""
PERSONALITY=containerd
ETCD_PORT=2379
APISERVER_PORT=6443
KUBELET_PORT=10250
KUBELET_HEALTHZ_PORT=10248
SERVICE_CIDR=10.0.0.0/24
SERVICE_IP=10.0.0.1
CLUSTER_DNS=10.0.0.10

need_arg() { [[ $# -ge 2 && -n ${2+x} ]] || { echo "$0: $1 needs a value" >&2; exit 2; }; }
while [[ $# -gt 0 ]]; do
  case $1 in
    -d | --daemon) DAEMON=true ;;
    --foreground) DAEMON=false ;;
    --work-dir) need_arg "$@"; WORK_DIR=$2; shift ;;
    --keep-on-failure) KEEP_ON_FAILURE=true ;;
    --controller-manager) START_CM=true ;;
    --scheduler) START_SCHED=true ;;
    --control-plane) START_CM=true; START_SCHED=true ;;
    --node-name) need_arg "$@"; NODE_NAME=$2; shift ;;
    --pod-cidr) need_arg "$@"; POD_CIDR=$2; shift ;;
    --namespace) need_arg "$@"; SA_NAMESPACES+=("$2"); shift ;;
    --feature-gates) need_arg "$@"; FEATURE_GATES=$2; shift ;;
    --imagefs-size) need_arg "$@"; IMAGEFS_SIZE=$2; shift ;;
    --containerfs-size) need_arg "$@"; CONTAINERFS_SIZE=$2; CONTAINERFS_SHARED=false; shift ;;
    --containerfs-shared) CONTAINERFS_SHARED=true ;;
    --nodefs-size) need_arg "$@"; NODEFS_SIZE=$2; shift ;;
    --eviction-hard) need_arg "$@"; EVICTION_HARD=$2; shift ;;
    --eviction-soft) need_arg "$@"; EVICTION_SOFT=$2; shift ;;
    --eviction-soft-grace-period) need_arg "$@"; EVICTION_SOFT_GRACE=$2; shift ;;
    --eviction-minimum-reclaim) need_arg "$@"; EVICTION_MIN_RECLAIM=$2; shift ;;
    --eviction-pressure-transition-period) need_arg "$@"; EVICTION_PTP=$2; shift ;;
    --image-gc-high) need_arg "$@"; IMAGE_GC_HIGH=$2; shift ;;
    --image-gc-low) need_arg "$@"; IMAGE_GC_LOW=$2; shift ;;
    --image-minimum-gc-age) need_arg "$@"; IMAGE_MIN_GC_AGE=$2; shift ;;
    --node-status-update-frequency) need_arg "$@"; NODE_STATUS_UPDATE=$2; shift ;;
    --node-status-report-frequency) need_arg "$@"; NODE_STATUS_REPORT=$2; shift ;;
    --kubelet-verbosity) need_arg "$@"; KUBELET_V=$2; shift ;;
    --kubelet-arg) need_arg "$@"; KUBELET_EXTRA_ARGS+=("$2"); shift ;;
    --kubelet-config-extra) need_arg "$@"; KUBELET_CONFIG_EXTRA=$2; shift ;;
    --fakecri-log-level) need_arg "$@"; FAKECRI_LOG_LEVEL=$2; shift ;;
    --personality) need_arg "$@"; PERSONALITY=$2; shift ;;
    --fakecri-config-extra) need_arg "$@"; FAKECRI_CONFIG_EXTRA=$2; shift ;;
    --etcd-port) need_arg "$@"; ETCD_PORT=$2; shift ;;
    --apiserver-port) need_arg "$@"; APISERVER_PORT=$2; shift ;;
    --kubelet-port) need_arg "$@"; KUBELET_PORT=$2; shift ;;
    --kubelet-healthz-port) need_arg "$@"; KUBELET_HEALTHZ_PORT=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "$0: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

WORK_DIR=$(cl_abs "$WORK_DIR")
WORK_DIR=${WORK_DIR%/}
case $WORK_DIR in
  "" | / | /tmp | /var | /var/lib | /home | /root | /usr | /etc | "$HOME")
    die "refusing to use $WORK_DIR as the work directory; pick a directory of its own" ;;
esac
[[ $WORK_DIR != *[[:space:]]* ]] || die "the work directory must not contain blanks: '$WORK_DIR'"

size_re='^[0-9]+[kKmMgG]?$'
[[ $IMAGEFS_SIZE =~ $size_re ]] || die "--imagefs-size $IMAGEFS_SIZE: expected a size like 512m or 2g"
[[ $CONTAINERFS_SIZE =~ $size_re ]] || die "--containerfs-size $CONTAINERFS_SIZE: expected a size like 512m or 2g"
[[ -z $NODEFS_SIZE || $NODEFS_SIZE =~ $size_re ]] || die "--nodefs-size $NODEFS_SIZE: expected a size like 512m or 2g"
for p in "$IMAGE_GC_HIGH" "$IMAGE_GC_LOW"; do
  [[ $p =~ ^[0-9]+$ && $p -le 100 ]] || die "image GC thresholds are percentages from 0 to 100, not $p"
done
((IMAGE_GC_LOW <= IMAGE_GC_HIGH)) || die "--image-gc-low ($IMAGE_GC_LOW) is above --image-gc-high ($IMAGE_GC_HIGH)"
[[ $PERSONALITY == containerd || $PERSONALITY == crio ]] || die "--personality $PERSONALITY: expected containerd or crio"
[[ $(id -u) -eq 0 ]] || die "must run as root: it mounts tmpfs filesystems and the kubelet needs root"

# ---------------------------------------------------------------- binaries
if [[ -z ${KUBE_BIN_DIR:-} && -d /opt/kube-bin ]]; then KUBE_BIN_DIR=/opt/kube-bin; fi
KUBE_BIN_DIR=${KUBE_BIN_DIR:-}

find_kube_bin() {
  local name=$1
  if [[ -n $KUBE_BIN_DIR && -x $KUBE_BIN_DIR/$name ]]; then
    printf '%s\n' "$KUBE_BIN_DIR/$name"
  elif [[ -z $KUBE_BIN_DIR ]] && command -v "$name" >/dev/null 2>&1; then
    command -v "$name"
  else
    return 1
  fi
}

missing=()
declare -A BIN
needed=(kube-apiserver kubelet kubectl crictl)
$START_CM && needed+=(kube-controller-manager)
$START_SCHED && needed+=(kube-scheduler)
for b in "${needed[@]}"; do
  if path=$(find_kube_bin "$b"); then BIN[$b]=$path; else missing+=("$b"); fi
done
if ((${#missing[@]})); then
  cat >&2 <<EOF
$(basename "$0"): missing Kubernetes binaries: ${missing[*]}
  looked in: ${KUBE_BIN_DIR:-\$PATH (KUBE_BIN_DIR is not set and /opt/kube-bin does not exist)}
  They are not part of this repository. Either:
  - download the official release binaries (needs internet access):
      scripts/get-kube-binaries.sh v1.35.0 ~/.cache/fakecri/kube-bin
      export KUBE_BIN_DIR=~/.cache/fakecri/kube-bin
  - or build them from a Kubernetes checkout (make WHAT=cmd/kubelet …, and crictl from
    kubernetes-sigs/cri-tools) and point KUBE_BIN_DIR at the directory holding them.
EOF
  exit 1
fi

ETCD=${ETCD:-$(command -v etcd || true)}
if [[ -z $ETCD ]]; then
  cl_log "etcd not found; installing Debian's etcd-server"
  if ! command -v apt-get >/dev/null; then
    die "etcd is missing and there is no apt-get: install etcd 3.4+ and set ETCD=/path/to/etcd"
  fi
  # policy-rc.d keeps the package from starting its own etcd.service on :2379.
  # shellcheck disable=SC2016
  { DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server ||
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends etcd-server; }; } >&2 ||
    die "could not install etcd-server with apt-get"
  ETCD=$(command -v etcd) || die "etcd-server installed but no etcd binary on PATH"
fi

if [[ -n ${FAKECRI_CMD:-} ]]; then
  read -r -a FAKECRI_ARGV <<<"$FAKECRI_CMD"
else
  [[ -f $REPO_ROOT/dist/cli/main.js ]] || die "fakecri is not built ($REPO_ROOT/dist/cli/main.js missing): run 'make build' (make cluster does)"
  command -v node >/dev/null || die "node is not on PATH"
  FAKECRI_ARGV=(node "$REPO_ROOT/dist/cli/main.js")
fi

# ---------------------------------------------------------------- paths
PKI=$WORK_DIR/pki
LOGS=$WORK_DIR/logs
PIDS=$WORK_DIR/pids
MNT=$WORK_DIR/mnt
IMAGEFS=$MNT/imagefs
CONTAINERFS=$MNT/containerfs
NODEFS=$WORK_DIR/nodefs
KUBELET_ROOT=$NODEFS/kubelet
POD_LOGS=$NODEFS/pod-logs
KUBELET_DIR=$WORK_DIR/kubelet
FAKECRI_DIR=$WORK_DIR/fakecri
FAKECRI_SOCKET=$FAKECRI_DIR/fakecri.sock
# CRI-O's: the kubelet takes its cAdvisor stats path only for an endpoint ending in
# run/crio/crio.sock, and cAdvisor dials this literal path for /info. The only thing
# this cluster puts outside its work dir; teardown removes it (see cl_teardown).
[[ $PERSONALITY == crio ]] && FAKECRI_SOCKET=$CRIO_SOCKET
ADMIN_KUBECONFIG=$PKI/admin.kubeconfig
ETCD_PEER_PORT=$((ETCD_PORT + 1))
API_URL=https://127.0.0.1:$APISERVER_PORT
# sockaddr_un.sun_path is 108 bytes with the NUL.
((${#FAKECRI_SOCKET} + 8 < 108)) || die "work dir path too long for unix sockets: $FAKECRI_SOCKET"

# ---------------------------------------------------------------- previous run
if [[ -e $WORK_DIR && ! -d $WORK_DIR ]]; then die "$WORK_DIR exists and is not a directory"; fi
if [[ -d $WORK_DIR ]]; then
  if [[ ! -e $WORK_DIR/$CLUSTER_MARKER ]] && [[ -n $(ls -A "$WORK_DIR") ]]; then
    die "$WORK_DIR is not empty and was not made by this script ($CLUSTER_MARKER missing); pick another --work-dir"
  fi
  if cl_any_running "$WORK_DIR"; then
    die "a cluster is already running in $WORK_DIR; stop it with scripts/local-down.sh --work-dir $WORK_DIR"
  fi
  # Whatever a crashed run left: mounts, sysctls, host dirs.
  if [[ -n $(cl_mounts_under "$WORK_DIR") || -s $WORK_DIR/saved/sysctls ]]; then
    cl_log "cleaning up after a previous run in $WORK_DIR"
    cl_teardown "$WORK_DIR" || die "could not clean up the previous run in $WORK_DIR"
  fi
  [[ -z $(cl_mounts_under "$WORK_DIR") ]] || die "something is still mounted under $WORK_DIR"
  # Fresh cluster each time; keep nothing. --one-file-system: never follow a mount.
  find "$WORK_DIR" -mindepth 1 -maxdepth 1 ! -name "$CLUSTER_MARKER" -exec rm -rf --one-file-system {} +
fi
mkdir -p "$WORK_DIR"
touch "$WORK_DIR/$CLUSTER_MARKER"
mkdir -p "$PKI" "$LOGS" "$PIDS" "$MNT" "$IMAGEFS" "$NODEFS" "$KUBELET_DIR/manifests" \
  "$FAKECRI_DIR/state" "$WORK_DIR/etcd" "$WORK_DIR/saved"
chmod 700 "$PKI"

# CRI-O's socket is a fixed host path: refuse it while something answers on it (a real
# CRI-O, or another cluster's fakecri). A stale socket file fakecri replaces itself.
if [[ $PERSONALITY == crio ]]; then
  if [[ -S $CRIO_SOCKET ]] && curl -fsS --max-time 2 --unix-socket "$CRIO_SOCKET" http://crio/info >/dev/null 2>&1; then
    die "something already serves $CRIO_SOCKET (CRI-O, or another cluster with --personality crio)"
  fi
  [[ -e ${CRIO_SOCKET%/*} ]] || echo "${CRIO_SOCKET%/*}" >"$WORK_DIR/saved/crio-dir-created"
fi
# Every listening port, checked up front so that a clash names the port.
port_in_use() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
ports=("$ETCD_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT" "$KUBELET_PORT" "$KUBELET_HEALTHZ_PORT")
$START_CM && ports+=(10257)
$START_SCHED && ports+=(10259)
for p in "${ports[@]}"; do
  if port_in_use "$p"; then
    die "port $p on this host is already in use ($(ss -Hltnp "sport = :$p" | awk '{print $NF}' | head -1)); is another cluster running?"
  fi
done

# ---------------------------------------------------------------- teardown on exit
STARTED=false   # true once the node is Ready (daemon mode then leaves it running)
on_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if $DAEMON && $STARTED; then exit "$rc"; fi
  if ! $STARTED && $KEEP_ON_FAILURE && ((rc != 0)); then
    cl_warn "start-up failed; leaving everything as it is (--keep-on-failure). Logs: $LOGS"
    cl_warn "tear down with: scripts/local-down.sh --work-dir $WORK_DIR"
    exit "$rc"
  fi
  ((rc == 0)) || [[ $rc -eq 130 || $rc -eq 143 ]] || cl_warn "start-up failed (exit $rc); logs are in $LOGS; tearing down"
  cl_log "tearing down the cluster in $WORK_DIR"
  if cl_teardown "$WORK_DIR"; then cl_log "torn down"; else cl_warn "teardown left something behind (see above)"; rc=1; fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME CMD...: own session (so Ctrl-C reaches only this script, which then stops
# everything in order), no stdin, output to logs/NAME.log, pid to pids/NAME.pid.
start() {
  local name=$1
  shift
  cl_log "starting $name"
  printf '%q ' "$@" >"$LOGS/$name.cmdline"
  echo >>"$LOGS/$name.cmdline"
  setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
  echo $! >"$PIDS/$name.pid"
}

# wait_for NAME TIMEOUT_SECONDS CHECK...: poll CHECK until it succeeds; fail early,
# showing the log, if NAME's process has died.
wait_for() {
  local name=$1 timeout=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ! cl_pid_alive "$WORK_DIR" "$name" >/dev/null; then
      echo "---- last lines of $LOGS/$name.log" >&2
      tail -n 30 "$LOGS/$name.log" >&2 || true
      die "$name exited during start-up"
    fi
    if ((SECONDS >= deadline)); then
      echo "---- last lines of $LOGS/$name.log" >&2
      tail -n 30 "$LOGS/$name.log" >&2 || true
      die "$name was not ready after ${timeout}s"
    fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- certificates
# One CA signs everything: serving certs for the apiserver and the kubelet, and the
# client certs every component authenticates with.
gen_pki() {
  local d=$PKI
  cd "$d"
  openssl genrsa -out ca.key 2048 2>/dev/null
  openssl req -x509 -new -nodes -key ca.key -sha256 -days 3650 -subj "/CN=fakecri-cluster-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out ca.crt 2>/dev/null
  # sign NAME SUBJECT EXT: key + cert signed by the CA.
  sign() {
    local name=$1 subj=$2 ext=$3
    openssl genrsa -out "$name.key" 2048 2>/dev/null
    openssl req -new -key "$name.key" -subj "$subj" -out "$name.csr" 2>/dev/null
    printf '%s\n' "$ext" >"$name.ext"
    openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -sha256 -days 3650 \
      -extfile "$name.ext" -out "$name.crt" 2>/dev/null
    rm -f "$name.csr" "$name.ext"
  }
  local client="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  local server="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth"
  sign apiserver "/CN=kube-apiserver" "$server
subjectAltName=IP:127.0.0.1,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  local node_san="IP:127.0.0.1,DNS:localhost"
  if [[ $NODE_NAME =~ ^[0-9.]+$ ]]; then
    [[ $NODE_NAME == 127.0.0.1 ]] || node_san+=",IP:$NODE_NAME"
  else
    node_san+=",DNS:$NODE_NAME"
  fi
  sign kubelet-serving "/CN=system:node:$NODE_NAME/O=system:nodes" "$server
subjectAltName=$node_san"
  sign admin "/CN=kubernetes-admin/O=system:masters" "$client"
  sign kubelet "/CN=system:node:$NODE_NAME/O=system:nodes" "$client"
  # The apiserver's client cert for kubelet logs/exec/port-forward; system:masters so
  # that the kubelet's webhook authorization allows it without an extra binding.
  sign apiserver-kubelet-client "/CN=kube-apiserver-kubelet-client/O=system:masters" "$client"
  sign controller-manager "/CN=system:kube-controller-manager" "$client"
  sign scheduler "/CN=system:kube-scheduler" "$client"
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  chmod 600 ./*.key
  local who
  for who in admin kubelet controller-manager scheduler; do
    cat >"$who.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fakecri
  cluster:
    server: $API_URL
    certificate-authority: $d/ca.crt
users:
- name: $who
  user:
    client-certificate: $d/$who.crt
    client-key: $d/$who.key
contexts:
- name: fakecri
  context:
    cluster: fakecri
    user: $who
current-context: fakecri
EOF
  done
  cd - >/dev/null
}

# ---------------------------------------------------------------- start
T0=$SECONDS
cl_log "work dir: $WORK_DIR; binaries: ${KUBE_BIN_DIR:-PATH}; etcd: $ETCD"
gen_pki

# -- filesystems. Mounted before the kubelet starts: cAdvisor reads the mount table once.
mount_tmpfs() {
  local what=$1 size=$2 where=$3
  mkdir -p "$where"
  mount -t tmpfs -o "size=$size,mode=0755" "fakecri-$what" "$where" || die "could not mount a tmpfs on $where"
  echo "$where" >>"$WORK_DIR/mounts"
  cl_log "mounted $what: tmpfs of $size on $where"
}
mount_tmpfs imagefs "$IMAGEFS_SIZE" "$IMAGEFS"
if ! $CONTAINERFS_SHARED; then mount_tmpfs containerfs "$CONTAINERFS_SIZE" "$CONTAINERFS"; fi
if [[ -n $NODEFS_SIZE ]]; then mount_tmpfs nodefs "$NODEFS_SIZE" "$NODEFS"; fi
mkdir -p "$KUBELET_ROOT" "$POD_LOGS"

# -- etcd
start etcd "$ETCD" --name fakecri --data-dir "$WORK_DIR/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "fakecri=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
  --listen-metrics-urls "" --log-level warn
wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

# -- kube-apiserver
# shellcheck disable=SC2054 # commas inside one flag value
api_args=(
  --etcd-servers="http://127.0.0.1:$ETCD_PORT"
  --bind-address=127.0.0.1 --secure-port="$APISERVER_PORT" --advertise-address=127.0.0.1
  # The "kubernetes" Service's endpoints would be 127.0.0.1, which an EndpointSlice may
  # not hold; nothing in this cluster needs them.
  --endpoint-reconciler-type=none
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key"
  --client-ca-file="$PKI/ca.crt"
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key"
  --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=InternalIP,Hostname
  --kubelet-port="$KUBELET_PORT"
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key"
  --service-account-issuer=https://kubernetes.default.svc.cluster.local
  --service-cluster-ip-range="$SERVICE_CIDR"
  --authorization-mode=Node,RBAC
  # ServiceAccount admission is on by default and stays on (see the top of this file).
  --enable-admission-plugins=NodeRestriction
  --allow-privileged=true
  --profiling=false
  --v=1
)
# etcd 3.4 has no RequestWatchProgress, so the watch cache can never prove itself fresh
# and the apiserver's object size estimator (SizeBasedListCostEstimate, beta in 1.34)
# times out every minute ("Error getting keys … Too large resource version") and holds
# up the apiserver's shutdown until it is killed. Off for etcd 3.4; later gates win.
api_gates=""
if [[ $("$ETCD" --version 2>/dev/null | awk '/etcd Version/ {print $3}') == 3.4.* ]]; then
  api_gates=SizeBasedListCostEstimate=false
fi
[[ -n $FEATURE_GATES ]] && api_gates+=${api_gates:+,}$FEATURE_GATES
[[ -n $api_gates ]] && api_args+=(--feature-gates="$api_gates")
start kube-apiserver "${BIN[kube-apiserver]}" "${api_args[@]}"
api_ready() {
  curl -fsS --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$API_URL/readyz"
}
wait_for kube-apiserver 90 api_ready

KUBECTL=("${BIN[kubectl]}" --kubeconfig "$ADMIN_KUBECONFIG")

# -- controller manager and scheduler (optional)
if $START_CM; then
  start kube-controller-manager "${BIN[kube-controller-manager]}" \
    --kubeconfig="$PKI/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$PKI/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false \
    --use-service-account-credentials \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --flex-volume-plugin-dir="$KUBELET_DIR/volume-plugins" \
    ${FEATURE_GATES:+--feature-gates="$FEATURE_GATES"} --v=1
fi
if $START_SCHED; then
  start kube-scheduler "${BIN[kube-scheduler]}" \
    --kubeconfig="$PKI/scheduler.kubeconfig" \
    --authentication-kubeconfig="$PKI/scheduler.kubeconfig" \
    --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port=10259 --leader-elect=false \
    ${FEATURE_GATES:+--feature-gates="$FEATURE_GATES"} --v=1
fi

# -- service accounts (see the top of this file)
seed_namespace() {
  local ns=$1
  "${KUBECTL[@]}" get namespace "$ns" >/dev/null 2>&1 || "${KUBECTL[@]}" create namespace "$ns" >/dev/null
  if ! $START_CM; then
    "${KUBECTL[@]}" -n "$ns" get serviceaccount default >/dev/null 2>&1 ||
      "${KUBECTL[@]}" -n "$ns" create serviceaccount default >/dev/null
    "${KUBECTL[@]}" -n "$ns" get configmap kube-root-ca.crt >/dev/null 2>&1 ||
      "${KUBECTL[@]}" -n "$ns" create configmap kube-root-ca.crt --from-file=ca.crt="$PKI/ca.crt" >/dev/null
  fi
}
for ns in "${SA_NAMESPACES[@]}"; do seed_namespace "$ns"; done

# -- fakecri
{
  cat <<EOF
# Generated by scripts/local-up.sh. The host backend writes real bytes on the tmpfs
# mounts, so the kubelet's statfs of them (imagefs.available, image GC) moves.
$([[ $PERSONALITY == crio ]] && printf 'personality = "crio"   # CRI-O socket, inspect API, crio-<id> cgroups\n')
[server]
log_level = "$FAKECRI_LOG_LEVEL"

[runtime]
cgroup_driver = "cgroupfs"

[filesystems.imagefs]
backend = "host"
path = "$IMAGEFS"
EOF
  if ! $CONTAINERFS_SHARED; then
    cat <<EOF

[filesystems.containerfs]
backend = "host"
path = "$CONTAINERFS"
EOF
  fi
  if [[ -n $FAKECRI_CONFIG_EXTRA ]]; then
    printf '\n# ---- from %s\n' "$FAKECRI_CONFIG_EXTRA"
    cat "$FAKECRI_CONFIG_EXTRA"
  fi
} >"$FAKECRI_DIR/config.toml"
# For teardown: the sockets fakecri serves, wherever they are.
printf '%s\n' "$FAKECRI_SOCKET" "${FAKECRI_SOCKET%.sock}-control.sock" >"$FAKECRI_DIR/sockets"
start fakecri "${FAKECRI_ARGV[@]}" serve --socket "$FAKECRI_SOCKET" --state-dir "$FAKECRI_DIR/state" \
  --config "$FAKECRI_DIR/config.toml" --log-level "$FAKECRI_LOG_LEVEL"
CRICTL=("${BIN[crictl]}" --runtime-endpoint "unix://$FAKECRI_SOCKET" --image-endpoint "unix://$FAKECRI_SOCKET" --timeout 10s)
wait_for fakecri 30 "${CRICTL[@]}" version
# The control API (fakecri ctl) is newer than some fakecri builds: take its socket from
# fakecri's start-up log line when it serves one (by default the CRI socket's path with
# .sock → -control.sock), and say "none" otherwise.
FAKECRI_CONTROL=$(grep -o '"controlSocket":"[^"]*"' "$LOGS/fakecri.log" | tail -n 1 | cut -d'"' -f4 || true)
if [[ -z $FAKECRI_CONTROL && -S ${FAKECRI_SOCKET%.sock}-control.sock ]]; then
  FAKECRI_CONTROL=${FAKECRI_SOCKET%.sock}-control.sock
fi

cat >"$WORK_DIR/crictl.yaml" <<EOF
runtime-endpoint: unix://$FAKECRI_SOCKET
image-endpoint: unix://$FAKECRI_SOCKET
timeout: 10
EOF

# -- kubelet
# "a<b,c<d" -> YAML map lines; "a=b,c=d" likewise.
yaml_map() {
  local key=$1 list=$2 sep=$3 item
  [[ -n $list ]] || return 0
  echo "$key:"
  IFS=',' read -r -a items <<<"$list"
  for item in "${items[@]}"; do
    [[ $item == *"$sep"* ]] || die "$key: '$item' is not of the form signal${sep}value"
    printf '  %s: "%s"\n' "${item%%"$sep"*}" "${item#*"$sep"}"
  done
}
{
  cat <<EOF
# Generated by scripts/local-up.sh.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
rotateCertificates: false
serverTLSBootstrap: false
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $PKI/ca.crt
authorization:
  mode: Webhook
# No cgroups of its own: fakecri runs no processes, and the host may have cgroup v1.
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
failCgroupV1: false
podLogsDir: $POD_LOGS
staticPodPath: $KUBELET_DIR/manifests
# Else the kubelet (and kube-controller-manager, see --flex-volume-plugin-dir) creates
# /usr/libexec/kubernetes/kubelet-plugins/volume/exec on the host.
volumePluginDir: $KUBELET_DIR/volume-plugins
fileCheckFrequency: 5s
clusterDomain: cluster.local
clusterDNS: [$CLUSTER_DNS]
resolvConf: "$([[ -f /etc/resolv.conf ]] && echo /etc/resolv.conf)"
nodeStatusUpdateFrequency: $NODE_STATUS_UPDATE
nodeStatusReportFrequency: $NODE_STATUS_REPORT
imageGCHighThresholdPercent: $IMAGE_GC_HIGH
imageGCLowThresholdPercent: $IMAGE_GC_LOW
imageMinimumGCAge: $IMAGE_MIN_GC_AGE
evictionPressureTransitionPeriod: $EVICTION_PTP
EOF
  yaml_map evictionHard "$EVICTION_HARD" '<'
  yaml_map evictionSoft "$EVICTION_SOFT" '<'
  yaml_map evictionSoftGracePeriod "$EVICTION_SOFT_GRACE" '='
  yaml_map evictionMinimumReclaim "$EVICTION_MIN_RECLAIM" '='
  if [[ -n $FEATURE_GATES ]]; then
    echo "featureGates:"
    IFS=',' read -r -a gates <<<"$FEATURE_GATES"
    for g in "${gates[@]}"; do printf '  %s: %s\n' "${g%%=*}" "${g#*=}"; done
  fi
  if [[ -n $KUBELET_CONFIG_EXTRA ]]; then
    printf '# ---- from %s\n' "$KUBELET_CONFIG_EXTRA"
    cat "$KUBELET_CONFIG_EXTRA"
  fi
} >"$KUBELET_DIR/config.yaml"

# The kubelet sets these three host sysctls; save them before it starts.
cl_save_sysctls "$WORK_DIR"
cl_save_host_dirs "$WORK_DIR"
start kubelet "${BIN[kubelet]}" \
  --config="$KUBELET_DIR/config.yaml" \
  --kubeconfig="$PKI/kubelet.kubeconfig" \
  --root-dir="$KUBELET_ROOT" \
  --cert-dir="$KUBELET_DIR/pki" \
  --hostname-override="$NODE_NAME" \
  --container-runtime-endpoint="unix://$FAKECRI_SOCKET" \
  --v="$KUBELET_V" \
  ${KUBELET_EXTRA_ARGS[@]+"${KUBELET_EXTRA_ARGS[@]}"}

kubelet_healthy() { curl -fsS "http://127.0.0.1:$KUBELET_HEALTHZ_PORT/healthz"; }
wait_for kubelet 60 kubelet_healthy
wait_for kubelet 60 "${KUBECTL[@]}" get node "$NODE_NAME"
if [[ -n $POD_CIDR ]]; then
  "${KUBECTL[@]}" patch node "$NODE_NAME" --type merge \
    -p "{\"spec\":{\"podCIDR\":\"$POD_CIDR\",\"podCIDRs\":[\"$POD_CIDR\"]}}" >/dev/null
fi
node_ready() {
  [[ $("${KUBECTL[@]}" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}') == True ]]
}
wait_for kubelet 120 node_ready
# The kubelet picks spec.podCIDR up at its next node status update and passes it to
# fakecri (UpdateRuntimeConfig); wait for that, or the first pods get IPs from fakecri's
# default range.
if [[ -n $POD_CIDR ]]; then
  cidr_applied() { grep -qF "\"Updating Pod CIDR\" originalPodCIDR=\"\" newPodCIDR=\"$POD_CIDR\"" "$LOGS/kubelet.log"; }
  deadline=$((SECONDS + 30))
  until cidr_applied; do
    if ((SECONDS >= deadline)); then
      cl_warn "the kubelet has not applied pod CIDR $POD_CIDR after 30s (see 'UpdateRuntimeConfig'/'pod CIDR' in $LOGS/kubelet.log); going on"
      break
    fi
    sleep 0.5
  done
fi
# The kubelet registers with the node.kubernetes.io/not-ready:NoSchedule taint; the node
# lifecycle controller removes it once the node is Ready. Without the controller
# manager we do, so that kube-scheduler (--scheduler) can place pods here.
if ! $START_CM; then
  "${KUBECTL[@]}" taint node "$NODE_NAME" node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
fi
STARTED=true

# ---------------------------------------------------------------- report
cat >"$WORK_DIR/cluster.env" <<EOF
# Generated by scripts/local-up.sh; source it.
export KUBECONFIG=$ADMIN_KUBECONFIG
export FAKECRI_SOCKET=$FAKECRI_SOCKET
export FAKECRI_CONTROL=$FAKECRI_CONTROL
export FAKECRI_PERSONALITY=$PERSONALITY
export CONTAINER_RUNTIME_ENDPOINT=unix://$FAKECRI_SOCKET
export CRI_CONFIG_FILE=$WORK_DIR/crictl.yaml
export NODE_NAME=$NODE_NAME
export CLUSTER_WORK_DIR=$WORK_DIR
export KUBE_BIN_DIR=${KUBE_BIN_DIR}
export KUBELET_LOG=$LOGS/kubelet.log
export FAKECRI_LOG=$LOGS/fakecri.log
# The apiserver will not proxy to a loopback node address (nodes/proxy answers "address
# not allowed"), so ask the kubelet itself, as the admin:
#   curl --cacert \$CLUSTER_PKI/ca.crt --cert \$CLUSTER_PKI/admin.crt --key \$CLUSTER_PKI/admin.key \$KUBELET_URL/stats/summary
export KUBELET_URL=https://127.0.0.1:$KUBELET_PORT
export CLUSTER_PKI=$PKI
EOF

cat <<EOF

fakecri cluster is up: node $NODE_NAME Ready in $((SECONDS - T0))s.
  KUBECONFIG=$ADMIN_KUBECONFIG
  fakecri socket:  $FAKECRI_SOCKET   (crictl: CRI_CONFIG_FILE=$WORK_DIR/crictl.yaml)
  fakecri control: ${FAKECRI_CONTROL:-(none: this fakecri serves no control API)}
  logs:            $LOGS/{etcd,kube-apiserver,fakecri,kubelet}.log
  kubelet API:     https://127.0.0.1:$KUBELET_PORT (admin client cert in $PKI; see cluster.env)
  environment:     source $WORK_DIR/cluster.env
  pods:            bind them with spec.nodeName: $NODE_NAME$($START_SCHED && echo " (or let kube-scheduler do it)")
EOF
if [[ -n $FAKECRI_CONTROL && -z ${FAKECRI_CMD:-} ]]; then
  echo "  fakecri ctl:     node $REPO_ROOT/dist/cli/main.js ctl status   (after sourcing cluster.env)"
fi
if $DAEMON; then
  echo "  stop with:       scripts/local-down.sh --work-dir $WORK_DIR   (or make cluster-down)"
  exit 0
fi
echo "  Ctrl-C to tear down."

# Foreground: wait, and say so if a component dies.
declare -A REPORTED=()
while :; do
  for name in "${CLUSTER_COMPONENTS[@]}"; do
    [[ -f $PIDS/$name.pid && -z ${REPORTED[$name]:-} ]] || continue
    if ! cl_pid_alive "$WORK_DIR" "$name" >/dev/null; then
      wait "$(<"$PIDS/$name.pid")" 2>/dev/null || true
      cl_warn "$name has exited; see $LOGS/$name.log"
      REPORTED[$name]=1
    fi
  done
  sleep 2 &
  wait $! || true
done
