// Driver secrets end to end: for each cloud driver, the real CLI is given the
// secrets the way users keep them (environment variables) and never shows
// them: not in `create --help`, not in the --debug output of a create, not
// in `inspect`, and not in the store's locks, read while a create holds them.
// The creates run against the local cloud endpoints, whose servers are real
// test hosts.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startFakeDigitalOcean, TOKEN, type FakeDigitalOcean } from '../fakes/digitalocean';
import { cleanDoEnv } from '../fakes/digitalocean/harness';
import { DEMO, startFakeOpenStack, type FakeOpenStack } from '../fakes/openstack';
import { cleanOsEnv, tempDir } from '../fakes/openstack/harness';
import { TestHostProvider } from '../hosts';
import { CLI, cliEnv, explain, run, type Result } from './generic-support';

/** What a driver's tests need from its local cloud. */
interface Cloud {
  /** The environment of a user of this cloud, secrets included. */
  env(): NodeJS.ProcessEnv;
  /** The secret in that environment, as the cloud accepts it. */
  secret: string;
  /** Whether the cloud has received the call that makes the server (the create is then mid-way). */
  serverRequested(): boolean;
  close(): Promise<void>;
}

interface DriverCase {
  driver: string;
  /** How the user authenticates, for the test titles. */
  credentials: string;
  /** Secret environment variables and the made-up values the help test sets them to (none: no help test). */
  helpSecrets: Record<string, string>;
  /** inspect's Driver field that holds the secret, shown masked. */
  inspectField: string;
  /** Create flags besides the credentials. */
  createFlags: string[];
  start(hosts: TestHostProvider, home: string): Promise<Cloud>;
}

const OPENSTACK_CREATE_FLAGS = ['--openstack-flavor-name', 'm1.small', '--openstack-image-name', 'ubuntu-22.04', '--openstack-net-name', 'provider', '--openstack-ssh-user', 'ubuntu'];

const DRIVERS: DriverCase[] = [
  {
    driver: 'digitalocean',
    credentials: 'DIGITALOCEAN_ACCESS_TOKEN',
    helpSecrets: { DIGITALOCEAN_ACCESS_TOKEN: 'dop_v1_help0secret0never0shown' },
    inspectField: 'AccessToken',
    createFlags: [],
    async start(hosts, home) {
      const fake: FakeDigitalOcean = await startFakeDigitalOcean({ hosts, timings: { newMs: 200, actionMs: 50 } });
      return {
        env: () => cleanDoEnv(home, { DIGITALOCEAN_ACCESS_TOKEN: TOKEN, DIGITALOCEAN_API_URL: fake.url }),
        secret: TOKEN,
        serverRequested: () => fake.operations().includes('droplets_create'),
        close: () => fake.close(),
      };
    },
  },
  {
    driver: 'openstack',
    credentials: 'OS_PASSWORD',
    helpSecrets: { OS_PASSWORD: 'os-help-password-never-shown', OS_APPLICATION_CREDENTIAL_SECRET: 'os-help-appcred-secret-never-shown' },
    inspectField: 'Password',
    createFlags: OPENSTACK_CREATE_FLAGS,
    async start(hosts, home) {
      const fake: FakeOpenStack = await startFakeOpenStack({ hosts, timings: { buildMs: 200, actionMs: 50, deleteMs: 50 } });
      return {
        env: () =>
          cleanOsEnv(home, {
            OS_AUTH_URL: fake.authUrl,
            OS_USERNAME: DEMO.username,
            OS_PASSWORD: DEMO.password,
            OS_TENANT_NAME: DEMO.project,
            OS_DOMAIN_NAME: DEMO.domain,
            OS_REGION_NAME: fake.region,
          }),
        secret: DEMO.password,
        serverRequested: () => fake.requests().some((r) => r.method === 'POST' && /\/servers$/.test(new URL(r.url, 'http://x').pathname)),
        close: () => fake.close(),
      };
    },
  },
  {
    driver: 'openstack',
    credentials: 'OS_APPLICATION_CREDENTIAL_SECRET',
    helpSecrets: {},
    inspectField: 'ApplicationCredentialSecret',
    createFlags: OPENSTACK_CREATE_FLAGS,
    async start(hosts, home) {
      const fake: FakeOpenStack = await startFakeOpenStack({ hosts, timings: { buildMs: 200, actionMs: 50, deleteMs: 50 } });
      // The demo user makes itself an application credential at Keystone, as with "openstack application credential create".
      const { token, body } = await fake.keystone.issueToken(DEMO.username, DEMO.password, DEMO.project);
      const userId = (body.user as { id: string }).id;
      const res = await fetch(`${fake.authUrl}/v3/users/${userId}/application_credentials`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-auth-token': token },
        body: JSON.stringify({ application_credential: { name: `machine-secrets-${Date.now()}` } }),
      });
      const text = await res.text();
      assert.equal(res.status, 201, text);
      const credential = (JSON.parse(text) as { application_credential: { id: string; secret: string } }).application_credential;
      return {
        env: () => cleanOsEnv(home, { OS_AUTH_URL: fake.authUrl, OS_APPLICATION_CREDENTIAL_ID: credential.id, OS_APPLICATION_CREDENTIAL_SECRET: credential.secret, OS_REGION_NAME: fake.region }),
        secret: credential.secret,
        serverRequested: () => fake.requests().some((r) => r.method === 'POST' && /\/servers$/.test(new URL(r.url, 'http://x').pathname)),
        close: async () => {
          await fetch(`${fake.authUrl}/v3/users/${userId}/application_credentials/${credential.id}`, { method: 'DELETE', headers: { 'x-auth-token': token } });
          await fake.close();
        },
      };
    },
  },
];

