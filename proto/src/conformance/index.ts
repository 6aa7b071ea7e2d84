// The driver conformance kit. In a mocha test file:
//
//   import { runConformance } from '@machine/driver-sdk/conformance';
//   runConformance('/path/to/machine-driver-mydriver', { createFlags: { 'mydriver-size': 's' } });
//
// It defines describe/it blocks that start the executable many times and
// check the protocol rules every driver must follow, whatever its language.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DriverClient, MachineCall } from '../client';
import { PROTOCOL_VERSIONS } from '../constants';
import { isDriverCallError } from '../errors';
import { launchDriver } from '../host';
import type { FlagSpec, FlagValues, MachineRef } from '../types';
import { RawDriver, describe as describeExit, descendants, isAlive, sleep } from './harness';

export interface ConformanceOptions {
  /** Driver name in titles and messages; default: the executable's name without "machine-driver-". */
  name?: string;
  args?: string[];
  /** Environment for every launch (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /**
   * Create flags for the cancellation check: the kit configures a machine
   * with them, starts Create, cancels it, and expects the machine not to
   * exist afterwards. Pick values that make Create take a while (or at least
   * send a progress event first). `false` leaves the check out, for drivers
   * that cannot create anything in the test environment. Default: {}.
   */
  createFlags?: FlagValues | false;
  /**
   * Create flags for a full lifecycle run (configure, pre-create check,
   * create, state, describe, SSH info, stop, start, restart, kill, remove).
   * Left out unless given, since it makes a real machine.
   */
  lifecycleFlags?: FlagValues;
  /** Upper bound for each wait (handshake, exit, cancellation) in ms; a hang guard, not a speed check. Default 30 s. */
  waitMs?: number;
}

const NAME_RE = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const ENV_RE = /^[A-Z_][A-Z0-9_]*$/;
/** Flags `machine create` itself owns (Docker Machine's engine, swarm and TLS options). */
const CORE_FLAG_RE = /^(driver|engine-.*|swarm(-.*)?|tls-san)$/;

/** A suite timeout of at least `ms`; 0 (no timeout) stays 0. */
function atLeast(current: number, ms: number): number {
  return current === 0 ? 0 : Math.max(current, ms);
}

