// Docker Machine parity, pinned from the user's seat: the exact stdout,
// stderr and exit code docker-machine 0.16.2 gives for the same command on a
// real machine, since scripts test all three. The same tests run for every
// driver in DRIVERS: the generic driver on a real test host, and the docker
// driver's own machine container.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { startHost, type TestHost } from '../hosts';
import { explain, genericFlags, run, Sandbox } from './generic-support';

/** Every file and directory under `root`, with its mode and a digest of its bytes. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      const st = fs.statSync(p);
      const rel = path.relative(root, p);
      if (e.isDirectory()) {
        out[rel + '/'] = st.mode.toString(8);
        walk(p);
      } else {
        out[rel] = `${st.mode.toString(8)} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
      }
    }
  };
  walk(root);
  return out;
}

/** Escapes text for use inside a RegExp. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** What the shared tests need from a driver: how to create its machine, and how to break it. */
interface Target {
  readonly driver: 'generic' | 'docker';
  /** Makes whatever the machine runs on; called once, before create. */
  prepare(sb: Sandbox): Promise<void>;
  createFlags(): string[];
  /** Stops the machine's engine while the machine itself keeps running. */
  stopEngine(sb: Sandbox, name: string): Promise<void>;
  /** Takes the machine down the way its driver sees a stopped machine. */
  stopMachine(sb: Sandbox, name: string): Promise<void>;
  cleanup(sb: Sandbox): Promise<void>;
}

/**
 * A test host whose engine runs overlay2 with nothing fixing it in
 * daemon.json, so an explicit --engine-storage-driver (vfs) is a real change.
 * The host image runs vfs from daemon.json on the container's overlay root;
 * a tmpfs under /var/lib/docker takes overlay2.
 */
async function overlay2Host(): Promise<TestHost> {
  const host = await startHost({ flavour: 'docker' });
  const r = await host.exec([
    'sh', '-c',
    "systemctl stop docker.socket docker.service && echo '{}' > /etc/docker/daemon.json && mount -t tmpfs tmpfs /var/lib/docker && systemctl start docker && docker info --format '{{.Driver}}'",
  ]);
  assert.deepEqual({ code: r.code, stdout: r.stdout }, { code: 0, stdout: 'overlay2\n' }, r.stderr);
  return host;
}

class GenericTarget implements Target {
  readonly driver = 'generic' as const;
  host!: TestHost;

  async prepare(): Promise<void> {
    this.host = await overlay2Host();
  }

  createFlags(): string[] {
    return genericFlags(this.host);
  }

  async stopEngine(): Promise<void> {
    const r = await this.host.exec('systemctl stop docker.socket docker.service');
    assert.equal(r.code, 0, r.stderr);
  }

  async stopMachine(): Promise<void> {
    await this.host.stop();
  }

  async cleanup(): Promise<void> {
    await this.host?.remove();
  }
}

class DockerTarget implements Target {
  readonly driver = 'docker' as const;
  readonly network = `machine-parity-${process.pid}`;

  async prepare(): Promise<void> {
    // Nothing to make: the driver makes the machine's container and network.
  }

  createFlags(): string[] {
    return ['-d', 'docker', '--docker-network', this.network];
  }

  async stopEngine(sb: Sandbox, name: string): Promise<void> {
    await sb.ok(['ssh', name, 'systemctl', 'stop', 'docker.socket', 'docker.service']);
  }

  async stopMachine(sb: Sandbox, name: string): Promise<void> {
    await sb.ok(['stop', name]);
  }

  async cleanup(sb: Sandbox): Promise<void> {
    // Only what this run made: found by its store label and network name.
    const docker = new Docker({ socketPath: '/var/run/docker.sock' });
    const label = [`io.machine.store=${sb.store}`];
    for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label }) })) {
      await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
    }
    for (const v of (await docker.listVolumes({ filters: JSON.stringify({ label }) })).Volumes ?? []) {
      await docker.getVolume(v.Name).remove().catch(() => undefined);
    }
    await docker.getNetwork(this.network).remove().catch(() => undefined);
  }
}

const DRIVERS: Array<() => Target> = [() => new GenericTarget(), () => new DockerTarget()];

