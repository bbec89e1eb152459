#!/usr/bin/env bash
# The Debian packages the tests need (`make test` runs this first): the registry
# tests run docker-registry on 127.0.0.1, with htpasswd (apache2-utils) and
# certificates (openssl), and cross-check with skopeo; the SPDY tests build a Go
# peer on moby/spdystream (golang-go, golang-github-docker-spdystream-dev, which
# installs it as /usr/share/gocode/src/github.com/moby/spdystream). As root,
# missing ones are installed with apt-get; otherwise this names them and fails,
# so that the suite never passes with those tests left out.
set -euo pipefail
declare -A bin=([docker-registry]=docker-registry [skopeo]=skopeo [apache2-utils]=htpasswd [openssl]=openssl)
# Whether what Debian package $1 provides is here.
have() {
  case $1 in
    # go on PATH, or a versioned toolchain (golang-1.NN-go) without golang-go's link.
    golang-go) command -v go >/dev/null 2>&1 || compgen -G '/usr/lib/go-*/bin/go' >/dev/null ;;
    golang-github-docker-spdystream-dev) [[ -f /usr/share/gocode/src/github.com/moby/spdystream/connection.go ]] ;;
    *) command -v "${bin[$1]}" >/dev/null 2>&1 ;;
  esac
}
need=()
for pkg in docker-registry skopeo apache2-utils openssl golang-go golang-github-docker-spdystream-dev; do
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
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