/** Defines the conformance checks for one driver executable as mocha describe/it blocks. */
export function runConformance(executablePath: string, options: ConformanceOptions = {}): void {
  const name = options.name ?? path.basename(executablePath).replace(/^machine-driver-/, '').replace(/\.[a-z]+$/, '');
  const args = options.args ?? [];
  const waitMs = options.waitMs ?? 30_000;
  const env = () => options.env ?? process.env;
  const raw = (opts?: ConstructorParameters<typeof RawDriver>[3]) => new RawDriver(executablePath, args, env(), opts);
  const launch = (protocolVersions?: number[]) =>
    launchDriver({ name, path: executablePath, args, env: env(), startTimeoutMs: waitMs, protocolVersions });

  describe(`driver conformance: ${name} (${executablePath})`, function () {
    // Raise mocha's timeout to what the kit's own waits need, never lower it:
    // the runner's --timeout (0: none) is the user's to choose.
    this.timeout(atLeast(this.timeout(), waitMs * 3));
    const cleanup: Array<() => Promise<void>> = [];
    let store: string;
    const machineRef = (machine: string): MachineRef => ({ name: machine, storePath: store, machineDir: path.join(store, 'machines', machine) });

    before(() => {
      store = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-conformance-'));
      fs.mkdirSync(path.join(store, 'machines'));
    });
    afterEach(async () => {
      while (cleanup.length > 0) await (cleanup.pop() as () => Promise<void>)();
    });
    after(() => fs.rmSync(store, { recursive: true, force: true }));

    const track = <T extends { dispose?: () => Promise<void>; close?: () => Promise<void> }>(d: T): T => {
      cleanup.push(async () => {
        if (d.dispose) await d.dispose();
        else if (d.close) await d.close();
      });
      return d;
    };

    describe('handshake', () => {
      it('refuses to run without the magic cookie, explains why on stderr and exits non-zero', async () => {
        const d = track(raw({ cookie: false, lifeline: false }));
        d.child.stdin.end();
        assert.ok(await d.waitExit(waitMs), 'the driver kept running without the magic cookie');
        assert.notEqual(d.exit?.code, 0, 'exit status must be non-zero');
        assert.equal(d.stdout, '', 'nothing may be printed on stdout');
        assert.ok(d.stderr.trim().length > 0, 'stderr must explain that the binary is a plugin');
      });

      it('prints go-plugin\'s handshake line "1|<version>|unix|<socket>|grpc|" with the negotiated version', async () => {
        const d = track(raw({ versions: [...PROTOCOL_VERSIONS, 99].join(',') }));
        const line = await d.firstLine(waitMs);
        assert.ok(line !== undefined, `no handshake line; stderr:\n${d.stderr}`);
        const fields = line.split('|');
        assert.equal(fields[0], '1', 'core protocol version');
        assert.equal(fields[1], String(Math.max(...PROTOCOL_VERSIONS)), 'must pick the highest version both sides speak');
        assert.equal(fields[2], 'unix', 'a unix socket when PLUGIN_CLIENT_CERT is not set');
        assert.ok(
          fields[3].startsWith(d.socketBase + path.sep),
          `the socket ${fields[3]} must be inside PLUGIN_UNIX_SOCKET_DIR (${d.socketBase}); an older go-plugin (Debian 12 has 1.0.1) ignores it: set TMPDIR to it before plugin.Serve`,
        );
        assert.equal(fields[4], 'grpc');
        const dir = path.dirname(fields[3]);
        if (dir !== d.socketBase) assert.equal(fs.statSync(dir).mode & 0o077, 0, `socket directory ${dir} must not be accessible to others`);
      });

      it('with no common protocol version, fails with an error naming both sides\' versions', async () => {
        let err: unknown;
        let pid: number | undefined;
        try {
          const client = await launch([99]);
          pid = client.pid;
          await client.close();
        } catch (e) {
          err = e;
        }
        assert.ok(isDriverCallError(err), `expected the launch to fail, got ${String(err)}${pid ? ` (pid ${pid})` : ''}`);
        const text = `${err.message}\n${err.stderrTail.join('\n')}`;
        assert.match(text, /\b99\b/, 'the error must name the host\'s versions');
        assert.match(text, new RegExp(`\\b${PROTOCOL_VERSIONS[0]}\\b`), 'the error must name the driver\'s versions');
      });
    });

    describe('metadata, schema and health', () => {
      let client: DriverClient;
      let flags: FlagSpec[];
      before(async () => {
        client = await launch();
        flags = await client.schema();
      });
      after(async () => client?.close());

      it('answers GetMetadata with a name, a version and the protocol versions it speaks', () => {
        const md = client.metadata;
        assert.ok(NAME_RE.test(md.name), `name ${JSON.stringify(md.name)} must be lower-case words joined by dashes`);
        assert.ok(md.version.trim().length > 0, 'version must not be empty');
        assert.ok(md.protocolVersions.includes(1), `protocol_versions ${JSON.stringify(md.protocolVersions)} must include 1`);
        assert.ok(md.stateVersion >= 0, 'state_version must not be negative');
        for (const c of md.capabilities) assert.ok(NAME_RE.test(c), `capability ${JSON.stringify(c)} must be lower-case words joined by dashes`);
      });

      it('declares a valid create-flag schema', () => {
        const seen = new Set<string>();
        const prefix = `${client.metadata.name}-`;
        for (const f of flags) {
          assert.ok(NAME_RE.test(f.name), `flag name ${JSON.stringify(f.name)} must be lower-case words joined by dashes, without leading dashes`);
          // The driver-name prefix is the convention, but Docker Machine's own
          // drivers have exceptions (none's --url), so only clashes with the
          // core's create flags are errors.
          assert.ok(!CORE_FLAG_RE.test(f.name), `flag ${f.name} clashes with the core's create flags; prefix it with "${prefix}"`);
          assert.ok(!seen.has(f.name), `flag ${f.name} is declared twice`);
          seen.add(f.name);
          assert.ok(f.description.trim().length > 0, `flag ${f.name} needs a description`);
          if (f.envVar !== undefined) assert.ok(ENV_RE.test(f.envVar), `flag ${f.name}: env var ${JSON.stringify(f.envVar)} must be UPPER_SNAKE_CASE`);
          if (f.default !== undefined) {
            const ok =
              (f.type === 'string' && typeof f.default === 'string') ||
              (f.type === 'int' && typeof f.default === 'number') ||
              (f.type === 'bool' && typeof f.default === 'boolean') ||
              (f.type === 'string-list' && Array.isArray(f.default));
            assert.ok(ok, `flag ${f.name}: default ${JSON.stringify(f.default)} does not match type ${f.type}`);
          }
          if (f.required && f.default !== undefined && f.default !== '' && !(Array.isArray(f.default) && f.default.length === 0)) {
            assert.fail(`flag ${f.name} is required but has a default; one of the two is wrong`);
          }
        }
      });

      it('reports SERVING on grpc.health.v1 for "plugin" and ""', async () => {
        const d = track(raw());
        const hs = await d.handshake(waitMs);
        assert.equal(await d.health(hs, 'plugin'), 'SERVING');
        assert.equal(await d.health(hs, ''), 'SERVING');
      });
    });

    describe('unknown machines', () => {
      // "Unknown machine": a machine whose driver state is {} (never configured
      // or created) and whose machine directory does not exist. Every driver
      // can tell that nothing exists for it without calling anything remote.
      let client: DriverClient;
      let call: MachineCall;
      before(async () => {
        client = await launch();
        call = { machine: machineRef(`conformance-unknown-${process.pid}`), state: {}, stateVersion: 0 };
      });
      after(async () => client?.close());

      const rule =
        'An unknown machine (driver state {}, never configured or created) must read as not found: ' +
        'answer "Not Found" when the state lacks what identifies the resource (an ID, an address, a URL).';
      it('GetState answers NOT_FOUND or the state "Not Found"', async () => {
        try {
          const state = await client.getState(call);
          assert.equal(state, 'Not Found', `GetState for an unknown machine said ${JSON.stringify(state)}. ${rule}`);
        } catch (err) {
          assert.ok(isDriverCallError(err), String(err));
          assert.equal(err.code, 'not-found', `GetState for an unknown machine failed with ${err.code}: ${err.message}`);
        }
      });

      it('Describe reports it per field instead of failing the call', async () => {
        const d = await client.describe(call);
        assert.ok(d.state === 'Not Found' || (d.stateError ?? '') !== '', `Describe gave ${JSON.stringify(d)}. ${rule}`);
      });

      it('Remove succeeds when there is nothing to remove', async () => {
        const res = await client.remove(call);
        assert.ok(Array.isArray(res.warnings));
      });
    });

    if (options.createFlags !== false) {
      const createFlags = options.createFlags ?? {};
      describe('cancellation', () => {
        it('a cancelled Create ends with CANCELLED, undoes its work and leaves the driver serving', async () => {
          const client = track(await launch());
          const machine = machineRef(`conformance-cancel-${process.pid}`);
          fs.mkdirSync(machine.machineDir, { recursive: true });
          let configured;
          try {
            configured = await client.configure(machine, createFlags);
          } catch (err) {
            assert.fail(`Configure failed, so there is nothing to cancel: ${String(err)}\nPass createFlags to runConformance (or false to leave this check out).`);
          }
          const call: MachineCall = { machine, state: configured.state, stateVersion: configured.stateVersion };
          const ac = new AbortController();
          // Cancel on the first progress event, or soon after the call started.
          const timer = setTimeout(() => ac.abort(), 300);
          let outcome: unknown;
          try {
            await client.create(call, { signal: ac.signal, onProgress: () => ac.abort(), timeoutMs: waitMs });
            outcome = 'completed';
          } catch (err) {
            outcome = err;
          } finally {
            clearTimeout(timer);
          }
          if (outcome === 'completed') {
            // An instant Create (the none driver, which only records a URL)
            // finished before the cancel could reach it: there was nothing to
            // cancel. What it made is removed, and the driver keeps serving.
            await client.remove(call, { timeoutMs: waitMs });
            assert.ok(Array.isArray(await client.schema({ timeoutMs: waitMs })));
            return;
          }
          assert.ok(isDriverCallError(outcome), String(outcome));
          assert.equal(outcome.code, 'cancelled', `a cancelled Create must end with CANCELLED, got ${outcome.code}: ${outcome.message}`);
          // The driver undoes its work after the host stopped waiting; poll for the result.
          const deadline = Date.now() + waitMs;
          let last = '';
          for (;;) {
            try {
              last = await client.getState(call);
            } catch (err) {
              last = isDriverCallError(err) ? err.code : String(err);
            }
            if (last === 'Not Found' || last === 'not-found' || Date.now() > deadline) break;
            await sleep(200);
          }
          await client.remove(call).catch(() => undefined);
          assert.ok(last === 'Not Found' || last === 'not-found', `after a cancelled Create the machine must not exist, GetState says ${last}`);
          // Still serving after the cancellation.
          assert.ok(Array.isArray(await client.schema({ timeoutMs: waitMs })));
        });
      });
    }

    if (options.lifecycleFlags) {
      const lifecycleFlags = options.lifecycleFlags;
      describe('lifecycle', function () {
        // Create, stop, start and restart may each take up to 10 × waitMs.
        this.timeout(atLeast(this.timeout(), waitMs * 45));
        it('creates, reports, stops, starts, restarts, kills and removes a machine', async () => {
          const client = track(await launch());
          const machine = machineRef(`conformance-life-${process.pid}`);
          fs.mkdirSync(machine.machineDir, { recursive: true });
          const configured = await client.configure(machine, lifecycleFlags);
          assert.equal(typeof configured.state, 'object');
          let call: MachineCall = { machine, state: configured.state, stateVersion: configured.stateVersion };
          let removed = false;
          // Runs before the client is closed (cleanups run last in, first
          // out), even when mocha gives up on the test: no machine is left.
          cleanup.push(async () => {
            if (!removed) await client.remove(call, { timeoutMs: waitMs * 10 }).catch(() => undefined);
          });
          const update = (o: { state?: MachineCall['state']; stateVersion?: number }) => {
            if (o.state) call = { ...call, state: o.state, stateVersion: o.stateVersion ?? call.stateVersion };
          };
          await client.preCreateCheck(call);
          const progress: string[] = [];
          try {
            update(await client.create(call, { onProgress: (m) => progress.push(m), timeoutMs: waitMs * 10 }));
            assert.equal(await client.getState(call), 'Running', 'GetState right after Create');
            const d = await client.describe(call);
            assert.equal(d.state, 'Running');
            assert.ok(d.ip, `Describe of a running machine has no IP: ${JSON.stringify(d)}`);
            assert.equal(await client.getIP(call), d.ip);
            assert.equal(await client.getURL(call), d.url);
            const ssh = await client.getSSHInfo(call);
            assert.ok(ssh.host && ssh.port > 0 && ssh.user, `GetSSHInfo: ${JSON.stringify(ssh)}`);
            update(await client.stop(call, { timeoutMs: waitMs * 10 }));
            assert.equal(await client.getState(call), 'Stopped', 'GetState after Stop');
            assert.equal(await client.getURL(call), '', 'GetURL of a stopped machine');
            update(await client.start(call, { timeoutMs: waitMs * 10 }));
            assert.equal(await client.getState(call), 'Running', 'GetState after Start');
            update(await client.restart(call, { timeoutMs: waitMs * 10 }));
            assert.equal(await client.getState(call), 'Running', 'GetState after Restart');
            update(await client.kill(call));
            assert.equal(await client.getState(call), 'Stopped', 'GetState after Kill');
          } finally {
            await client.remove(call);
            removed = true;
          }
          const gone = await client.getState(call).catch((err: unknown) => (isDriverCallError(err) ? err.code : String(err)));
          assert.ok(gone === 'Not Found' || gone === 'not-found', `GetState after Remove: ${gone}`);
        });
      });
    }

    describe('process hygiene', () => {
      it('writes nothing but the handshake line on stdout', async () => {
        const d = track(raw());
        const hs = await d.handshake(waitMs);
        const client = track(await launch());
        const call: MachineCall = { machine: machineRef('conformance-stdout'), state: {}, stateVersion: 0 };
        await client.schema();
        await client.describe(call);
        await client.getState(call).catch(() => undefined);
        await client.configure(call.machine, {}).catch(() => undefined);
        await d.health(hs, 'plugin');
        await d.shutdown(hs);
        assert.ok(await d.waitExit(waitMs), 'the driver must exit after Shutdown');
        assert.equal(d.stdout.split('\n').filter((l) => l !== '').length, 1, `stdout had more than the handshake line:\n${d.stdout}`);
      });

      it('exits after the Shutdown call and leaves no process and no socket behind', async () => {
        const d = track(raw());
        const hs = await d.handshake(waitMs);
        const pid = d.pid;
        await d.health(hs, 'plugin');
        const tree = descendants(pid);
        await d.shutdown(hs);
        assert.ok(await d.waitExit(waitMs), `the driver (pid ${pid}) kept running after Shutdown`);
        await sleep(100);
        const left = [pid, ...tree].filter(isAlive);
        assert.deepEqual(left, [], 'processes left behind');
        assert.deepEqual(d.socketsLeft(), [], 'socket files left behind');
      });

      // A host killed outright (SIGKILL, OOM) closes the driver's stdin and
      // can clean up nothing: whatever the driver leaves then stays.
      it('exits when the host goes away (stdin closed) and leaves no process and no socket behind', async () => {
        const d = track(raw());
        const hs = await d.handshake(waitMs);
        const pid = d.pid;
        await d.health(hs, 'plugin');
        const tree = descendants(pid);
        d.child.stdin.end();
        assert.ok(
          await d.waitExit(waitMs),
          'the driver kept running after its stdin closed (MACHINE_PLUGIN_LIFELINE=stdin); go-plugin does not read stdin, so a Go driver needs its own lifeline (docs/driver-protocol.md)',
        );
        await sleep(100);
        assert.deepEqual([pid, ...tree].filter(isAlive), [], 'processes left behind');
        assert.deepEqual(d.socketsLeft(), [], 'socket files left behind: stop serving (which removes the socket) before exiting on stdin EOF');
      });

      it('close() through the host leaves no process', async () => {
        const client = await launch();
        const pid = client.pid;
        const tree = descendants(pid);
        assert.ok(isAlive(pid));
        await client.close();
        await sleep(100);
        assert.deepEqual([pid, ...tree].filter(isAlive), [], 'processes left behind');
      });

      it('survives SIGINT (Ctrl-C reaches the whole process group; the host decides when drivers stop)', async () => {
        const d = track(raw());
        const hs = await d.handshake(waitMs);
        d.child.kill('SIGINT');
        await sleep(300);
        assert.equal(d.exit, undefined, `the driver exited on SIGINT (${d.exit ? describeExit(d.exit) : ''})`);
        assert.equal(await d.health(hs, 'plugin'), 'SERVING');
      });
    });
  });
}