/** The read-only commands, which must leave the store byte-identical whatever state the machine is in. */
function readOnlyCommands(name: string): string[][] {
  return [['ls'], ['ls', '-q'], ['ls', '--format', '{{.URL}}'], ['inspect', name], ['env', name], ['config', name], ['url', name], ['ip', name], ['status', name]];
}

/** Turns the store into the reference's layout: no lock directory, and no key of ours in config.json. */
function toReferenceLayout(store: string, name: string): void {
  fs.rmSync(path.join(store, 'locks'), { recursive: true, force: true });
  const config = path.join(store, 'machines', name, 'config.json');
  const record = JSON.parse(fs.readFileSync(config, 'utf8')) as Record<string, unknown>;
  delete record.Machine;
  fs.writeFileSync(config, JSON.stringify(record, null, '    '));
}

/** Runs every read-only command (whatever its exit) and checks the store did not change. */
async function assertReadOnly(sb: Sandbox, name: string, expectExit: (args: string[]) => number | undefined): Promise<void> {
  toReferenceLayout(sb.store, name);
  const before = snapshot(sb.store);
  for (const args of readOnlyCommands(name)) {
    const r = await sb.cli(args);
    const exit = expectExit(args);
    if (exit !== undefined) assert.equal(r.code, exit, `machine ${args.join(' ')}: ${explain(r)}`);
    assert.deepEqual(snapshot(sb.store), before, `machine ${args.join(' ')} changed the store`);
  }
}

