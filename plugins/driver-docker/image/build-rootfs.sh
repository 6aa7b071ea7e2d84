#!/usr/bin/env bash
# Builds the root filesystem of a machine image from Debian's packages and
# writes it as a tarball ready for `docker import` (the only image recipe of
# the project: the docker driver's machines and the test hosts both use it).
#
#   build-rootfs.sh --flavour docker|nodocker|sysvinit --output FILE.tar
#                   [--cache DIR] [--mirror URL] [--security-mirror URL]
#
# Flavours:
#   docker    systemd as PID 1, sshd, sudo, Debian's docker.io (storage
#             driver vfs, the only one that works inside a container here)
#   nodocker  the same without Docker; Docker's .deb files wait in a local
#             file: repository so the distribution-package install works
#             with no network
#   sysvinit  sysvinit instead of systemd (no systemd at all), no Docker,
#             the same local repository
#
# The debootstrap result is cached as a tarball in the cache directory (keyed
# by this script's content and the mirror), so each flavour after the first
# costs only its own packages. Needs root and debootstrap.
set -euo pipefail

SUITE=bookworm
FLAVOUR=
OUTPUT=
CACHE=${MACHINE_IMAGE_CACHE:-}
MIRROR=http://deb.debian.org/debian
SECURITY_MIRROR=http://deb.debian.org/debian-security
# Packages every flavour has; systemd comes from debootstrap's minbase.
BASE_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,sudo,iproute2,ca-certificates,procps,iputils-ping,curl,gnupg,lsb-release,kmod,less
LOCAL_REPO=/var/local/machine-debs

log() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

while (($#)); do
  case $1 in
    --flavour) FLAVOUR=$2; shift 2 ;;
    --output) OUTPUT=$2; shift 2 ;;
    --cache) CACHE=$2; shift 2 ;;
    --mirror) MIRROR=$2; shift 2 ;;
    --security-mirror) SECURITY_MIRROR=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
done

case $FLAVOUR in docker|nodocker|sysvinit) ;; *) die "--flavour must be docker, nodocker or sysvinit (got '${FLAVOUR}')" ;; esac
[ -n "$OUTPUT" ] || die "--output FILE.tar is required"
[ "$(id -u)" = 0 ] || die "building a machine image needs root (debootstrap and chroot); run as root"
command -v debootstrap >/dev/null || die "debootstrap is not installed; install it with: apt-get install debootstrap"
if [ -z "$CACHE" ]; then
  CACHE=/var/cache/machine-images
fi
mkdir -p "$CACHE"

