#!/usr/bin/env bash
# A real OpenStack Keystone (Debian 12's `keystone` package, release Zed) on
# loopback, for the openstack driver's tests. Idempotent: installs Keystone
# into its own Debian root when missing, sets it up once (SQLite, fernet
# tokens, an admin and a demo project and user), starts keystone-wsgi-public
# when nothing answers on the port, and prints the URL as its last line.
#
# Keystone lives in a debootstrapped root so that its ~170 Python packages and
# their maintainer scripts never touch the host. The root shares the host's
# network, so the service answers on the host's loopback.
#
#   KEYSTONE_ROOT  where the Debian root lives  (default /var/lib/machine-test/keystone)
#   KEYSTONE_PORT  loopback port                (default 15357)
set -euo pipefail

ROOT=${KEYSTONE_ROOT:-/var/lib/machine-test/keystone}
PORT=${KEYSTONE_PORT:-15357}
URL="http://127.0.0.1:${PORT}"
ADMIN_PASSWORD=${KEYSTONE_ADMIN_PASSWORD:-machine-admin-secret}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
LOCK="${ROOT}.lock"

log() { echo "keystone.sh: $*" >&2; }

answering() {
  curl -fsS -o /dev/null --max-time 2 "${URL}/v3" 2>/dev/null
}

if answering; then
  echo "$URL"
  exit 0
fi

mkdir -p "$(dirname "$ROOT")"
# One setup at a time: test suites started together wait for the first.
exec 9>"$LOCK"
flock 9
if answering; then
  echo "$URL"
  exit 0
fi

in_root() { chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

if [ ! -x "$ROOT/usr/bin/keystone-wsgi-public" ]; then
  started=$(date +%s)
  if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
    log "debootstrapping Debian bookworm into $ROOT"
    rm -rf "$ROOT"
    debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"${ROOT}.debootstrap.log" 2>&1 ||
      { tail -20 "${ROOT}.debootstrap.log" >&2; exit 1; }
  fi
  cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${MIRROR%/debian}/debian-security bookworm-security main
EOF
  # Packages must not try to start services inside the root.
  printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
  chmod +x "$ROOT/usr/sbin/policy-rc.d"
  log "installing keystone into $ROOT"
  in_root apt-get update -qq
  in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keystone python3-openstackclient >"${ROOT}.install.log" 2>&1 ||
    { tail -30 "${ROOT}.install.log" >&2; exit 1; }
  log "installed in $(( $(date +%s) - started )) s"
fi

# The configuration is written on every start, so that changes to it here apply.
conf="$ROOT/etc/keystone/keystone.conf"
cat >"$conf" <<EOF
[DEFAULT]
log_file = /var/log/keystone/keystone.log
[database]
connection = sqlite:////var/lib/keystone/keystone.db
# Commits wait for no fsync: this database holds nothing worth keeping.
sqlite_synchronous = false
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = /etc/keystone/fernet-keys/
[credential]
key_repository = /etc/keystone/credential-keys/
EOF
if [ ! -f "$ROOT/var/lib/keystone/machine-test.bootstrapped" ]; then
  started=$(date +%s)
  mkdir -p "$ROOT/var/log/keystone" "$ROOT/var/lib/keystone"
  rm -f "$ROOT/var/lib/keystone/keystone.db"
  # keystone-manage prints a harmless eventlet traceback when it exits.
  in_root keystone-manage db_sync >/dev/null 2>&1
  in_root keystone-manage fernet_setup --keystone-user root --keystone-group root >/dev/null 2>&1
  in_root keystone-manage credential_setup --keystone-user root --keystone-group root >/dev/null 2>&1
  in_root keystone-manage bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
    --bootstrap-admin-url "$URL/v3/" --bootstrap-internal-url "$URL/v3/" --bootstrap-public-url "$URL/v3/" \
    --bootstrap-region-id RegionOne >/dev/null 2>&1
  touch "$ROOT/var/lib/keystone/machine-test.bootstrapped"
  log "configured in $(( $(date +%s) - started )) s"
fi

# Write-ahead logging lets requests read while another one writes; in the
# default journal mode a reader left open makes writers fail with "database
# is locked". The setting stays with the database file.
in_root python3 -c "import sqlite3; sqlite3.connect('/var/lib/keystone/keystone.db').execute('PRAGMA journal_mode=WAL')"

started=$(date +%s)
log "starting keystone-wsgi-public on $URL"
setsid chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
  keystone-wsgi-public --host 127.0.0.1 --port "$PORT" >>"$ROOT/var/log/keystone/public.log" 2>&1 </dev/null &
for _ in $(seq 1 120); do
  answering && break
  sleep 0.5
done
answering || { tail -30 "$ROOT/var/log/keystone/public.log" >&2; exit 1; }
log "answering after $(( $(date +%s) - started )) s"

if [ ! -f "$ROOT/var/lib/keystone/machine-test.ready" ]; then
  # The tests' project and users, through the API as an operator would.
  in_root python3 - "$URL" "$ADMIN_PASSWORD" <<'EOF'
import json, sys, urllib.request, urllib.error
url, password = sys.argv[1], sys.argv[2]
def call(method, path, body=None, token=None):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode() if body is not None else None)
    req.add_header('Content-Type', 'application/json')
    if token: req.add_header('X-Auth-Token', token)
    try:
        with urllib.request.urlopen(req) as r:
            raw = r.read()
            return r.status, r.headers, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as e:
        return e.code, e.headers, {}
_, headers, _ = call('POST', '/v3/auth/tokens', {'auth': {'identity': {'methods': ['password'], 'password': {'user': {'name': 'admin', 'domain': {'id': 'default'}, 'password': password}}}, 'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}})
token = headers['X-Subject-Token']
def ensure(collection, key, name, body):
    _, _, found = call('GET', f'/v3/{collection}?name={name}', token=token)
    if found[collection]:
        return found[collection][0]['id']
    status, _, made = call('POST', f'/v3/{collection}', {key: body}, token)
    assert status == 201, (collection, status)
    return made[key]['id']
project = ensure('projects', 'project', 'demo', {'name': 'demo', 'domain_id': 'default'})
other = ensure('projects', 'project', 'other', {'name': 'other', 'domain_id': 'default'})
user = ensure('users', 'user', 'demo', {'name': 'demo', 'domain_id': 'default', 'password': 'demo-secret', 'default_project_id': project})
_, _, roles = call('GET', '/v3/roles?name=member', token=token)
member = roles['roles'][0]['id']
call('PUT', f'/v3/projects/{project}/users/{user}/roles/{member}', token=token)
call('PUT', f'/v3/projects/{other}/users/{user}/roles/{member}', token=token)
EOF
  touch "$ROOT/var/lib/keystone/machine-test.ready"
fi
echo "$URL"
