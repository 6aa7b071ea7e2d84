// The provisioners other than Debian, on real hosts. Only Debian's packages
// are reachable here, so every test host is Debian; each one below reports
// another distribution through /etc/os-release, which is all that selection
// reads. The apt-based provisioners then really install and configure Docker;
// the rpm-based ones cannot run on these hosts and are covered by unit tests.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { provisionHost } from '@machine/cli/lib/provision';
import { useTestHosts, type TestHost, type TestHostFlavour } from '../hosts';
import { makePki, request, type Pki } from './provision-support';

interface Case {
  flavour: TestHostFlavour;
  osRelease: string;
  provisioner: string;
  installs: boolean;
}

const CASES: Case[] = [
  { flavour: 'nodocker', osRelease: 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\nPRETTY_NAME="Ubuntu 24.04 LTS"', provisioner: 'ubuntu(systemd)', installs: true },
  { flavour: 'sysvinit', osRelease: 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\nVERSION_ID="22"', provisioner: 'debian(sysvinit)', installs: true },
  { flavour: 'docker', osRelease: 'NAME="Acme OS"\nID=acme\nVERSION_ID="7"\nPRETTY_NAME="Acme OS 7"', provisioner: 'generic(systemd)', installs: false },
];

async function pretend(host: TestHost, osRelease: string): Promise<void> {
  // /etc/os-release is a symlink into /usr/lib on Debian; replace the link, not its target.
  const r = await host.exec(['sh', '-c', 'rm -f /etc/os-release && cat > /etc/os-release <<EOF\n' + osRelease + '\nEOF']);
  assert.equal(r.code, 0, r.stderr);
}

describe('provisioners beyond Debian, on real hosts that report another distribution', function () {
  this.timeout(300_000);
  const hosts = useTestHosts();
  let pki: Pki;
  const started = new Map<Case, TestHost>();

  before(async () => {
    pki = await makePki();
    await Promise.all(
      CASES.map(async (c) => {
        const host = await hosts.start({ flavour: c.flavour });
        await pretend(host, c.osRelease);
        started.set(c, host);
      }),
    );
  });

  after(() => {
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`${c.provisioner}: ${c.installs ? "installs Docker from the distribution's packages and " : ''}configures TLS on 2376`, async () => {
      const host = started.get(c);
      assert.ok(host);
      const steps: string[] = [];
      const result = await provisionHost(request(host, pki, { step: (s) => steps.push(s) }));
      assert.equal(result.provisioner, c.provisioner);
      assert.ok(steps.includes(`Provisioning with ${c.provisioner}...`), steps.join('\n'));
      assert.equal(result.installedDocker, c.installs);
      assert.ok(result.dockerVersion, 'the engine answered over TLS with the client certificate');
      const local = await host.exec("docker info --format '{{.Driver}}'");
      assert.equal(local.stdout.trim(), 'vfs', `the engine answers on its socket too: ${local.stderr}`);
    });
  }

  it('generic, with no Docker and --engine-install-url=distro: refuses, naming the fix', async () => {
    const host = await hosts.start({ flavour: 'nodocker' });
    await pretend(host, 'NAME="Acme OS"\nID=acme\nVERSION_ID="7"\nPRETTY_NAME="Acme OS 7"');
    await assert.rejects(provisionHost(request(host, pki)), /--engine-install-url=distro does not know the Docker package of Acme OS 7\. Install Docker on the host, or use an install script URL/);
    assert.notEqual((await host.exec('command -v dockerd')).code, 0, 'nothing was installed');
  });
});
