#!/usr/bin/env bash
# Starts a local dockerd unless one already answers on the default socket.
set -euo pipefail
if docker info >/dev/null 2>&1; then exit 0; fi
if ! command -v dockerd >/dev/null; then
  echo "error: dockerd is not installed; run scripts/setup-host.sh (installs Debian's docker.io)" >&2
  exit 1
fi
printf '==> starting dockerd (log: /var/log/machine-dockerd.log)\n'
# setsid: the daemon must outlive this script and the shell that ran it.
setsid dockerd --host unix:///var/run/docker.sock >/var/log/machine-dockerd.log 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 0.5
done
echo "error: dockerd did not come up within 30 s; see /var/log/machine-dockerd.log" >&2
tail -20 /var/log/machine-dockerd.log >&2 || true
exit 1
