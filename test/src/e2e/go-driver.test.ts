// A third-party driver written in Go (test/fixtures/go-driver: go-plugin in
// gRPC mode and protoc's Go code, from Debian's packages), end to end with
// the real CLI: the conformance kit passes against it, `machine create`
// provisions a real test host through it and the docker client runs a
// container there. Then what go-plugin drivers do to a host killed outright:
// the kit catches a driver that leaves its socket, and the next command
// ends a driver that outlived its CLI (SIGKILL) and removes its socket.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startHost, type TestHost } from '../hosts';
import { goDriver } from '../fixtures/go-driver';
import { busyboxTarball, CLI, explain, LOCAL_IMAGE, Sandbox } from './generic-support';

/** Live pids whose executable is `exe`'s file name, among the sandbox's processes. */
function driverProcesses(sb: Sandbox, exeName: string): number[] {
  return sb.processes().filter((pid) => {
    try {
      return path.basename(fs.readlinkSync(`/proc/${pid}/exe`)) === exeName;
    } catch {
      return false;
    }
  });
}

function isSocket(file: string): boolean {
  try {
    return fs.lstatSync(file).isSocket();
  } catch {
    return false;
  }
}

describe('a Go driver (go-plugin from Debian), end to end', function () {
  this.timeout(600_000);
  const sb = new Sandbox();
  const driverDir = path.join(sb.dir, 'drivers');
  let env: NodeJS.ProcessEnv;
  let gohost: string;
  let host: TestHost;
  let tarball: string;

  /** Installs a built driver where the core looks first: a MACHINE_DRIVER_PATH directory, as machine-driver-NAME. */
  function install(exe: string): string {
    const target = path.join(driverDir, path.basename(exe));
    fs.copyFileSync(exe, target);
    fs.chmodSync(target, 0o755);
    return target;
  }

  before(async () => {
    fs.mkdirSync(driverDir, { recursive: true });
    env = { MACHINE_DRIVER_PATH: driverDir };
    // Built once per source; later runs take it from test/.cache.
    gohost = install(goDriver());
    [host, tarball] = await Promise.all([startHost({ flavour: 'docker' }), busyboxTarball(sb.dir)]);
  });

  after(async () => {
    await host?.remove();
    sb.cleanup();
  });

  it('passes the conformance kit, run by `machine driver test`, with the cancellation check against a real host', async () => {
    const r = await sb.cli(
      ['driver', 'test', gohost, '--create-flag', `gohost-ip-address=${host.ip}`, '--create-flag', `gohost-ssh-key=${host.privateKeyPath}`, '--create-flag', `gohost-ssh-user=${host.user}`],
      { env },
    );
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout + r.stderr, /a cancelled Create ends with CANCELLED/);
    assert.match(r.stdout + r.stderr, /leaves no process and no socket behind/);
    assert.doesNotMatch(r.stdout + r.stderr, /\d+ failing/);
  });

  describe('a machine made through it', () => {
    const name = 'go-e2e';

    after(async () => {
      await sb.cli(['rm', '-f', name], { env });
    });

    it('is listed by driver ls from MACHINE_DRIVER_PATH, with its flags in create --help', async () => {
      const ls = await sb.ok(['driver', 'ls'], { env });
      const row = ls.stdout.split('\n').find((l) => /^gohost\b/.test(l));
      assert.ok(row, `driver ls lists gohost:\n${ls.stdout}`);
      const help = await sb.ok(['create', '-d', 'gohost', '--help'], { env });
      assert.match(help.stdout, /--gohost-ip-address/);
      assert.match(help.stdout, /--gohost-ssh-key/);
    });

    it('creates and provisions a real host over SSH, as the driver\'s metadata asks', async () => {
      const r = await sb.ok(
        ['create', '-d', 'gohost', '--gohost-ip-address', host.ip, '--gohost-ssh-user', host.user, '--gohost-ssh-key', host.privateKeyPath, '--json', name],
        { env },
      );
      const out = JSON.parse(r.stdout) as { URL: string; IP: string; DockerVersion: string };
      assert.equal(out.IP, host.ip);
      assert.equal(out.URL, `tcp://${host.ip}:2376`);
      assert.ok(out.DockerVersion, 'the engine answered with its version');
      assert.match(r.stderr, /\(go-e2e\) Waiting for SSH on/);
      assert.match(r.stderr, /Docker is up and running!/);
      const config = JSON.parse(fs.readFileSync(path.join(sb.store, 'machines', name, 'config.json'), 'utf8'));
      assert.equal(config.DriverName, 'gohost');
      assert.equal(config.Driver.IPAddress, host.ip);
      assert.equal(fs.statSync(path.join(sb.store, 'machines', name, 'id_rsa')).mode & 0o777, 0o600);
    });

    it('serves `docker run` through eval $(machine env), and ls shows it Running', async () => {
      const vars = await sb.dockerEnv(name);
      assert.equal(vars.DOCKER_HOST, `tcp://${host.ip}:2376`);
      const imported = await sb.docker(name, ['import', tarball, LOCAL_IMAGE]);
      assert.equal(imported.code, 0, explain(imported));
      const r = await sb.docker(name, ['run', '--rm', LOCAL_IMAGE, '/bin/echo', 'hello from a Go driver']);
      assert.equal(r.code, 0, explain(r));
      assert.equal(r.stdout.trim(), 'hello from a Go driver');
      const ls = await sb.ok(['ls'], { env });
      const row = ls.stdout.split('\n').find((l) => l.startsWith(`${name} `));
      assert.ok(row && /\bgohost\b/.test(row) && /\bRunning\b/.test(row), `ls:\n${ls.stdout}`);
    });

    it('is removed, and no driver process is left', async () => {
      await sb.ok(['rm', '-y', name], { env });
      assert.deepEqual(sb.machines(), []);
      assert.deepEqual(await sb.leftoverProcesses(), []);
    });
  });

  describe('when the host is killed outright', () => {
    it('the kit fails a go-plugin driver that exits on stdin EOF leaving /tmp/pluginNNN, and one that ignores EOF', async () => {
      const before = new Set(fs.readdirSync(os.tmpdir()));
      const leaky = await sb.cli(['driver', 'test', goDriver({ name: 'goleaky', lifeline: 'exit' }), '--wait-ms', '5000'], { env });
      assert.equal(leaky.code, 1, explain(leaky));
      assert.match(leaky.stdout + leaky.stderr, /socket files left behind[^\n]*[\s\S]*?\/plugin\d+/);
      const deaf = await sb.cli(['driver', 'test', goDriver({ name: 'godeaf', lifeline: 'ignore' }), '--wait-ms', '5000'], { env });
      assert.equal(deaf.code, 1, explain(deaf));
      assert.match(deaf.stdout + deaf.stderr, /kept running after its stdin closed/);
      // The kit itself cleans up after the drivers it failed.
      const sockets = fs.readdirSync(os.tmpdir()).filter((f) => !before.has(f) && /^plugin\d+$/.test(f) && isSocket(path.join(os.tmpdir(), f)));
      assert.deepEqual(sockets, [], 'the kit left sockets behind');
    });

    describe('during a call to a go-plugin driver without a lifeline', () => {
      const name = 'go-orphan';
      // Accepts connections and never greets, like a host whose sshd is still starting: Create keeps waiting.
      const silent = net.createServer(() => undefined);
      const held: net.Socket[] = [];
      let cli: ChildProcess | undefined;

      before(async () => {
        install(goDriver({ name: 'gonaive', lifeline: 'ignore' }));
        silent.on('connection', (s) => held.push(s));
        await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      });

      after(async () => {
        cli?.kill('SIGKILL');
        await sb.cli(['rm', '-f', name], { env });
        for (const s of held) s.destroy();
        await new Promise((resolve) => silent.close(resolve));
      });

      it('SIGKILL to the CLI leaves the driver and its socket, and the next command ends the one and removes the other', async () => {
        const port = (silent.address() as net.AddressInfo).port;
        const child = spawn(
          process.execPath,
          [CLI, 'create', '-d', 'gonaive', '--gonaive-ip-address', '127.0.0.1', '--gonaive-ssh-port', String(port), '--gonaive-ssh-key', host.privateKeyPath, name],
          { env: sb.env(env), stdio: ['ignore', 'pipe', 'pipe'] },
        );
        cli = child;
        let output = '';
        child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
        const exited = new Promise((resolve) => child.once('exit', resolve));

        // In the middle of Create: the driver reported that it waits for SSH.
        const deadline = Date.now() + 60_000;
        while (!/Waiting for SSH on/.test(output)) {
          assert.ok(Date.now() < deadline && child.exitCode === null, `create never reached the wait:\n${output}`);
          await delay(100);
        }
        const [driverPid] = driverProcesses(sb, 'machine-driver-gonaive');
        assert.ok(driverPid, 'the driver runs');
        // The CLI recorded the launch: driver, socket directory, and the socket old go-plugin makes in the temp directory.
        const runDir = path.join(os.tmpdir(), `machine-launches-${process.getuid?.() ?? 0}`);
        const recordFile = path.join(runDir, `${child.pid}-${driverPid}.json`);
        const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as { dir: string; socket?: string };
        const socket = record.socket;
        assert.ok(socket && socket.startsWith(path.join(os.tmpdir(), 'plugin')), `old go-plugin puts its socket in the temp directory: ${String(socket)}`);

        child.kill('SIGKILL');
        await exited;
        // What go-plugin does without a lifeline: it runs on, orphaned (or
        // dies at its next log line, SIGPIPE), and its socket stays. Not
        // asserted: any other launch on this machine (the other test lane)
        // may sweep it first, which is the behaviour under test as well.

        // The next command that launches a driver cleans up (if no other launch did).
        const ls = await sb.cli(['ls'], { env });
        assert.equal(ls.code, 0, explain(ls));
        assert.ok(ls.stdout.includes(name), `ls:\n${ls.stdout}`);
        assert.deepEqual(await sb.leftoverProcesses(), [], 'processes left after the next command');
        assert.equal(isSocket(socket), false, `${socket} is still there`);
        assert.equal(fs.existsSync(record.dir), false, 'the socket directory is still there');
        assert.equal(fs.existsSync(recordFile), false, 'the launch record is still there');
      });
    });
  });
});
