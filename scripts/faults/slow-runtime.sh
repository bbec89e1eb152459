#!/usr/bin/env bash
# Slow down CRI calls, as a loaded runtime would be.
source "$(dirname "$0")/lib.sh"
usage() {
  cat <<USAGE
Usage: $(basename "$0") [--rpc NAMES] [--delay DURATION] [--jitter DURATION] [--for DURATION]
       $(basename "$0") --clear ID

Adds a delay rule (default: 2s on ListPodSandbox and ListContainers, which the
kubelet's PLEG relists every second; a slow relist shows in its
kubelet_pleg_relist_duration_seconds metric and, past 3 minutes, makes the node
NotReady with "PLEG is not healthy"). Prints the rule id; --clear ID removes it.

  $(basename "$0") --delay 500ms --jitter 200ms
  $(basename "$0") --rpc PullImage --delay 30s --for 5m
USAGE
}
rpc=ListPodSandbox,ListContainers delay=2s jitter= for= clear=
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --rpc) rpc=${2:?}; shift 2 ;;
    --delay) delay=${2:?}; shift 2 ;;
    --jitter) jitter=${2:?}; shift 2 ;;
    --for) for=${2:?}; shift 2 ;;
    --clear) clear=${2:?--clear needs a rule id}; shift 2 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
if [[ -n "$clear" ]]; then ctl fault rm "$clear"; exit; fi
ctl fault add --rpc "$rpc" --delay "$delay" ${jitter:+--jitter "$jitter"} ${for:+--for "$for"}
