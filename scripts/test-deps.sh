#!/usr/bin/env bash
# The Debian packages the tests need (`make test` runs this first): the registry
# tests run docker-registry on 127.0.0.1, with htpasswd (apache2-utils) and
# certificates (openssl), and cross-check with skopeo. As root, missing ones are
# installed with apt-get; otherwise this names them and fails, so that the suite
# never passes with those tests left out.
set -euo pipefail
declare -A bin=([docker-registry]=docker-registry [skopeo]=skopeo [apache2-utils]=htpasswd [openssl]=openssl)
need=()
for pkg in docker-registry skopeo apache2-utils openssl; do
  command -v "${bin[$pkg]}" >/dev/null 2>&1 || need+=("$pkg")
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
