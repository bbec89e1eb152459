#!/usr/bin/env bash
# The Debian packages the tests need (`make test` runs this first): the registry
# tests run docker-registry on 127.0.0.1, with htpasswd (apache2-utils) and
# certificates (openssl), and cross-check with skopeo; the SPDY tests build a Go
# peer on moby/spdystream (golang-go, golang-github-docker-spdystream-dev, which
# installs it as /usr/share/gocode/src/github.com/moby/spdystream), and one on
# client-go's own streaming code, what crictl and kubectl run
# (golang-k8s-client-go-dev, 0.32 in trixie: k8s.io/client-go/tools/remotecommand
# and tools/portforward, with their ~90 golang-*-dev dependencies). As root,
# missing ones are installed with apt-get; otherwise this names them and fails,
# so that the suite never passes with those tests left out. The one exception
# is client-go, which Debian 12 does not have: where apt cannot install it,
# this says so and the client-go tests are skipped, saying why.
set -euo pipefail
declare -A bin=([docker-registry]=docker-registry [skopeo]=skopeo [apache2-utils]=htpasswd [openssl]=openssl)
# Whether what Debian package $1 provides is here.
have() {
  case $1 in
    # go on PATH, or a versioned toolchain (golang-1.NN-go) without golang-go's link.
    golang-go) command -v go >/dev/null 2>&1 || compgen -G '/usr/lib/go-*/bin/go' >/dev/null ;;
    golang-github-docker-spdystream-dev) [[ -f /usr/share/gocode/src/github.com/moby/spdystream/connection.go ]] ;;
    golang-k8s-client-go-dev) [[ -f /usr/share/gocode/src/k8s.io/client-go/tools/remotecommand/websocket.go ]] ;;
    *) command -v "${bin[$1]}" >/dev/null 2>&1 ;;
  esac
}
need=()
for pkg in docker-registry skopeo apache2-utils openssl golang-go golang-github-docker-spdystream-dev golang-k8s-client-go-dev; do
  have "$pkg" || need+=("$pkg")
done
((${#need[@]})) || exit 0
if ((EUID != 0)); then
  echo "make test needs these Debian packages: ${need[*]}" >&2
  echo "install them with:  sudo apt-get install -y ${need[*]}" >&2
  echo "(or run make test as root, which installs them)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "make test needs ${need[*]} (Debian package names), and there is no apt-get here to install them" >&2
  exit 1
fi
echo "installing what the tests need: ${need[*]}"
apt-get update -q
export DEBIAN_FRONTEND=noninteractive
other=()
for pkg in "${need[@]}"; do [[ $pkg == golang-k8s-client-go-dev ]] || other+=("$pkg"); done
((${#other[@]} == 0)) || apt-get install -y -q "${other[@]}"
[[ " ${need[*]} " == *" golang-k8s-client-go-dev "* ]] || exit 0
skip_client_go() {
  echo "golang-k8s-client-go-dev: $1; the client-go streaming tests (src/test/kube-stream.test.ts) are skipped" >&2
  exit 0
}
apt-cache show golang-k8s-client-go-dev >/dev/null 2>&1 || skip_client_go "not in this machine's apt sources (Debian 13 has it)"
# Go sources only: no recommends (trixie's gogoprotobuf would pull a newer libc).
apt-get install -y -q --no-install-recommends golang-k8s-client-go-dev && exit 0
# A bookworm machine with trixie's sources at a low priority (as apt-get could
# not resolve it above): take the golang-*-dev source packages (arch all,
# nothing linked) from trixie, and the golang-go metapackage, which three of
# them depend on, from trixie-backports where there is one (else trixie), so
# that `go` is not bookworm's 1.19. Nothing else moves: the machine's own
# preferences stay, as parts of the same directory.
prefs=$(mktemp -d)
trap 'rm -rf "$prefs"' EXIT
cp /etc/apt/preferences.d/* "$prefs"/ 2>/dev/null || true
tool=trixie
apt-cache policy golang-go | grep -q 'trixie-backports/main' && tool=trixie-backports
printf 'Package: golang-*-dev\nPin: release n=trixie\nPin-Priority: 600\n\nPackage: golang-go golang-src golang-any\nPin: release n=%s\nPin-Priority: 600\n' "$tool" >"$prefs/zz-fakecri-go.pref"
apt-get install -y -q --no-install-recommends -o Dir::Etc::PreferencesParts="$prefs" golang-k8s-client-go-dev || skip_client_go "apt-get could not install it"
