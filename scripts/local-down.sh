#!/usr/bin/env bash
# Tear down a cluster started by scripts/local-up.sh (`make cluster-down`):
# stop its processes by the pids in <work-dir>/pids (kubelet first, etcd last),
# unmount everything under the work dir (the tmpfs filesystems, the kubelet's bind
# mount of its root dir onto itself, pod volumes), restore the host sysctls the
# kubelet changed, and remove the host directories the kubelet created if empty.
# The work dir itself stays, with its logs, until the next local-up.sh.
#
#   scripts/local-down.sh [--work-dir DIR]     (default $WORK_DIR or /tmp/fakecri-cluster)
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/cluster-lib.sh
source "$SCRIPT_DIR/cluster-lib.sh"

WORK_DIR=${WORK_DIR:-/tmp/fakecri-cluster}
while [[ $# -gt 0 ]]; do
  case $1 in
    --work-dir) [[ $# -ge 2 ]] || { echo "$0: --work-dir needs a value" >&2; exit 2; }; WORK_DIR=$2; shift ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "$0: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
WORK_DIR=$(cl_abs "$WORK_DIR")
WORK_DIR=${WORK_DIR%/}

if [[ ! -d $WORK_DIR ]]; then
  cl_log "no cluster: $WORK_DIR does not exist"
  exit 0
fi
if [[ ! -e $WORK_DIR/$CLUSTER_MARKER ]]; then
  echo "$0: $WORK_DIR was not made by scripts/local-up.sh ($CLUSTER_MARKER missing); not touching it" >&2
  exit 1
fi
[[ $(id -u) -eq 0 ]] || { echo "$0: must run as root (it unmounts and restores sysctls)" >&2; exit 1; }

cl_log "tearing down the cluster in $WORK_DIR"
if cl_teardown "$WORK_DIR"; then
  rm -f "$WORK_DIR/cluster.env"
  cl_log "torn down (logs kept in $WORK_DIR/logs)"
else
  cl_warn "teardown left something behind (see above)"
  exit 1
fi
