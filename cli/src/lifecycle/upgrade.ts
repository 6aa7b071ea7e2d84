// upgrade: moves the engine to the newest version its package source offers
// (the distribution's packages, or Docker's repository when get.docker.com
// installed it), then restarts it and waits for it to answer.
import type { DriverClient } from '@machine/driver-sdk';
import { shellQuote } from '../format/quote';
import { detectionScript, parseDetection } from '../provision/detect';
import { waitForDaemon } from '../wait';
import { packageTool, selectProvisioner } from '../provision/provisioners';
import { SshConnection } from '../ssh/client';
import type { Store } from '../store/store';
import type { HostConfig } from '../store/types';
import { machineTLS, setExtra } from './machine';
import { locate } from './provision-machine';

export interface UpgradeOptions {
  store: Store;
  host: HostConfig;
  driver: DriverClient;
  out: (line: string) => void;
  signal?: AbortSignal;
}

export function upgradeScript(tool: string, init: 'systemd' | 'sysvinit'): string {
  const restart = init === 'systemd' ? 'systemctl restart docker' : 'service docker restart';
  const pkgs = 'docker-ce docker-ce-cli containerd.io docker.io moby-engine docker';
  let upgradeCmd: string;
  if (tool === 'apt') {
    upgradeCmd = `export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=300 update -qq
installed=$(for p in ${pkgs}; do dpkg-query -W -f='\${Status} \${Package}\\n' "$p" 2>/dev/null; done | awk '/install ok installed/ {print $4}')
[ -z "$installed" ] || apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold install -y -qq --only-upgrade $installed >/dev/null`;
  } else if (tool === 'dnf' || tool === 'yum') {
    upgradeCmd = `installed=$(rpm -q --qf '%{NAME}\\n' ${pkgs} 2>/dev/null | grep -v 'not installed')
[ -z "$installed" ] || ${tool} -y upgrade $installed`;
  } else {
    upgradeCmd = 'echo "machine does not know how to upgrade Docker on this distribution; upgrade it on the host" >&2; exit 1';
  }
  return `set -e\nPATH="$PATH:/usr/sbin:/sbin"\n${upgradeCmd}\n${restart}\n`;
}

export async function upgradeDocker(o: UpgradeOptions): Promise<void> {
  const where = await locate(o.store, o.host, o.driver, o.signal);
  const conn = await SshConnection.connect(
    { host: where.ssh.host, port: where.ssh.port, user: where.ssh.user, keyPath: where.ssh.keyPath || undefined },
    { hostKey: { expected: o.host.Machine?.SSHHostKey, machineName: o.host.Name }, signal: o.signal },
  );
  try {
    const facts = parseDetection((await conn.checkScript(detectionScript(), { signal: o.signal })).stdout);
    await conn.exec(`rm -rf -- ${shellQuote(facts.staging)}`);
    const tool = packageTool(selectProvisioner(facts.os), facts.os);
    o.out('Upgrading docker...');
    await conn.checkScript(upgradeScript(tool, facts.init), { signal: o.signal });
    o.out('Restarting docker...');
  } finally {
    conn.close();
  }
  const version = await waitForDaemon({ url: where.url || `tcp://${where.ip}:2376`, ...machineTLS(o.store, o.host) }, 120_000, o.signal);
  o.out(`Docker ${version} is up and running.`);
  setExtra(o.host, { LastSeen: new Date().toISOString() });
}
