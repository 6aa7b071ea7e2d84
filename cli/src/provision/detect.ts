// Everything provisioning needs to know about a host, gathered by one remote
// script in one round trip: the OS, the init system, where docker and
// dockerd are, the storage driver a running engine uses, daemon.json, and a
// staging directory for uploads owned by the login user.
import { parseOsRelease, type OsRelease } from './os-release';
import type { InitSystem } from './provisioners';

export interface HostFacts {
  os: OsRelease;
  init: InitSystem;
  /** Path of the docker CLI, empty when Docker is not installed. */
  docker: string;
  /** Path of dockerd, wherever the host keeps it (Debian: /usr/sbin). */
  dockerd: string;
  /** Storage driver of the engine running now, empty when none answers. */
  storageDriver: string;
  /** Swarm-mode state of the running engine ("active", "inactive", ""). */
  swarmState: string;
  /** Whether the running engine has live-restore on. */
  liveRestore: boolean;
  /** Containers running on the engine now. */
  containersRunning: number;
  /** Top-level keys of /etc/docker/daemon.json. */
  daemonJsonKeys: string[];
  /** /etc/docker/daemon.json as parsed, when it exists and is valid. */
  daemonJson?: Record<string, unknown>;
  daemonJsonError?: string;
  cloudInit: boolean;
  /** Upload directory for this run, writable by the login user. */
  staging: string;
}

const MARK = '@@machine:';

/** The detection script; runs as root (through sudo for other users). */
export function detectionScript(): string {
  return `
echo '${MARK}os-release'
cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null
# Files may lack a final newline; markers must start a line.
echo
echo '${MARK}facts'
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo init=systemd; else echo init=sysvinit; fi
PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin:/usr/local/bin"
echo "docker=$(command -v docker 2>/dev/null)"
echo "dockerd=$(command -v dockerd 2>/dev/null)"
if command -v docker >/dev/null 2>&1 && [ -S /var/run/docker.sock ]; then
  echo "engine=$(timeout 10 docker info --format '{{.Driver}} {{.Swarm.LocalNodeState}} {{.LiveRestoreEnabled}} {{.ContainersRunning}}' 2>/dev/null)"
fi
if command -v cloud-init >/dev/null 2>&1; then echo cloudinit=1; fi
staging=$(mktemp -d /tmp/machine.XXXXXX) && chmod 700 "$staging" && [ -n "$SUDO_USER" ] && chown "$SUDO_USER" "$staging"
echo "staging=$staging"
echo '${MARK}daemon.json'
cat /etc/docker/daemon.json 2>/dev/null
echo
echo '${MARK}end'
`;
}

export function parseDetection(output: string): HostFacts {
  const sections: Record<string, string> = {};
  let current = '';
  for (const line of output.split('\n')) {
    if (line.startsWith(MARK)) {
      current = line.slice(MARK.length).trim();
      sections[current] = '';
      continue;
    }
    if (current) sections[current] += line + '\n';
  }
  if (!('facts' in sections)) {
    throw new Error(`could not read the host's facts; the detection script printed:\n${output.trim().slice(0, 500)}`);
  }
  const facts: Record<string, string> = {};
  for (const line of sections.facts.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) facts[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  const [storageDriver = '', swarmState = '', liveRestore = '', running = '0'] = (facts.engine ?? '').split(/\s+/);
  let daemonJsonKeys: string[] = [];
  let daemonJsonValue: Record<string, unknown> | undefined;
  let daemonJsonError: string | undefined;
  const daemonJson = (sections['daemon.json'] ?? '').trim();
  if (daemonJson) {
    try {
      const parsed = JSON.parse(daemonJson) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        daemonJsonValue = parsed as Record<string, unknown>;
        daemonJsonKeys = Object.keys(parsed);
      }
    } catch (err) {
      daemonJsonError = `/etc/docker/daemon.json on the host is not valid JSON (${(err as Error).message})`;
    }
  }
  if (!facts.staging) throw new Error('could not create a staging directory under /tmp on the host');
  return {
    os: parseOsRelease(sections['os-release'] ?? ''),
    init: facts.init === 'systemd' ? 'systemd' : 'sysvinit',
    docker: facts.docker ?? '',
    dockerd: facts.dockerd ?? '',
    storageDriver,
    swarmState,
    liveRestore: liveRestore === 'true',
    containersRunning: Number(running) || 0,
    daemonJsonKeys,
    daemonJson: daemonJsonValue,
    daemonJsonError,
    cloudInit: facts.cloudinit === '1',
    staging: facts.staging,
  };
}