WORK=
MOUNTED=()
cleanup() {
  local m
  for m in "${MOUNTED[@]}"; do umount -l "$m" 2>/dev/null || true; done
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then rm -rf --one-file-system "$WORK"; fi
  rm -f "$OUTPUT.partial" "$BASE_TAR.partial"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

mount_chroot() {
  mount -t proc proc "$ROOT/proc"; MOUNTED+=("$ROOT/proc")
  # One .deb download serves every flavour and the local repositories.
  mkdir -p "$DEBS/partial"
  mount --bind "$DEBS" "$ROOT/var/cache/apt/archives"; MOUNTED+=("$ROOT/var/cache/apt/archives")
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  # No daemon may start inside the build chroot.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod 755 "$ROOT/usr/sbin/policy-rc.d"
}

umount_chroot() {
  local m
  for m in "${MOUNTED[@]}"; do umount "$m"; done
  MOUNTED=()
  rm -f "$ROOT/usr/sbin/policy-rc.d"
  : >"$ROOT/etc/resolv.conf"
}

apt_install() { in_root apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "$@"; }

configure_base() {
  rm -f "$ROOT/etc/apt/sources.list"
  cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # Each container must be a distinct host: no machine id and no SSH host
  # keys in the image; both are made at first boot. Ed25519 and ECDSA keys
  # only: an RSA key costs seconds of every first boot, and every client
  # this project supports speaks ed25519.
  : >"$ROOT/etc/machine-id"
  rm -f "$ROOT/var/lib/dbus/machine-id"
  rm -f "$ROOT"/etc/ssh/ssh_host_*
  cat >"$ROOT/usr/local/sbin/ssh-hostkeys" <<'EOF'
#!/bin/sh
set -e
for t in ed25519 ecdsa; do
  [ -e "/etc/ssh/ssh_host_${t}_key" ] || ssh-keygen -q -t "$t" -N '' -C "root@$(hostname)" -f "/etc/ssh/ssh_host_${t}_key"
done
EOF
  chmod 755 "$ROOT/usr/local/sbin/ssh-hostkeys"
  printf 'HostKey /etc/ssh/ssh_host_ed25519_key\nHostKey /etc/ssh/ssh_host_ecdsa_key\n' >"$ROOT/etc/ssh/sshd_config.d/10-host-keys.conf"
  cat >"$ROOT/etc/systemd/system/ssh-hostkeys.service" <<'EOF'
[Unit]
Description=Generate the SSH host keys of this host
Before=ssh.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ssh-hostkeys

[Install]
RequiredBy=ssh.service
EOF
  mkdir -p "$ROOT/etc/systemd/system/ssh.service.requires"
  ln -sf ../ssh-hostkeys.service "$ROOT/etc/systemd/system/ssh.service.requires/ssh-hostkeys.service"
  # Units that need hardware or a kernel a container does not have.
  local unit
  for unit in getty@tty1.service serial-getty@.service console-getty.service systemd-udevd.service \
    systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    systemd-remount-fs.service systemd-firstboot.service e2scrub_reap.service; do
    ln -sf /dev/null "$ROOT/etc/systemd/system/$unit"
  done
  install -d -m 0700 "$ROOT/root/.ssh"
  printf 'machine\n' >"$ROOT/etc/hostname"
}

# Runs after umount_chroot: the package cache is shared, not the image's.
clean_root() {
  rm -rf "$ROOT"/var/cache/apt/*.bin "$ROOT"/var/cache/apt/archives/*.deb
  rm -rf "$ROOT"/var/log/apt/* "$ROOT"/var/log/*.log "$ROOT"/tmp/* "$ROOT"/var/tmp/* "$ROOT"/var/cache/debconf/*-old
}

build_base() {
  log "debootstrap Debian 12 ($SUITE) from $MIRROR (one to a few minutes)"
  WORK=$(mktemp -d "$CACHE/base.XXXXXX")
  ROOT=$WORK/rootfs
  if ! debootstrap --variant=minbase --include="$BASE_PACKAGES" "$SUITE" "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1; then
    tail -n 20 "$WORK/debootstrap.log" >&2
    die "debootstrap failed (log above); check that $MIRROR is reachable or pass --mirror"
  fi
  [ -x "$ROOT/usr/sbin/sshd" ] || die "debootstrap finished without installing openssh-server"
  configure_base
  mount_chroot
  log "updating package lists (with $SUITE-updates and security)"
  in_root apt-get update -q >/dev/null
  in_root apt-get -y -q -o Dpkg::Use-Pty=0 dist-upgrade >"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log" >&2; die "upgrading the base failed (log above)"; }
  umount_chroot
  clean_root
  log "saving the base root filesystem in $BASE_TAR"
  tar -C "$ROOT" --numeric-owner --xattrs -cf "$BASE_TAR.partial" .
  mv "$BASE_TAR.partial" "$BASE_TAR"
  # Older bases of this cache are unusable after the recipe changed.
  find "$CACHE" -maxdepth 1 \( -name 'base-*.tar' -o -name 'debs-*' \) ! -name "base-$BASE_KEY.tar" ! -name "debs-$BASE_KEY" \
    -exec rm -rf {} +
}

# A file: repository holding docker.io and everything it needs that the
# image lacks, with its recommends, so that `apt-get install docker.io`
# (with or without --no-install-recommends) works offline.
add_local_docker_repo() {
  log "downloading Docker's packages into the local repository $LOCAL_REPO"
  in_root apt-get install -y -q --download-only -o Dpkg::Use-Pty=0 docker.io >/dev/null
  mkdir -p "$ROOT$LOCAL_REPO"
  # The simulation lists what the image lacks, recommends included.
  local name ver f
  while read -r name ver; do
    ver=${ver#(}
    f=$(compgen -G "$DEBS/${name}_${ver//:/%3a}_*.deb" | head -n1) || die "the package file of $name $ver is missing from $DEBS"
    cp "$f" "$ROOT$LOCAL_REPO/"
  done < <(in_root apt-get install -s docker.io | awk '/^Inst /{print $2, $3}')
  [ -n "$(ls "$ROOT$LOCAL_REPO")" ] || die "no Docker packages were downloaded"
  write_packages_index "$ROOT$LOCAL_REPO"
  # apt fetches a version from the first source that lists it: this one must
  # come before the mirror, or an offline install waits on the network.
  cat >"$ROOT/etc/apt/sources.list.d/00-machine-local.sources" <<EOF
# Docker's packages from Debian, for installing with no network.
Types: deb
URIs: file:$LOCAL_REPO
Suites: ./
Trusted: yes
EOF
  in_root apt-get update -q >/dev/null
}

# The Packages index of a flat repository, written with dpkg-deb alone so
# that neither the host nor the image needs dpkg-dev.
write_packages_index() {
  local dir=$1 deb
  : >"$dir/Packages"
  for deb in "$dir"/*.deb; do
    {
      dpkg-deb -f "$deb"
      printf 'Filename: ./%s\nSize: %s\nSHA256: %s\n\n' "$(basename "$deb")" "$(stat -c %s "$deb")" "$(sha256sum "$deb" | cut -d' ' -f1)"
    } >>"$dir/Packages"
  done
}

# The base is keyed by the code that makes it, so that changing a flavour
# does not throw away the debootstrap.
BASE_KEY=$( {
  declare -f build_base configure_base mount_chroot umount_chroot clean_root in_root
  printf '%s\n' "$BASE_PACKAGES" "$SUITE" "$MIRROR" "$SECURITY_MIRROR" "$(dpkg --print-architecture)"
} | sha256sum | cut -c1-16)
BASE_TAR=$CACHE/base-$BASE_KEY.tar
DEBS=$CACHE/debs-$BASE_KEY

exec 9>"$CACHE/.build.lock"
if ! flock -n 9; then
  log "waiting for another image build using $CACHE"
  flock 9
fi

if [ ! -f "$BASE_TAR" ]; then
  # The tree just built becomes this flavour as it stands: no unpacking.
  build_base
else
  log "using the cached base root filesystem $BASE_TAR"
  WORK=$(mktemp -d "$CACHE/$FLAVOUR.XXXXXX")
  ROOT=$WORK/rootfs
  mkdir "$ROOT"
  log "unpacking the base root filesystem"
  tar -C "$ROOT" --numeric-owner --xattrs -xf "$BASE_TAR"
fi
mount_chroot

case $FLAVOUR in
  docker)
    log "installing docker.io"
    apt_install docker.io >"$WORK/apt.log" 2>&1 || { tail -n 20 "$WORK/apt.log" >&2; die "installing docker.io failed (log above)"; }
    [ -x "$ROOT/usr/sbin/dockerd" ] || die "docker.io did not install"
    mkdir -p "$ROOT/etc/docker"
    # overlay2 cannot sit on the outer engine's overlay2 mount.
    printf '{\n  "storage-driver": "vfs"\n}\n' >"$ROOT/etc/docker/daemon.json"
    ;;
  nodocker)
    add_local_docker_repo
    ;;
  sysvinit)
    log "replacing systemd with sysvinit"
    apt_install sysvinit-core >/dev/null
    in_root apt-get purge -y -q --allow-remove-essential systemd >/dev/null
    in_root apt-get autoremove -y -q --purge >/dev/null
    [ ! -e "$ROOT/lib/systemd/systemd" ] || die "systemd is still installed"
    # No consoles in a container: getty would respawn forever.
    sed -i -E 's/^([0-9]+:[0-9]+:respawn:\/sbin\/getty.*)/#\1/' "$ROOT/etc/inittab"
    # `docker stop` sends SIGINT (the image's STOPSIGNAL): halt cleanly.
    sed -i -E 's|^ca:.*|ca:12345:ctrlaltdel:/sbin/shutdown -t1 -h now|' "$ROOT/etc/inittab"
    cat >"$ROOT/etc/init.d/ssh-hostkeys" <<'EOF'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          ssh-hostkeys
# Required-Start:    $local_fs
# Required-Stop:
# X-Start-Before:    ssh
# Default-Start:     2 3 4 5
# Default-Stop:
# Short-Description: Generate the SSH host keys of this host
### END INIT INFO
case "$1" in
  start) /usr/local/sbin/ssh-hostkeys ;;
esac
exit 0
EOF
    chmod 755 "$ROOT/etc/init.d/ssh-hostkeys"
    in_root update-rc.d ssh-hostkeys defaults >/dev/null
    # Debian's /etc/init.d/docker runs `ulimit -n 1048576`, which fails (and
    # stops the daemon from starting) in a container that may not raise its
    # open-files limit. Init scripts source these hooks first, so a function
    # here keeps the limit the container has and the package's own files
    # stay untouched.
    cat >"$ROOT/lib/lsb/init-functions.d/90-keep-open-files-limit" <<'EOF'
# This host cannot raise its open-files limit: keep the one it has.
ulimit() { command ulimit "$@" 2>/dev/null || true; }
EOF
    add_local_docker_repo
    ;;
esac

umount_chroot
clean_root
log "writing $OUTPUT"
mkdir -p "$(dirname "$OUTPUT")"
tar -C "$ROOT" --numeric-owner --xattrs --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
  --exclude='./run/*' --exclude='./tmp/*' -cf "$OUTPUT.partial" .
mv "$OUTPUT.partial" "$OUTPUT"
log "root filesystem of flavour $FLAVOUR ready"
