# shellcheck shell=bash
# Shared by scripts/local-up.sh, scripts/local-down.sh and e2e/: the work-directory
# layout and the teardown. Sourced, never run.
#
# Everything a local cluster owns lives under one work directory:
#
#   .fakecri-cluster   marker: only a directory carrying it is ever wiped
#   cluster.env        KUBECONFIG, FAKECRI_SOCKET, … for scripts and shells to source
#   pids/NAME.pid      one per process started, stopped by this pid only
#   logs/NAME.log      stdout+stderr of each process
#   pki/               CA, serving and client certificates, kubeconfigs, SA keys
#   etcd/              etcd data
#   mnt/imagefs        tmpfs, fakecri's imagefs (host backend)
#   mnt/containerfs    tmpfs, fakecri's containerfs (unless shared with imagefs)
#   nodefs/            kubelet root and pod logs (a tmpfs with --nodefs-size)
#   fakecri/           config.toml, state/, fakecri.sock, fakecri-control.sock, sockets
#                      (the sockets it serves: with --personality crio, CRI-O's
#                      /var/run/crio/crio.sock and crio-control.sock, outside the work dir)
#   kubelet/           config.yaml, manifests/
#   saved/             host state to put back at teardown (sysctls, host dirs)
#   mounts             the mountpoints local-up.sh mounted itself

# shellcheck disable=SC2034 # used by the scripts that source this file
CLUSTER_MARKER=.fakecri-cluster
# CRI-O's socket, which --personality crio serves: cAdvisor dials this literal path.
CRIO_SOCKET=/var/run/crio/crio.sock
# Stop order: the kubelet first, so it stops calling the runtime and the apiserver;
# etcd last.
CLUSTER_COMPONENTS=(kubelet kube-scheduler kube-controller-manager fakecri kube-apiserver etcd)
# The host sysctls the kubelet's container manager sets (setupKernelTunables):
# kernel.panic=10, kernel.panic_on_oops=1, vm.overcommit_memory=1.
CLUSTER_SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory)
# Host directories the kubelet creates whatever --root-dir says.
CLUSTER_HOST_DIRS=(/var/lib/kubelet /var/lib/kubelet/device-plugins /var/log/containers)

cl_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cl_warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# cl_abs PATH: absolute path without requiring it to exist.
cl_abs() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$PWD" "$1" ;;
  esac
}

# cl_pid_alive DIR NAME: prints the pid of NAME if its pid file names a live process
# whose command line mentions the work dir (so a recycled pid is never taken for ours).
cl_pid_alive() {
  local dir=$1 name=$2 pid cmd
  [[ -f $dir/pids/$name.pid ]] || return 1
  pid=$(<"$dir/pids/$name.pid")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  # Just started, the process may be in execve, with an empty command line for a
  # moment (9 starts in 300 here): read it again before calling the process gone.
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
    [[ -z $cmd ]] || break
    sleep 0.02
  done
  [[ $cmd == *"$dir"* ]] || return 1
  # A zombie is not alive: it has exited and only waits to be reaped.
  [[ $(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null) != Z ]] || return 1
  printf '%s\n' "$pid"
}

# cl_any_running DIR: true if any component of the cluster in DIR is alive.
cl_any_running() {
  local name
  for name in "${CLUSTER_COMPONENTS[@]}"; do
    cl_pid_alive "$1" "$name" >/dev/null && return 0
  done
  return 1
}

# cl_stop DIR NAME [GRACE_SECONDS]: SIGTERM by pid, SIGKILL after the grace period.
cl_stop() {
  local dir=$1 name=$2 grace=${3:-15} pid i
  if ! pid=$(cl_pid_alive "$dir" "$name"); then
    rm -f "$dir/pids/$name.pid"
    return 0
  fi
  cl_log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    cl_pid_alive "$dir" "$name" >/dev/null || break
    sleep 0.1
  done
  if cl_pid_alive "$dir" "$name" >/dev/null; then
    cl_warn "$name (pid $pid) did not stop within ${grace}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      cl_pid_alive "$dir" "$name" >/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$dir/pids/$name.pid"
}

# cl_mounts_under DIR: mountpoints at or below DIR, deepest first. mountinfo escapes
# blanks as \040; our paths have none, but decode anyway.
cl_mounts_under() {
  local dir=${1%/}
  awk -v d="$dir" '{
      mp = $5
      gsub(/\\040/, " ", mp); gsub(/\\011/, "\t", mp); gsub(/\\012/, "\n", mp); gsub(/\\134/, "\\", mp)
      if (mp == d || index(mp, d "/") == 1) print length(mp) "\t" mp
    }' /proc/self/mountinfo | sort -rn | cut -f2-
}

