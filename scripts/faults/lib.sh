# Shared by the fault scripts: how to run `fakecri ctl`.
# FAKECRI: the fakecri command (default: this checkout's build, else fakecri on PATH).
# FAKECRI_SOCKET / FAKECRI_CONTROL: which fakecri to talk to.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -z "${FAKECRI:-}" ]]; then
  if [[ -f "$here/../../dist/cli/main.js" ]]; then FAKECRI="node $here/../../dist/cli/main.js"; else FAKECRI=fakecri; fi
fi
ctl() {
  local target=()
  [[ -n "${FAKECRI_SOCKET:-}" ]] && target+=(--socket "$FAKECRI_SOCKET")
  [[ -n "${FAKECRI_CONTROL:-}" ]] && target+=(--control "$FAKECRI_CONTROL")
  # shellcheck disable=SC2086
  $FAKECRI ctl "${target[@]}" "$@"
}
die() { echo "$(basename "$0"): $*" >&2; exit 2; }
