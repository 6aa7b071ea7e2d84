// Docker Machine parity, pinned from the user's seat: the exact stdout,
// stderr and exit code docker-machine 0.16.2 gives for the same command on a
// real machine (the generic driver on a real test host), since scripts test
// all three.
import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
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

describe('Docker Machine parity on a real machine', function () {
  this.timeout(300_000);
  const sb = new Sandbox();
  const name = `parity-${process.pid}`;
  let host: TestHost;

  before(async () => {
    host = await startHost({ flavour: 'docker' });
  });

  after(async () => {
    await sb.cli(['rm', '-f', name]);
    await host?.remove();
    sb.cleanup();
  });

  // mocha runs a block's own tests before its nested blocks, so each phase is a block, in order.
  describe('while the machine runs', () => {
    it('splits ENGINE_REGISTRY_MIRROR on commas into one mirror each, as the reference does', async () => {
      const mirrors = 'https://mirror-one.test, https://mirror-two.test';
      await sb.ok(['create', ...genericFlags(host), name], { env: { ENGINE_REGISTRY_MIRROR: mirrors } });
      const r = await sb.docker(name, ['info', '--format', '{{json .RegistryConfig.Mirrors}}']);
      assert.equal(r.code, 0, explain(r));
      assert.deepEqual(JSON.parse(r.stdout), ['https://mirror-one.test/', 'https://mirror-two.test/']);
    });

    it("inspect prints the reference's shape: five top-level keys, and Go-map key order in templates", async () => {
      const r = await sb.ok(['inspect', name]);
      assert.deepEqual(Object.keys(JSON.parse(r.stdout) as object), ['ConfigVersion', 'Driver', 'DriverName', 'HostOptions', 'Name']);
      const driver = await sb.ok(['inspect', '-f', '{{json .Driver}}', name]);
      assert.deepEqual(Object.keys(JSON.parse(driver.stdout) as object), [
        'EnginePort', 'IPAddress', 'MachineName', 'SSHKey', 'SSHKeyPath', 'SSHPort', 'SSHUser', 'StorePath', 'SwarmDiscovery', 'SwarmHost', 'SwarmMaster',
      ]);
    });

    it('read-only commands leave a store in the reference layout byte-identical', async () => {
      // The reference layout: no lock directory, and no key of ours in config.json.
      fs.rmSync(path.join(sb.store, 'locks'), { recursive: true, force: true });
      const config = path.join(sb.store, 'machines', name, 'config.json');
      const record = JSON.parse(fs.readFileSync(config, 'utf8')) as Record<string, unknown>;
      delete record.Machine;
      fs.writeFileSync(config, JSON.stringify(record, null, '    '));
      const before = snapshot(sb.store);
      for (const args of [['ls'], ['ls', '-q'], ['ls', '--format', '{{.URL}}'], ['inspect', name], ['env', name], ['config', name], ['url', name], ['ip', name], ['status', name]]) {
        const r = await sb.cli(args);
        assert.equal(r.code, 0, `machine ${args.join(' ')}: ${explain(r)}`);
        assert.deepEqual(snapshot(sb.store), before, `machine ${args.join(' ')} changed the store`);
      }
    });

    it('start fails: the message on stderr, exit 1', async () => {
      const r = await sb.cli(['start', name]);
      assert.deepEqual(r, { code: 1, stdout: `Starting "${name}"...\n`, stderr: `Machine "${name}" is already running.\n` }, explain(r));
    });
  });

  describe('when the CA does not match', () => {
    const ca = (): string => path.join(sb.store, 'certs', 'ca.pem');
    let original: Buffer;

    before(async () => {
      original = fs.readFileSync(ca());
      const dir = fs.mkdtempSync(path.join(sb.dir, 'other-ca-'));
      const r = await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=another CA', '-days', '1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'ca.pem')]);
      assert.equal(r.code, 0, explain(r));
      fs.copyFileSync(path.join(dir, 'ca.pem'), ca());
    });

    after(() => fs.writeFileSync(ca(), original));

    it("env names the failure in crypto/x509's words", async () => {
      const r = await sb.cli(['env', name]);
      assert.equal(r.code, 1, explain(r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`There was an error validating certificates for host "${host.ip.replace(/\./g, '\\.')}:2376": x509: certificate signed by unknown authority\n`));
    });
  });

  describe('when its engine stops answering', () => {
    before(async () => {
      const r = await host.exec('systemctl stop docker.socket docker.service');
      assert.equal(r.code, 0, r.stderr);
    });

    it("ls shows the reference's error text in ERRORS and {{.Error}}", async () => {
      const expected = `Unable to query docker version: Get https://${host.ip}:2376/v1.15/version: dial tcp ${host.ip}:2376: connect: connection refused`;
      const r = await sb.cli(['ls', '--format', '{{.Name}}|{{.State}}|{{.DockerVersion}}|{{.Error}}']);
      assert.deepEqual(r, { code: 0, stdout: `${name}|Running|Unknown|${expected}\n`, stderr: '' }, explain(r));
      const table = await sb.cli(['ls']);
      assert.match(table.stdout.split('\n')[1], new RegExp(`Unknown +${expected.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`));
    });
  });

  describe('once the host is down', () => {
    before(async () => {
      await host.stop();
    });

    it('ls shows it Stopped with a blank URL, in the table, in templates and through --filter state=Stopped', async () => {
      const r = await sb.cli(['ls', '--filter', 'state=Stopped', '--format', '{{.Name}}|{{.State}}|{{.URL}}|{{.DockerVersion}}']);
      assert.deepEqual(r, { code: 0, stdout: `${name}|Stopped||Unknown\n`, stderr: '' }, explain(r));
      const table = await sb.cli(['ls']);
      assert.match(table.stdout.split('\n')[1], new RegExp(`^${name} +- +generic +Stopped +Unknown *$`));
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
    it("rm -y opens with the reference's two lines", async () => {
      const r = await sb.cli(['rm', '-y', name]);
      assert.equal(r.code, 0, explain(r));
      assert.deepEqual(r.stdout.split('\n').slice(0, 2), [`About to remove ${name}`, 'WARNING: This action will delete both local reference and remote instance.']);
      assert.match(r.stdout, new RegExp(`Successfully removed ${name}\\n$`));
      assert.deepEqual(sb.machines(), []);
    });
  });
});
