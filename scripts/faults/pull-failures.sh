#!/usr/bin/env bash
# Make image pulls fail the way registries fail.
source "$(dirname "$0")/lib.sh"
usage() {
  cat <<USAGE
Usage: $(basename "$0") [--image REF] [--kind not-found|unauthorized|timeout|too-many-requests] [--first N]
       $(basename "$0") --throttle BANDWIDTH [--image REF]
       $(basename "$0") --clear ID

PullImage fails as containerd reports a registry failure, so the kubelet shows
ErrImagePull and then ImagePullBackOff (default: every image, not-found).
--first N fails only the first N pulls, after which pulls succeed again.
--throttle makes pulls take their bytes at BANDWIDTH per second (1Mi).

  $(basename "$0") --image nginx:1.27 --kind unauthorized
  $(basename "$0") --kind too-many-requests --first 3
  $(basename "$0") --throttle 512Ki
USAGE
}
image= kind=not-found first= throttle= clear=
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --image) image=${2:?}; shift 2 ;;
    --kind) kind=${2:?}; shift 2 ;;
    --first) first=${2:?}; shift 2 ;;
    --throttle) throttle=${2:?}; shift 2 ;;
    --clear) clear=${2:?--clear needs a rule id}; shift 2 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
if [[ -n "$clear" ]]; then ctl fault rm "$clear"; exit; fi
if [[ -n "$throttle" ]]; then
  ctl fault add ${image:+--image "$image"} --throttle "$throttle"
else
  ctl fault add ${image:+--image "$image"} ${first:+--first "$first"} --pull-error "$kind"
fi
