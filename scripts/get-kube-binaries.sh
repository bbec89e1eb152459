#!/usr/bin/env bash
# Download the official Kubernetes release binaries the local cluster needs
# (scripts/local-up.sh), for machines with internet access:
#
#   scripts/get-kube-binaries.sh VERSION [DIR]
#   export KUBE_BIN_DIR=DIR
#
# VERSION is a Kubernetes release such as v1.35.0 (the "v" is optional).
# DIR defaults to ~/.cache/fakecri/kube-bin/VERSION. It must not be inside a git work
# tree: these binaries are never to be committed.
#
# From dl.k8s.io:  kubelet kube-apiserver kubectl kube-controller-manager kube-scheduler,
#                  each checked against the .sha256 published beside it.
# From the cri-tools GitHub release: crictl and critest, checked the same way.
#                  cri-tools follows Kubernetes' minor versions; the default is
#                  v<major>.<minor>.0, or set CRI_TOOLS_VERSION.
# etcd is not downloaded: local-up.sh uses Debian's etcd-server (apt-get install
# etcd-server), or any etcd 3.4+ given as ETCD=/path/to/etcd.
#
# Options: --dry-run prints what it would fetch; --force fetches again files already there.
# Environment: ARCH (default from uname -m: amd64 or arm64), CRI_TOOLS_VERSION.
set -Eeuo pipefail

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

DRY_RUN=false
FORCE=false
args=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --dry-run) DRY_RUN=true ;;
    --force) FORCE=true ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "$0: unknown option $1" >&2; exit 2 ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [[ ${#args[@]} -lt 1 || ${#args[@]} -gt 2 ]]; then
  usage >&2
  exit 2
fi

VERSION=${args[0]}
[[ $VERSION == v* ]] || VERSION=v$VERSION
if [[ ! $VERSION =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.]+)?$ ]]; then
  echo "$0: '$VERSION' is not a Kubernetes release version such as v1.35.0" >&2
  exit 2
fi
CRI_TOOLS_VERSION=${CRI_TOOLS_VERSION:-v${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.0}
[[ $CRI_TOOLS_VERSION == v* ]] || CRI_TOOLS_VERSION=v$CRI_TOOLS_VERSION
DIR=${args[1]:-${XDG_CACHE_HOME:-$HOME/.cache}/fakecri/kube-bin/$VERSION}

if [[ -z ${ARCH:-} ]]; then
  case $(uname -m) in
    x86_64 | amd64) ARCH=amd64 ;;
    aarch64 | arm64) ARCH=arm64 ;;
    *) echo "$0: unsupported machine $(uname -m); set ARCH (amd64, arm64, ppc64le, s390x)" >&2; exit 2 ;;
  esac
fi
[[ $(uname -s) == Linux ]] || echo "$0: warning: these are linux/$ARCH binaries" >&2

# Never inside a git work tree (such as this repository).
mkdir_parent=$DIR
while [[ ! -d $mkdir_parent ]]; do mkdir_parent=$(dirname "$mkdir_parent"); done
if git -C "$mkdir_parent" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  echo "$0: $DIR is inside the git work tree $(git -C "$mkdir_parent" rev-parse --show-toplevel);" \
    "pick a directory outside it: the binaries must not be committed" >&2
  exit 2
fi

for tool in curl sha256sum tar; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is required" >&2; exit 1; }
done

K8S_BASE=https://dl.k8s.io/release/$VERSION/bin/linux/$ARCH
CRI_BASE=https://github.com/kubernetes-sigs/cri-tools/releases/download/$CRI_TOOLS_VERSION
K8S_BINS=(kubelet kube-apiserver kubectl kube-controller-manager kube-scheduler)
CRI_BINS=(crictl critest)

echo "Kubernetes $VERSION and cri-tools $CRI_TOOLS_VERSION, linux/$ARCH, into $DIR"
if $DRY_RUN; then
  for b in "${K8S_BINS[@]}"; do echo "  $K8S_BASE/$b  (+ .sha256)"; done
  for b in "${CRI_BINS[@]}"; do echo "  $CRI_BASE/$b-$CRI_TOOLS_VERSION-linux-$ARCH.tar.gz  (+ .sha256)"; done
  exit 0
fi

mkdir -p "$DIR"
TMP=$(mktemp -d "$DIR/.download.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

fetch() { # URL FILE
  curl -fsSL --retry 3 --retry-delay 2 --connect-timeout 20 -o "$2" "$1" ||
    { echo "$0: download failed: $1" >&2; return 1; }
}

# verify FILE SHA256_FILE: the .sha256 files hold the digest, optionally followed by a
# file name.
verify() {
  local want got
  want=$(awk '{print $1; exit}' "$2")
  got=$(sha256sum "$1" | awk '{print $1}')
  if [[ -z $want || $want != "$got" ]]; then
    echo "$0: checksum mismatch for $(basename "$1"): expected ${want:-nothing}, got $got" >&2
    return 1
  fi
}

for b in "${K8S_BINS[@]}"; do
  if [[ -x $DIR/$b ]] && ! $FORCE; then
    echo "  $b: already there (use --force to fetch again)"
    continue
  fi
  echo "  $b"
  fetch "$K8S_BASE/$b" "$TMP/$b"
  fetch "$K8S_BASE/$b.sha256" "$TMP/$b.sha256"
  verify "$TMP/$b" "$TMP/$b.sha256"
  chmod 0755 "$TMP/$b"
  mv -f "$TMP/$b" "$DIR/$b"
done

for b in "${CRI_BINS[@]}"; do
  if [[ -x $DIR/$b ]] && ! $FORCE; then
    echo "  $b: already there (use --force to fetch again)"
    continue
  fi
  echo "  $b"
  tarball=$b-$CRI_TOOLS_VERSION-linux-$ARCH.tar.gz
  fetch "$CRI_BASE/$tarball" "$TMP/$tarball"
  fetch "$CRI_BASE/$tarball.sha256" "$TMP/$tarball.sha256"
  verify "$TMP/$tarball" "$TMP/$tarball.sha256"
  mkdir -p "$TMP/$b.d"
  tar -xzf "$TMP/$tarball" -C "$TMP/$b.d" "$b" ||
    { echo "$0: $tarball has no $b in it" >&2; exit 1; }
  chmod 0755 "$TMP/$b.d/$b"
  mv -f "$TMP/$b.d/$b" "$DIR/$b"
done

echo
"$DIR/kubelet" --version || true
"$DIR/crictl" --version || true
cat <<EOF

Done. Use them with:
  export KUBE_BIN_DIR=$DIR
  make cluster      # or make e2e
EOF