# cl_unmount_all DIR: unmount everything at or below DIR: our tmpfs mounts, the
# kubelet's bind mount of its root dir onto itself, and any pod volume (projected
# service-account tokens are tmpfs) the kubelet left behind.
cl_unmount_all() {
  local dir=$1 pass mp left
  for ((pass = 0; pass < 10; pass++)); do
    left=$(cl_mounts_under "$dir")
    [[ -n $left ]] || return 0
    while IFS= read -r mp; do
      [[ -n $mp ]] || continue
      if umount "$mp" 2>/dev/null; then
        cl_log "unmounted $mp"
      elif ((pass >= 2)) && umount -l "$mp" 2>/dev/null; then
        cl_warn "unmounted $mp lazily (it was busy)"
      fi
    done <<<"$left"
  done
  left=$(cl_mounts_under "$dir")
  if [[ -n $left ]]; then
    cl_warn "still mounted under $dir: $(tr '\n' ' ' <<<"$left")"
    return 1
  fi
}

# cl_save_sysctls DIR [KEY...]: remember the values the kubelet will change
# (default CLUSTER_SYSCTLS). Kept if already saved: after a crash the live values
# may be the kubelet's, not the host's.
cl_save_sysctls() {
  local dir=$1 key
  shift
  local keys=("$@")
  ((${#keys[@]})) || keys=("${CLUSTER_SYSCTLS[@]}")
  mkdir -p "$dir/saved"
  [[ -s $dir/saved/sysctls ]] && return 0
  : >"$dir/saved/sysctls.tmp"
  for key in "${keys[@]}"; do
    printf '%s=%s\n' "$key" "$(<"/proc/sys/${key//.//}")" >>"$dir/saved/sysctls.tmp"
  done
  mv "$dir/saved/sysctls.tmp" "$dir/saved/sysctls"
}

# cl_restore_sysctls DIR: put them back, each one that can be; the saved values
# stay until all are back.
cl_restore_sysctls() {
  local dir=$1 key value now rc=0
  [[ -s $dir/saved/sysctls ]] || return 0
  while IFS='=' read -r key value; do
    [[ -n $key ]] || continue
    now=$(<"/proc/sys/${key//.//}")
    if [[ $now != "$value" ]]; then
      if printf '%s\n' "$value" >"/proc/sys/${key//.//}"; then
        cl_log "restored sysctl $key=$value (was $now)"
      else
        cl_warn "could not restore sysctl $key=$value (it is $now)"
        rc=1
      fi
    fi
  done <"$dir/saved/sysctls"
  ((rc)) || rm -f "$dir/saved/sysctls"
  return "$rc"
}

# cl_save_host_dirs DIR: note which of the kubelet's fixed host directories do not
# exist yet, so teardown removes only those (and only when empty).
cl_save_host_dirs() {
  local dir=$1 d
  mkdir -p "$dir/saved"
  [[ -e $dir/saved/host-dirs-created ]] && return 0
  : >"$dir/saved/host-dirs-created.tmp"
  for d in "${CLUSTER_HOST_DIRS[@]}"; do
    [[ -e $d ]] || printf '%s\n' "$d" >>"$dir/saved/host-dirs-created.tmp"
  done
  mv "$dir/saved/host-dirs-created.tmp" "$dir/saved/host-dirs-created"
}

cl_clean_host_dirs() {
  local dir=$1 d link target
  # Symlinks the kubelet made in /var/log/containers to this cluster's pod logs.
  if [[ -d /var/log/containers ]]; then
    for link in /var/log/containers/*; do
      [[ -L $link ]] || continue
      target=$(readlink "$link")
      [[ $target == "$dir"/* ]] && rm -f "$link"
    done
  fi
  [[ -f $dir/saved/host-dirs-created ]] || return 0
  # The device manager's registration socket, in a directory that was not there before.
  if grep -qx /var/lib/kubelet/device-plugins "$dir/saved/host-dirs-created"; then
    [[ -S /var/lib/kubelet/device-plugins/kubelet.sock ]] && rm -f /var/lib/kubelet/device-plugins/kubelet.sock
  fi
  # Deepest first; rmdir leaves anything that is not empty.
  sort -r "$dir/saved/host-dirs-created" | while IFS= read -r d; do
    [[ -d $d ]] || continue
    if rmdir "$d" 2>/dev/null; then
      cl_log "removed $d (created by the kubelet, empty)"
    else
      cl_warn "left $d: not empty"
    fi
  done
  rm -f "$dir/saved/host-dirs-created"
}

# cl_crio_cgroups DIR: the crio-<id> cgroups (every v1 hierarchy) of the sandboxes and
# containers in this cluster's fakecri state. fakecri removes a container's cgroup when
# it stops, but keeps those of what is still running when fakecri itself stops (they
# come back with it), so teardown removes them.
cl_crio_cgroups() {
  local dir=$1 f ids=()
  for f in "$dir"/fakecri/state/{sandboxes,containers}/*.json; do
    [[ -e $f ]] || continue
    f=${f##*/}
    ids+=("${f%.json}")
  done
  ((${#ids[@]})) || return 0
  find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -name 'crio-*' 2>/dev/null |
    grep -F -f <(printf '/crio-%s\n' "${ids[@]}") || true
}

# cl_clean_crio DIR: what --personality crio leaves outside the work dir: its sockets
# (fakecri removes them when it stops cleanly, not after SIGKILL), /var/run/crio if
# this cluster made it, and fakecri's crio-<id> cgroups.
cl_clean_crio() {
  local dir=$1 rc=0 sock cg
  if [[ -f $dir/fakecri/sockets ]]; then
    while IFS= read -r sock; do
      [[ -n $sock && -S $sock && $sock != "$dir"/* ]] || continue
      # Never one that something (not ours: ours is stopped) still serves.
      if curl -fsS --max-time 2 --unix-socket "$sock" http://crio/info >/dev/null 2>&1; then
        cl_warn "left $sock: something still answers on it"
        rc=1
      else
        rm -f "$sock" && cl_log "removed $sock"
      fi
    done <"$dir/fakecri/sockets"
  fi
  while IFS= read -r cg; do
    [[ -n $cg ]] || continue
    rmdir "$cg" 2>/dev/null || { cl_warn "could not remove cgroup $cg"; rc=1; }
  done < <(cl_crio_cgroups "$dir" | sort -r)
  if [[ -f $dir/saved/crio-dir-created ]]; then
    cg=$(<"$dir/saved/crio-dir-created")
    if [[ -d $cg ]] && rmdir "$cg" 2>/dev/null; then cl_log "removed $cg (created for this cluster, empty)"; fi
    [[ -d $cg ]] || rm -f "$dir/saved/crio-dir-created"
  fi
  return "$rc"
}

# cl_teardown DIR: stop, unmount, restore. Safe to run twice, and on a half-started
# cluster. Returns non-zero if anything could not be undone.
cl_teardown() {
  local dir=$1 rc=0 name
  for name in "${CLUSTER_COMPONENTS[@]}"; do
    case $name in
      kubelet) cl_stop "$dir" "$name" 20 ;;
      *) cl_stop "$dir" "$name" 15 ;;
    esac
  done
  for name in "${CLUSTER_COMPONENTS[@]}"; do
    if cl_pid_alive "$dir" "$name" >/dev/null; then
      cl_warn "$name is still running"
      rc=1
    fi
  done
  cl_unmount_all "$dir" || rc=1
  cl_restore_sysctls "$dir" || rc=1
  cl_clean_host_dirs "$dir" || rc=1
  cl_clean_crio "$dir" || rc=1
  rm -f "$dir/mounts" "$dir/fakecri/fakecri.sock"
  return "$rc"
}

# cl_sign_client CA_DIR OUT_PREFIX SUBJECT: a client key and certificate signed by the
# cluster's CA (CA_DIR/ca.crt, ca.key), as local-up.sh's gen_pki signs them.
cl_sign_client() {
  local ca=$1 out=$2 subj=$3
  openssl genrsa -out "$out.key" 2048 2>/dev/null || return 1
  chmod 600 "$out.key"
  openssl req -new -key "$out.key" -subj "$subj" -out "$out.csr" 2>/dev/null || return 1
  printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth" >"$out.ext"
  openssl x509 -req -in "$out.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -CAserial "$out.srl" \
    -sha256 -days 3650 -extfile "$out.ext" -out "$out.crt" 2>/dev/null || return 1
  rm -f "$out.csr" "$out.ext" "$out.srl"
}

# cl_kubeconfig SERVER CA_CRT CERT KEY USER: a kubeconfig on stdout, in local-up.sh's form.
cl_kubeconfig() {
  cat <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fakecri
  cluster:
    server: $1
    certificate-authority: $2
users:
- name: $5
  user:
    client-certificate: $3
    client-key: $4
contexts:
- name: fakecri
  context:
    cluster: fakecri
    user: $5
current-context: fakecri
EOF
}
