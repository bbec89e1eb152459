#!/usr/bin/env bash
# Make a container crash now, or give a running container a crash-looping behaviour.
source "$(dirname "$0")/lib.sh"
usage() {
  cat <<USAGE
Usage: $(basename "$0") CONTAINER_ID [--after DURATION] [--code N]
       $(basename "$0") --now CONTAINER_ID [--code N] [--reason REASON]

Without --now: the container exits with code N (default 1) DURATION (default
2s) after each start. The kubelet restarts it, and the next attempt, a new
container, does the same if its pod carries the behaviour: for that, put
  fakecri.io/behaviour: '{"crash_loop": true, "exit_after": "2s"}'
on the pod. With --now: the container exits at once (137 with --reason
OOMKilled looks like the OOM killer).

  $(basename "$0") 3f2a --after 5s
  $(basename "$0") --now 3f2a --code 137 --reason OOMKilled
USAGE
}
now=0 after=2s code=1 reason= id=
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --now) now=1; shift ;;
    --after) after=${2:?--after needs a duration}; shift 2 ;;
    --code) code=${2:?--code needs a number}; shift 2 ;;
    --reason) reason=${2:?--reason needs a reason}; shift 2 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) id=$1; shift ;;
  esac
done
[[ -n "$id" ]] || die "give a CONTAINER_ID (see --help)"
if [[ $now == 1 ]]; then
  ctl container "$id" exit "$code" ${reason:+--reason "$reason"}
else
  ctl container "$id" behaviour "{\"crash_loop\": true, \"exit_after\": \"$after\", \"exit_code\": $code}"
fi
