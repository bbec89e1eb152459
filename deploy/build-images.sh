#!/usr/bin/env bash
# Builds the images of deploy/hollow-node without a docker daemon, with buildah.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: deploy/build-images.sh [options]

Builds, with buildah (no daemon; run as root or rootless), into buildah's local image
store (containers-storage, shared with podman and CRI-O):
  localhost/fakecri:VERSION          from deploy/fakecri.Dockerfile (this tree's sources)
  localhost/hollow-kubelet:TAG       from deploy/hollow-kubelet.Dockerfile, with --kubelet

Options:
  --kubelet PATH       also build the kubelet image around this kubelet binary
  --kubelet-tag TAG    its tag (default: the binary's --version, made tag-safe)
  --debian-base        no Docker Hub: build the base images from Debian packages with
                       mmdebstrap (trixie: nodejs 20 and npm; mount for the kubelet),
                       from the Debian mirror; npm ci still reaches the npm registry
  --mirror URL         Debian mirror for --debian-base (default http://deb.debian.org/debian)
  --ca-file FILE       a CA bundle npm must trust (behind a TLS-intercepting proxy): mounted
                       into the build as NODE_EXTRA_CA_CERTS, not stored in the image
  -h, --help           this text

In a container, or where cgroups are in hybrid mode (crun refuses them), run it with
BUILDAH_ISOLATION=chroot in the environment: buildah then needs no OCI runtime.

Then push them where your cluster pulls from, for example
  buildah push localhost/fakecri:0.1.0 docker://registry.example:5000/fakecri:0.1.0
or save them for a node's runtime: buildah push IMAGE oci-archive:fakecri.tar
(ctr -n k8s.io images import, kind load image-archive), and name them in
deploy/hollow-node/kustomization.yaml (images:).
EOF
}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KUBELET=
KUBELET_TAG=
DEBIAN_BASE=
MIRROR=http://deb.debian.org/debian
CA_FILE=
while (($#)); do
  case $1 in
    --kubelet) KUBELET=${2:?--kubelet needs a path}; shift ;;
    --kubelet-tag) KUBELET_TAG=${2:?--kubelet-tag needs a tag}; shift ;;
    --debian-base) DEBIAN_BASE=1 ;;
    --mirror) MIRROR=${2:?--mirror needs a URL}; shift ;;
    --ca-file) CA_FILE=${2:?--ca-file needs a file}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "build-images.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
command -v buildah >/dev/null || { echo "build-images.sh: buildah is not installed (Debian: apt-get install buildah)" >&2; exit 1; }
[[ -z $CA_FILE || -r $CA_FILE ]] || { echo "build-images.sh: --ca-file $CA_FILE is not readable" >&2; exit 1; }
[[ -z $KUBELET || -x $KUBELET ]] || { echo "build-images.sh: --kubelet $KUBELET is not an executable file" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# A base image from a Debian root filesystem made by mmdebstrap: no registry involved.
debian_base() {
  local name=$1 packages=$2 ctr tar="$TMP/${1//[\/:]/_}.tar"
  command -v mmdebstrap >/dev/null || { echo "build-images.sh: --debian-base needs mmdebstrap (apt-get install mmdebstrap)" >&2; exit 1; }
  echo "== $name: Debian trixie with $packages (mmdebstrap)"
  mmdebstrap --quiet --variant=apt --include="$packages" trixie "$tar" "$MIRROR"
  ctr=$(buildah from scratch)
  buildah add "$ctr" "$tar" / >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$ctr"
  buildah commit --quiet --rm "$ctr" "$name" >/dev/null
}

VERSION=$(node -p "require('$ROOT/package.json').version" 2>/dev/null || sed -n 's/^  "version": "\(.*\)",$/\1/p' "$ROOT/package.json")
NODE_ARGS=()
KUBELET_ARGS=()
if [[ -n $CA_FILE ]]; then
  NODE_ARGS+=(-v "$(realpath "$CA_FILE"):/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt)
fi
if [[ -n $DEBIAN_BASE ]]; then
  debian_base localhost/fakecri-base-node:trixie nodejs,npm,ca-certificates
  NODE_ARGS+=(--build-arg NODE_IMAGE=localhost/fakecri-base-node:trixie)
  if [[ -n $KUBELET ]]; then
    debian_base localhost/fakecri-base-kubelet:trixie mount,ca-certificates
    KUBELET_ARGS=(--build-arg BASE_IMAGE=localhost/fakecri-base-kubelet:trixie)
  fi
fi

echo "== localhost/fakecri:$VERSION"
# The host's network for RUN npm ci: no CNI set-up needed.
buildah bud --network host --layers=false -f "$ROOT/deploy/fakecri.Dockerfile" ${NODE_ARGS[@]+"${NODE_ARGS[@]}"} \
  -t "localhost/fakecri:$VERSION" "$ROOT"

if [[ -n $KUBELET ]]; then
  if [[ -z $KUBELET_TAG ]]; then
    # "Kubernetes v1.35.0-alpha.0+awborg.fea8a54f" -> v1.35.0-alpha.0_awborg.fea8a54f
    KUBELET_TAG=$("$KUBELET" --version | awk '{print $2}' | tr '+' '_')
  fi
  mkdir "$TMP/kubelet"
  cp "$KUBELET" "$TMP/kubelet/kubelet"
  echo "== localhost/hollow-kubelet:$KUBELET_TAG"
  buildah bud --network host -f "$ROOT/deploy/hollow-kubelet.Dockerfile" ${KUBELET_ARGS[@]+"${KUBELET_ARGS[@]}"} \
    -t "localhost/hollow-kubelet:$KUBELET_TAG" "$TMP/kubelet"
fi
buildah images --filter reference='localhost/*'
