// The remote half of configuring the daemon: files arrive in the staging
// directory over SFTP, and one script (fed on stdin) moves them into place,
// sets the hostname and restarts the engine. One round trip.
import { shellQuote } from '../format/quote';
import { REMOTE_CA, REMOTE_CERT_DIR, REMOTE_SERVER_CERT, REMOTE_SERVER_KEY, SYSTEMD_DROP_IN, SYSVINIT_DEFAULTS } from './daemon';
import type { InitSystem } from './provisioners';

export interface ConfigureScriptInput {
  staging: string;
  init: InitSystem;
  /** Set the host's name to this (empty: leave it). */
  hostname: string;
  /** Restart the engine so it picks up new certificates and flags. */
  restart: boolean;
  /**
   * Keep running containers through the restart: live-restore is switched on
   * for the restart only (daemon.json plus a reload), then put back.
   */
  keepContainers?: boolean;
}

/** File names inside the staging directory. */
export const STAGED = {
  ca: 'ca.pem',
  cert: 'server.pem',
  key: 'server-key.pem',
  dropIn: '10-machine.conf',
  defaults: 'docker.default',
  liveDaemonJson: 'daemon.json.live',
  offDaemonJson: 'daemon.json.off',
} as const;

const DAEMON_JSON = '/etc/docker/daemon.json';

// Only an engine with live-restore on leaves its containers running when it
// stops. Having it on for good would make every shutdown of the host wait
// for containers nobody stops, so it is on only while machine restarts the
// engine. dockerd reloads live-restore from daemon.json on SIGHUP.
const LIVE_RESTORE_ON = `
dockerd_pid() { pidof dockerd 2>/dev/null || pgrep -x dockerd 2>/dev/null || true; }
if [ -e ${DAEMON_JSON} ]; then cp -p ${DAEMON_JSON} "$S/daemon.json.orig"; fi
# A reload only changes the keys the file has: switching back needs an
# explicit "live-restore": false, then the original file is put back.
restore_daemon_json() {
  pid=$(dockerd_pid)
  if [ -n "$pid" ]; then
    install -m 0644 "$S/daemon.json.off" ${DAEMON_JSON}
    kill -HUP $pid
    i=0; until [ "$(docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null)" != true ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done
  fi
  if [ -e "$S/daemon.json.orig" ]; then cp -p "$S/daemon.json.orig" ${DAEMON_JSON}; else rm -f ${DAEMON_JSON}; fi
}
trap 'restore_daemon_json; rm -rf "$S"' EXIT
install -m 0644 "$S/daemon.json.live" ${DAEMON_JSON}
pid=$(dockerd_pid)
if [ -n "$pid" ]; then
  kill -HUP $pid
  i=0; until [ "$(docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null)" = true ] || [ $i -ge 50 ]; do sleep 0.1; i=$((i+1)); done
fi
`;

/** daemon.json with live-restore on (for the restart) and as it was (for switching it back). */
export function liveRestoreDaemonJson(current: Record<string, unknown> | undefined): { on: string; off: string } {
  const render = (v: boolean) => JSON.stringify({ ...(current ?? {}), 'live-restore': v }, null, 2) + '\n';
  return { on: render(true), off: render(current?.['live-restore'] === true) };
}

// Docker bind-mounts /etc/hostname and /etc/hosts into containers, and so do
// other container-based hosts: files there can be rewritten in place but not
// replaced by rename, which is what sed -i does.
function hostnameScript(name: string): string {
  const n = shellQuote(name);
  return `
hostname ${n} 2>/dev/null || true
printf '%s\\n' ${n} > /etc/hostname 2>/dev/null || true
if grep -q '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts 2>/dev/null; then
  hosts=$(sed 's/^127\\.0\\.1\\.1[[:space:]].*/127.0.1.1 '${n}'/' /etc/hosts) && printf '%s\\n' "$hosts" > /etc/hosts || true
else
  printf '127.0.1.1 %s\\n' ${n} >> /etc/hosts 2>/dev/null || true
fi
`;
}

export function configureScript(input: ConfigureScriptInput): string {
  const s = shellQuote(input.staging);
  const parts = [
    'set -e',
    'PATH="$PATH:/usr/sbin:/sbin"',
    `S=${s}`,
    `trap 'rm -rf "$S"' EXIT`,
    `mkdir -p ${REMOTE_CERT_DIR}`,
    `install -m 0644 "$S/${STAGED.ca}" ${REMOTE_CA}`,
    `install -m 0644 "$S/${STAGED.cert}" ${REMOTE_SERVER_CERT}`,
    `install -m 0600 "$S/${STAGED.key}" ${REMOTE_SERVER_KEY}`,
  ];
  if (input.hostname) parts.push(hostnameScript(input.hostname));
  if (input.keepContainers && input.restart) parts.push(LIVE_RESTORE_ON);
  if (input.init === 'systemd') {
    parts.push(
      // Each systemctl call costs a few hundred milliseconds; skip the ones with nothing to do.
      `if cmp -s "$S/${STAGED.dropIn}" ${SYSTEMD_DROP_IN}; then reload=; else reload=1; fi`,
      `mkdir -p ${SYSTEMD_DROP_IN.replace(/\/[^/]+$/, '')}`,
      `install -m 0644 "$S/${STAGED.dropIn}" ${SYSTEMD_DROP_IN}`,
      '[ -z "$reload" ] || systemctl daemon-reload',
      'systemctl is-enabled -q docker 2>/dev/null || systemctl enable docker >/dev/null 2>&1 || true',
    );
    if (input.restart) {
      parts.push(
        // Repeated provisioning (tests, scripts) trips the unit's start rate limit.
        'systemctl reset-failed docker >/dev/null 2>&1 || true',
        'if ! systemctl restart docker; then',
        '  echo "the docker service failed to start; its last log lines:" >&2',
        '  journalctl -u docker -n 25 --no-pager >&2 2>/dev/null || systemctl status docker --no-pager >&2 || true',
        '  exit 1',
        'fi',
      );
    }
  } else {
    parts.push(`install -m 0644 "$S/${STAGED.defaults}" ${SYSVINIT_DEFAULTS}`);
    if (input.restart) {
      parts.push(
        'if [ ! -x /etc/init.d/docker ]; then echo "the host has no /etc/init.d/docker script to start the engine with" >&2; exit 1; fi',
        'service docker stop >/dev/null 2>&1 || true',
        // The init script returns before dockerd removes its pid file.
        'i=0; while [ -e /var/run/docker.pid ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done',
        'if ! service docker start >/dev/null; then',
        '  echo "the docker service failed to start; its last log lines:" >&2',
        '  tail -n 25 /var/log/docker.log >&2 2>/dev/null || true',
        '  exit 1',
        'fi',
      );
    }
  }
  return parts.join('\n') + '\n';
}
