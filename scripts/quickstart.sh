#!/usr/bin/env bash
# The README's first command. On a fresh Debian 12 machine, as root: sets up
# this host (Debian packages, npm dependencies, the build, a local dockerd),
# then runs the main job on a local machine with the docker driver:
#
#   machine create dev; eval $(machine env dev); docker run ...; machine ls; machine rm -y dev
#
# The image it runs is made here from Debian's busybox-static and loaded
# into the machine's own engine, so no registry is needed.
# Environment: MACHINE_QUICKSTART_NAME (default dev), MACHINE_STORAGE_PATH,
# MACHINE_QUICKSTART_SKIP_SETUP=1 to skip the host setup (already done).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NAME=${MACHINE_QUICKSTART_NAME:-dev}
IMAGE=quickstart/busybox:latest

log() { printf '==> %s\n' "$*"; }
fail() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}
machine() { node "$ROOT/cli/bin/run.js" "$@"; }

if [ "${MACHINE_QUICKSTART_SKIP_SETUP:-}" != 1 ]; then
  log "setting up this host"
  bash scripts/setup-host.sh || fail "setting up this host failed (output above); fix it and run $0 again"
fi

if machine inspect "$NAME" >/dev/null 2>&1; then
  fail "a machine named $NAME already exists; remove it (machine rm -y $NAME) or pick another name with MACHINE_QUICKSTART_NAME=NAME $0"
fi

WORK=$(mktemp -d)
MADE=0
finish() {
  local status=$?
  trap - EXIT
  if [ "$status" != 0 ] && [ "$MADE" = 1 ]; then
    printf '==> removing machine %s after the failure\n' "$NAME" >&2
    machine rm -f -y "$NAME" >&2 || printf 'warning: could not remove machine %s; run: machine rm -f -y %s\n' "$NAME" "$NAME" >&2
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

log "machine create $NAME (the first create also builds the machine image, a few minutes)"
MADE=1
machine create "$NAME" || fail "machine create $NAME failed (output above)"

log "eval \$(machine env $NAME)"
# env picks the syntax from $SHELL, which a non-login root shell may lack.
ENV_OUT=$(SHELL=${SHELL:-/bin/bash} machine env "$NAME") || fail "machine env $NAME failed (output above)"
eval "$ENV_OUT"
[ -n "${DOCKER_HOST:-}" ] || fail "machine env $NAME set no DOCKER_HOST"
ENGINE=$(docker info --format '{{.Name}}') || fail "docker cannot reach machine $NAME at $DOCKER_HOST (output above)"
[ "$ENGINE" = "$NAME" ] || fail "docker talks to engine '$ENGINE', not to machine $NAME"
log "docker now talks to machine $NAME at $DOCKER_HOST"

log "making a small image from Debian's busybox-static and loading it into $NAME"
BUSYBOX=$(command -v busybox || true)
[ -n "$BUSYBOX" ] || fail "busybox is not installed; install it with: apt-get install busybox-static"
if command -v file >/dev/null && file -L "$BUSYBOX" | grep -q 'dynamically linked'; then
  fail "$BUSYBOX is not statically linked; install busybox-static"
fi
mkdir -p "$WORK/rootfs/bin"
cp "$BUSYBOX" "$WORK/rootfs/bin/busybox"
ln -s busybox "$WORK/rootfs/bin/sh"
ln -s busybox "$WORK/rootfs/bin/echo"
ln -s busybox "$WORK/rootfs/bin/uname"
tar -C "$WORK/rootfs" --numeric-owner -cf "$WORK/rootfs.tar" .
docker import --change 'CMD ["/bin/sh"]' "$WORK/rootfs.tar" "$IMAGE" >/dev/null \
  || fail "docker import into machine $NAME failed (output above)"

log "docker run --rm $IMAGE"
OUT=$(docker run --rm "$IMAGE" /bin/echo "hello from a busybox container on machine $NAME") || fail "docker run on machine $NAME failed (output above)"
printf '%s\n' "$OUT"
[ "$OUT" = "hello from a busybox container on machine $NAME" ] || fail "docker run printed '$OUT', expected the greeting"


log "machine ls"
machine ls || fail "machine ls failed (output above)"

log "machine rm -y $NAME"
machine rm -y "$NAME" || fail "machine rm -y $NAME failed (output above)"
MADE=0

log "quickstart done: created $NAME, ran a container on it, listed and removed it"
