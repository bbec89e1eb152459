#!/usr/bin/env bash
# Report RuntimeReady (or NetworkReady) false, so the node goes NotReady.
source "$(dirname "$0")/lib.sh"
usage() {
  cat <<USAGE
Usage: $(basename "$0") [--network] [--for DURATION] [--reason REASON]
       $(basename "$0") --clear ID

Status answers RuntimeReady=false (NetworkReady=false with --network) while the
rule exists, or for DURATION. The kubelet marks the node NotReady ("container
runtime is down"); with NetworkReady=false it stops starting pod-network pods.
--clear ID removes the rule and the node becomes Ready again.

  $(basename "$0") --for 60s
  $(basename "$0") --network --reason CNIMissing
USAGE
}
cond=RuntimeReady for= reason=FakecriFault clear=
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --network) cond=NetworkReady; shift ;;
    --for) for=${2:?}; shift 2 ;;
    --reason) reason=${2:?}; shift 2 ;;
    --clear) clear=${2:?--clear needs a rule id}; shift 2 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
if [[ -n "$clear" ]]; then ctl fault rm "$clear"; ctl status; exit; fi
ctl fault add --not-ready "$cond" --reason "$reason" ${for:+--for "$for"}
ctl status
