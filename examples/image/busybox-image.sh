#!/usr/bin/env bash
# The offline image recipe: builds the local image flotilla/busybox:test (or the name given
# as $1) from the host's static /bin/busybox. No registry is reachable on these machines, so
# the examples and tests use this imported image instead of pulling one. Does nothing if the image already exists;
# set FORCE=1 to rebuild it.
#
# Needs: a running Docker Engine and Debian's busybox-static (`apt-get install -y busybox-static`).
set -euo pipefail

image="${1:-flotilla/busybox:test}"
busybox="${BUSYBOX:-/bin/busybox}"
applets=(sh sleep httpd nc wget cat echo hostname ls env true false mkdir)

if [[ "${FORCE:-0}" != 1 ]] && docker image inspect "$image" >/dev/null 2>&1; then
  echo "[busybox-image] $image already present"
  exit 0
fi

if [[ ! -x "$busybox" ]]; then
  echo "[busybox-image] ERROR: $busybox not found; install it with: apt-get install -y busybox-static" >&2
  exit 1
fi
# A dynamically linked busybox (Debian's plain 'busybox' package) would not run in an empty image.
if ldd "$busybox" >/dev/null 2>&1; then
  echo "[busybox-image] ERROR: $busybox is dynamically linked; install busybox-static instead" >&2
  exit 1
fi

dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/bin" "$dir/tmp"
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for a in "${applets[@]}"; do
  ln -s busybox "$dir/bin/$a"
done

tar -C "$dir" -c . | docker import \
  --change 'ENV PATH=/bin' \
  --change 'CMD ["/bin/sh"]' \
  - "$image" >/dev/null
echo "[busybox-image] built $image ($(docker image inspect -f '{{.Id}}' "$image"))"
