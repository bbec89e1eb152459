#!/usr/bin/env bash
# Fill imagefs (or containerfs) with ballast to make the kubelet see disk pressure.
source "$(dirname "$0")/lib.sh"
usage() {
  cat <<USAGE
Usage: $(basename "$0") [--fs imagefs|containerfs] AMOUNT | --drain [--fs NAME]

Fills a filesystem with ballast: AMOUNT is a percentage of its capacity
(90%: the filesystem ends up 90% full, counting what others use) or bytes
(10Gi). --drain removes the ballast again. Prints the filesystems afterwards.

  $(basename "$0") 90%            # imagefs.available falls under a 10% threshold
  $(basename "$0") --fs containerfs 2Gi
  $(basename "$0") --drain

Environment: FAKECRI_SOCKET or FAKECRI_CONTROL picks the fakecri; FAKECRI the command.
USAGE
}
fs=imagefs drain=0 amount=
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --fs) fs=${2:?--fs needs a name}; shift 2 ;;
    --drain) drain=1; shift ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) amount=$1; shift ;;
  esac
done
if [[ $drain == 1 ]]; then ctl fs drain "$fs"
else
  [[ -n "$amount" ]] || die "give an AMOUNT such as 90% or 10Gi (see --help)"
  ctl fs fill "$fs" "$amount"
fi
ctl fs
