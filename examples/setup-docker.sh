#!/usr/bin/env bash
# Make this machine ready to run pods: a Docker Engine that answers, and the local image the
# examples and tests use (flotilla/busybox:test, built offline from a static busybox — no
# registry is needed). On Debian as root it installs what is missing (docker.io,
# busybox-static, iproute2 for Services' cluster IPs) and starts dockerd; elsewhere it says what to do. Safe to re-run: every step
# skips what is already there. Used by the README's first command and by .ci/run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
log() { echo "[setup-docker] $*"; }
die() { echo "[setup-docker] ERROR: $*" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_install() {
  # Try with the package lists already on the machine; refresh them only if that fails.
  local opts=(-y -q -o DPkg::Lock::Timeout=300 --no-install-recommends)
  if ! apt-get install "${opts[@]}" "$@"; then
    log "apt-get install failed; running apt-get update and retrying"
    apt-get update -q -o DPkg::Lock::Timeout=300
    apt-get install "${opts[@]}" "$@"
  fi
}

# A live (not zombie) dockerd process, e.g. one another run started a moment ago.
dockerd_pid() {
  local d
  for d in /proc/[0-9]*; do
    if [[ "$(cat "$d/comm" 2>/dev/null)" == dockerd ]] && ! grep -q '^State:[[:space:]]*Z' "$d/status" 2>/dev/null; then
      echo "${d#/proc/}"
      return 0
    fi
  done
  return 1
}

need=()
if command -v dpkg-query >/dev/null 2>&1; then
  installed busybox-static || need+=(busybox-static)
  # Services' cluster IPs: the agents route the Service range to this machine with `ip`.
  command -v ip >/dev/null 2>&1 || need+=(iproute2)
  if ! docker info >/dev/null 2>&1; then
    command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  fi
fi
if ((${#need[@]})); then
  [[ $(id -u) == 0 ]] || die "missing ${need[*]}: run this script as root (sudo), or install them yourself"
  log "installing: ${need[*]}"
  apt_install "${need[@]}"
fi

if ! docker info >/dev/null 2>&1; then
  command -v dockerd >/dev/null 2>&1 || die "no Docker Engine: install Docker (on Debian: apt-get install docker.io) and start it"
  if pid="$(dockerd_pid)"; then
    log "dockerd is already starting (pid $pid); waiting for it"
  else
    [[ $(id -u) == 0 ]] || die "the Docker Engine is not running: start it (sudo dockerd &, or systemctl start docker)"
    log "starting dockerd (log: /var/log/dockerd.log)"
    setsid nohup dockerd </dev/null >/var/log/dockerd.log 2>&1 &
  fi
  deadline=$((SECONDS + 60))
  until [[ -S /var/run/docker.sock ]] && timeout 10 docker info >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      tail -n 30 /var/log/dockerd.log >&2 || true
      die "the Docker Engine did not come up within 60 s (its log is above)"
    fi
    sleep 0.5
  done
fi
log "Docker Engine $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo '?') is up"

bash "$here/image/busybox-image.sh" flotilla/busybox:test