for (const makeTarget of DRIVERS) {
  const target = makeTarget();

  describe(`Docker Machine parity on a real machine (${target.driver} driver)`, function () {
    this.timeout(300_000);
    const sb = new Sandbox();
    const name = `parity-${target.driver}-${process.pid}`;
    let ip = '';

    before(async () => {
      await target.prepare(sb);
      await sb.ok(['create', ...target.createFlags(), name], { env: { ENGINE_REGISTRY_MIRROR: 'https://mirror-one.test, https://mirror-two.test' } });
      ip = (await sb.ok(['ip', name])).stdout.trim();
    });

    after(async () => {
      await sb.cli(['rm', '-f', name]);
      await target.cleanup(sb);
      sb.cleanup();
    });

    // mocha runs a block's own tests before its nested blocks, so each phase is a block, in order.
    describe('while the machine runs', () => {
      it('splits ENGINE_REGISTRY_MIRROR on commas into one mirror each, as the reference does', async () => {
        const r = await sb.docker(name, ['info', '--format', '{{json .RegistryConfig.Mirrors}}']);
        assert.equal(r.code, 0, explain(r));
        assert.deepEqual(JSON.parse(r.stdout), ['https://mirror-one.test/', 'https://mirror-two.test/']);
      });

      it("inspect prints the reference's shape: five top-level keys, HostOptions in the reference's order", async () => {
        const r = await sb.ok(['inspect', name]);
        const host = JSON.parse(r.stdout) as { HostOptions: Record<string, object> };
        assert.deepEqual(Object.keys(host), ['ConfigVersion', 'Driver', 'DriverName', 'HostOptions', 'Name']);
        assert.deepEqual(Object.keys(host.HostOptions), ['Driver', 'Memory', 'Disk', 'EngineOptions', 'SwarmOptions', 'AuthOptions']);
        assert.deepEqual(Object.keys(host.HostOptions.EngineOptions), [
          'ArbitraryFlags', 'Dns', 'GraphDir', 'Env', 'Ipv6', 'InsecureRegistry', 'Labels', 'LogLevel', 'StorageDriver', 'SelinuxEnabled', 'TlsVerify', 'RegistryMirror', 'InstallURL',
        ]);
        assert.deepEqual(Object.keys(host.HostOptions.SwarmOptions), [
          'IsSwarm', 'Address', 'Discovery', 'Agent', 'Master', 'Host', 'Image', 'Strategy', 'Heartbeat', 'Overcommit', 'ArbitraryFlags', 'ArbitraryJoinFlags', 'Env', 'IsExperimental',
        ]);
        assert.deepEqual(Object.keys(host.HostOptions.AuthOptions), [
          'CertDir', 'CaCertPath', 'CaPrivateKeyPath', 'CaCertRemotePath', 'ServerCertPath', 'ServerKeyPath', 'ClientKeyPath', 'ServerCertRemotePath', 'ServerKeyRemotePath', 'ClientCertPath', 'ServerCertSANs', 'StorePath',
        ]);
      });

      it("inspect's BaseDriver fields take a script's own ssh into the machine, as with every reference driver", async () => {
        // The idiom: ssh -i KEY -p PORT USER@IP, all read with inspect -f.
        const fields = await sb.ok(['inspect', '-f', '{{.Driver.IPAddress}} {{.Driver.SSHPort}} {{.Driver.SSHUser}} {{.Driver.SSHKeyPath}} {{.Driver.MachineName}} {{.Driver.StorePath}}', name]);
        const [address, port, user, keyPath, machineName, storePath] = fields.stdout.trim().split(' ');
        assert.equal(address, ip, explain(fields));
        assert.match(port, /^[1-9][0-9]*$/, explain(fields));
        assert.deepEqual([machineName, storePath], [name, sb.store], explain(fields));
        assert.equal(keyPath, path.join(sb.store, 'machines', name, 'id_rsa'), explain(fields));
        const options = ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'];
        const r = await run('ssh', [...options, '-i', keyPath, '-p', port, `${user}@${address}`, 'echo', 'reached', '$(hostname)']);
        assert.deepEqual({ code: r.code, stdout: r.stdout }, { code: 0, stdout: `reached ${name}\n` }, explain(r));
      });

      if (target.driver === 'generic') {
        it("inspect prints the generic driver's keys in the reference's order: BaseDriver's, then its own; Go-map order in templates", async () => {
          const r = await sb.ok(['inspect', name]);
          assert.deepEqual(Object.keys((JSON.parse(r.stdout) as { Driver: object }).Driver), [
            'IPAddress', 'MachineName', 'SSHUser', 'SSHPort', 'SSHKeyPath', 'StorePath', 'SwarmMaster', 'SwarmHost', 'SwarmDiscovery', 'EnginePort', 'SSHKey',
          ]);
          const driver = await sb.ok(['inspect', '-f', '{{json .Driver}}', name]);
          assert.deepEqual(Object.keys(JSON.parse(driver.stdout) as object), [
            'EnginePort', 'IPAddress', 'MachineName', 'SSHKey', 'SSHKeyPath', 'SSHPort', 'SSHUser', 'StorePath', 'SwarmDiscovery', 'SwarmHost', 'SwarmMaster',
          ]);
        });

        it('keeps the storage driver the engine already runs when --engine-storage-driver is not given', async () => {
          const r = await sb.docker(name, ['info', '--format', '{{.Driver}}']);
          assert.deepEqual({ code: r.code, stdout: r.stdout }, { code: 0, stdout: 'overlay2\n' }, explain(r));
        });

        it('applies --engine-storage-driver when given, though the engine ran another', async () => {
          const other = `parity-storage-${process.pid}`;
          const host = await overlay2Host();
          try {
            await sb.ok(['create', ...genericFlags(host), '--engine-storage-driver', 'vfs', other]);
            const r = await sb.docker(other, ['info', '--format', '{{.Driver}}']);
            assert.deepEqual({ code: r.code, stdout: r.stdout }, { code: 0, stdout: 'vfs\n' }, explain(r));
          } finally {
            await sb.cli(['rm', '-f', other]);
            await host.remove();
          }
        });
      }

      it('read-only commands leave a store in the reference layout byte-identical', async () => {
        await assertReadOnly(sb, name, () => 0);
      });

      it('start fails: the message on stderr, exit 1', async () => {
        const r = await sb.cli(['start', name]);
        assert.deepEqual(r, { code: 1, stdout: `Starting "${name}"...\n`, stderr: `Machine "${name}" is already running.\n` }, explain(r));
      });
    });

    describe('when the CA does not match', () => {
      const certs = (): string => path.join(sb.store, 'certs');
      const originals = new Map<string, Buffer>();

      before(async () => {
        // A year, as a real CA would have: one that runs out within 30 days puts ls's expiry warning in ERRORS instead.
        // Another CA, and a client certificate it signed: the engine's certificate is signed by neither.
        const dir = fs.mkdtempSync(path.join(sb.dir, 'other-ca-'));
        const f = (file: string): string => path.join(dir, file);
        for (const args of [
          ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/O=another CA', '-days', '365', '-keyout', f('ca-key.pem'), '-out', f('ca.pem')],
          ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/O=another client', '-keyout', f('key.pem'), '-out', f('client.csr')],
          ['x509', '-req', '-in', f('client.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca-key.pem'), '-CAcreateserial', '-days', '1', '-out', f('cert.pem')],
        ]) {
          const r = await run('openssl', args);
          assert.equal(r.code, 0, explain(r));
        }
        for (const file of ['ca.pem', 'cert.pem', 'key.pem']) {
          originals.set(file, fs.readFileSync(path.join(certs(), file)));
          fs.copyFileSync(f(file), path.join(certs(), file));
        }
      });

      after(() => {
        for (const [file, bytes] of originals) fs.writeFileSync(path.join(certs(), file), bytes);
      });

      // The reference's message ends with a newline of its own, and its logger adds one: a blank line closes it.
      const invalid = (): string =>
        `Error checking and/or regenerating the certs: There was an error validating certificates for host "${ip}:2376": x509: certificate signed by unknown authority\n` +
        `You can attempt to regenerate them using 'machine regenerate-certs ${name}'.\n` +
        'Be advised that this will trigger a Docker daemon restart which might stop running containers.\n\n';

      it("env fails under the reference's heading, in crypto/x509's words", async () => {
        const r = await sb.cli(['env', name]);
        assert.deepEqual(r, { code: 1, stdout: '', stderr: `Error checking TLS connection: ${invalid()}` }, explain(r));
      });

      it("config fails under the reference's heading, in crypto/x509's words", async () => {
        const r = await sb.cli(['config', name]);
        assert.deepEqual(r, { code: 1, stdout: '', stderr: `Error running connection boilerplate: ${invalid()}` }, explain(r));
      });

      it("version fails under the reference's heading, in net/http's words", async () => {
        const r = await sb.cli(['version', name]);
        assert.deepEqual(r, { code: 1, stdout: '', stderr: `Unable to query docker version: Get https://${ip}:2376/v1.15/version: x509: certificate signed by unknown authority\n` }, explain(r));
      });

      it("ls shows the reference's error text in ERRORS and {{.Error}}", async () => {
        const expected = `Unable to query docker version: Get https://${ip}:2376/v1.15/version: x509: certificate signed by unknown authority`;
        const r = await sb.cli(['ls', '--format', '{{.Name}}|{{.State}}|{{.DockerVersion}}|{{.Error}}']);
        assert.deepEqual(r, { code: 0, stdout: `${name}|Running|Unknown|${expected}\n`, stderr: '' }, explain(r));
        const table = await sb.cli(['ls']);
        assert.match(table.stdout.split('\n')[1], new RegExp(`Unknown +${literal(expected)}$`));
      });
    });

    describe('when its engine stops answering', () => {
      before(async () => {
        await target.stopEngine(sb, name);
      });

      it("ls shows the reference's error text in ERRORS and {{.Error}}", async () => {
        const expected = `Unable to query docker version: Get https://${ip}:2376/v1.15/version: dial tcp ${ip}:2376: connect: connection refused`;
        const r = await sb.cli(['ls', '--format', '{{.Name}}|{{.State}}|{{.DockerVersion}}|{{.Error}}']);
        assert.deepEqual(r, { code: 0, stdout: `${name}|Running|Unknown|${expected}\n`, stderr: '' }, explain(r));
        const table = await sb.cli(['ls']);
        assert.match(table.stdout.split('\n')[1], new RegExp(`Unknown +${literal(expected)}$`));
      });

      it("env and config fail under the reference's headings: the certificate check dials the engine", async () => {
        const invalid =
          `Error checking and/or regenerating the certs: There was an error validating certificates for host "${ip}:2376": dial tcp ${ip}:2376: connect: connection refused\n` +
          `You can attempt to regenerate them using 'machine regenerate-certs ${name}'.\n` +
          'Be advised that this will trigger a Docker daemon restart which might stop running containers.\n\n';
        const env = await sb.cli(['env', name]);
        assert.deepEqual(env, { code: 1, stdout: '', stderr: `Error checking TLS connection: ${invalid}` }, explain(env));
        const config = await sb.cli(['config', name]);
        assert.deepEqual(config, { code: 1, stdout: '', stderr: `Error running connection boilerplate: ${invalid}` }, explain(config));
      });

      it("version fails in net/http's words", async () => {
        const r = await sb.cli(['version', name]);
        assert.deepEqual(r, { code: 1, stdout: '', stderr: `Unable to query docker version: Get https://${ip}:2376/v1.15/version: dial tcp ${ip}:2376: connect: connection refused\n` }, explain(r));
      });

      it('read-only commands leave the store byte-identical', async () => {
        // env and config fail (the engine does not answer); the rest succeed.
        await assertReadOnly(sb, name, (args) => (args[0] === 'env' || args[0] === 'config' ? 1 : 0));
      });
    });

    describe('once the machine is down', () => {
      before(async () => {
        await target.stopMachine(sb, name);
      });

      it('ls shows it Stopped with a blank URL, in the table, in templates and through --filter state=Stopped', async () => {
        const r = await sb.cli(['ls', '--filter', 'state=Stopped', '--format', '{{.Name}}|{{.State}}|{{.URL}}|{{.DockerVersion}}']);
        assert.deepEqual(r, { code: 0, stdout: `${name}|Stopped||Unknown\n`, stderr: '' }, explain(r));
        const table = await sb.cli(['ls']);
        assert.match(table.stdout.split('\n')[1], new RegExp(`^${name} +- +${target.driver} +Stopped +Unknown *$`));
      });

      it('read-only commands leave the store byte-identical', async () => {
        // env, config and url fail (Host is not running); ip is the driver's to answer (generic
        // remembers the address, the docker driver's stopped container has none); the rest succeed.
        await assertReadOnly(sb, name, (args) => (['env', 'config', 'url'].includes(args[0]) ? 1 : args[0] === 'ip' ? undefined : 0));
      });

      it('stop fails: the message on stderr, exit 1', async () => {
        const r = await sb.cli(['stop', name]);
        assert.deepEqual(r, { code: 1, stdout: `Stopping "${name}"...\n`, stderr: `Machine "${name}" is already stopped.\n` }, explain(r));
      });

      it('kill fails: the message on stderr, exit 1', async () => {
        const r = await sb.cli(['kill', name]);
        assert.deepEqual(r, { code: 1, stdout: `Killing "${name}"...\n`, stderr: `Machine "${name}" is already stopped.\n` }, explain(r));
      });
    });

    describe('removing it', () => {
      if (target.driver === 'docker') {
        it("a failed rm names the machine under the reference's prefix, exit 1, and keeps it", async () => {
          // An engine that is not there: the driver cannot remove the container.
          const config = path.join(sb.store, 'machines', name, 'config.json');
          const original = fs.readFileSync(config);
          const record = JSON.parse(original.toString('utf8')) as { Driver: Record<string, unknown> };
          record.Driver.DockerHost = `unix://${path.join(sb.dir, 'no-engine.sock')}`;
          fs.writeFileSync(config, JSON.stringify(record, null, '    '));
          try {
            const r = await sb.cli(['rm', '-y', name]);
            assert.equal(r.code, 1, explain(r));
            assert.equal(r.stdout, `About to remove ${name}\nWARNING: This action will delete both local reference and remote instance.\n`);
            // The driver's own words follow the reference's prefix.
            assert.match(r.stderr, new RegExp(`^Error removing host "${literal(name)}": \\(docker\\) cannot reach the Docker engine at ${literal(record.Driver.DockerHost as string)} `));
            assert.deepEqual(sb.machines(), [name]);
          } finally {
            fs.writeFileSync(config, original);
          }
        });
      }

      it("rm -y opens with the reference's two lines", async () => {
        const r = await sb.cli(['rm', '-y', name]);
        assert.equal(r.code, 0, explain(r));
        assert.deepEqual(r.stdout.split('\n').slice(0, 2), [`About to remove ${name}`, 'WARNING: This action will delete both local reference and remote instance.']);
        assert.match(r.stdout, new RegExp(`Successfully removed ${name}\\n$`));
        assert.deepEqual(sb.machines(), []);
      });
    });
  });
}