/** Every file under `dir`, recursively, with its text. */
function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!fs.existsSync(dir)) return files;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) for (const [f, t] of filesUnder(p)) files.set(path.join(ent.name, f), t);
    else if (ent.isFile()) files.set(ent.name, fs.readFileSync(p, 'latin1'));
  }
  return files;
}

async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const c of DRIVERS) {
  describe(`${c.driver} driver secrets, ${c.credentials} (e2e, local cloud with real hosts)`, function () {
    this.timeout(600_000);
    let tmp: string;
    let store: string;
    let home: string;
    let hosts: TestHostProvider;
    let cloud: Cloud;
    const name = `secret-${c.driver}-${c.inspectField.toLowerCase()}`;

    const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => cliEnv(store, { ...cloud.env(), ...extra });
    const machine = (args: string[], extra?: NodeJS.ProcessEnv): Promise<Result> => run(process.execPath, [CLI, ...args], { env: env(extra) });

    before(async () => {
      tmp = tempDir(`machine-e2e-secrets-${c.driver}-`);
      store = path.join(tmp, 'store');
      home = path.join(tmp, 'home');
      fs.mkdirSync(home);
      hosts = new TestHostProvider();
      cloud = await c.start(hosts, home);
    });

    after(async () => {
      if (store && fs.existsSync(path.join(store, 'machines', name))) await machine(['rm', '-f', name]);
      await cloud?.close();
      await hosts?.removeAll();
      fs.rmSync(tmp, { recursive: true, force: true });
    });

    if (Object.keys(c.helpSecrets).length) it(`create -d ${c.driver} --help with the secrets in the environment never prints them`, async () => {
      // Wide, so that no flag line is wrapped; and compared without any white space, so that no wrapping hides a value.
      const r = await machine(['create', '-d', c.driver, '--help'], { ...c.helpSecrets, OCLIF_COLUMNS: '400' });
      assert.equal(r.code, 0, explain(r));
      const unwrapped = (r.stdout + r.stderr).replace(/\s+/g, '');
      for (const [envVar, secret] of Object.entries(c.helpSecrets)) {
        assert.match(r.stdout, new RegExp(`\\[env: ${envVar}\\]`), `the help names ${envVar}`);
        assert.ok(!unwrapped.includes(secret), `the help shows the value of ${envVar}:\n${r.stdout}`);
      }
    });

    it('a --debug create, held while it makes the server: the lock records pid and command only; neither the debug output, the lock nor any other store file but config.json holds the secret', async () => {
      const args = ['--debug', 'create', '-d', c.driver, ...c.createFlags, name];
      const child = spawn(process.execPath, [CLI, ...args], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? 1)));
      let held: Map<string, string>;
      try {
        await until(() => cloud.serverRequested(), 'the cloud is asked for the server');
        // Held: the CLI stops with its lock taken, mid-create.
        child.kill('SIGSTOP');
        held = filesUnder(path.join(store, 'locks'));
      } finally {
        child.kill('SIGCONT');
      }
      const code = await exited;
      assert.equal(code, 0, explain({ code, stdout, stderr }));

      const holders = [...held].filter(([f]) => f.endsWith('.holder'));
      assert.ok(holders.length > 0, `a lock is held mid-create: ${[...held.keys()].join(', ')}`);
      for (const [file, text] of holders) {
        const record = JSON.parse(text) as Record<string, unknown>;
        assert.equal(record.pid, child.pid, `${file} names the CLI's pid`);
        assert.equal(record.command, 'create', `${file} names the command`);
      }
      for (const [file, text] of held) {
        assert.ok(!text.includes(cloud.secret), `the secret in the lock file ${file}`);
        for (const value of [name, ...c.createFlags.filter((f) => !f.startsWith('--'))]) {
          assert.ok(!text.includes(value), `the flag or argument value "${value}" in the lock file ${file}: ${text}`);
        }
      }
      assert.deepEqual([...filesUnder(path.join(store, 'locks')).keys()].filter((f) => f.includes('.lock')), [], 'the locks are gone when the command ends');

      // The machine's config.json keeps the credentials as the reference's did (inspect masks them); nothing else in the store holds the secret.
      const config = path.join('machines', name, 'config.json');
      for (const [file, text] of filesUnder(store)) if (file !== config) assert.ok(!text.includes(cloud.secret), `the secret in the store file ${file}`);

      assert.match(stderr, /\S/, 'the debug output is on stderr');
      assert.ok(!(stdout + stderr).includes(cloud.secret), 'the secret in the --debug output of create');
    });

    it(`inspect masks ${c.inspectField}; --debug inspect and rm do not print it`, async () => {
      const shown = await machine(['--debug', 'inspect', name]);
      assert.equal(shown.code, 0, explain(shown));
      assert.ok(!(shown.stdout + shown.stderr).includes(cloud.secret), 'inspect shows the secret');
      assert.match(shown.stdout, new RegExp(`"${c.inspectField}": "\\*+"`));
      const removed = await machine(['--debug', 'rm', '-y', name]);
      assert.equal(removed.code, 0, explain(removed));
      assert.ok(!(removed.stdout + removed.stderr).includes(cloud.secret), 'rm --debug shows the secret');
    });
  });
}
