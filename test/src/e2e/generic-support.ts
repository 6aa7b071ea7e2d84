// Shared by generic*.test.ts and faults*.test.ts: the real CLI against a
// temporary store, the docker client pointed at a machine, a locally built
// one-binary image, and a census of the processes a run leaves behind.
import { spawn, type ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');
export const CLI = path.join(ROOT, 'cli/bin/run.js');
export const LOCAL_IMAGE = 'e2e-generic/busybox:latest';

import { run, type Result, type RunOptions } from '../support/run';

export { run, type Result, type RunOptions };

export function explain(r: Result): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/**
 * The environment of a user with no machine selected, on the given store:
 * whatever the test process inherited must not point docker or the CLI
 * elsewhere. Variables given in `extra` are kept.
 */
export function cliEnv(store: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MACHINE_STORAGE_PATH: store, SHELL: '/bin/bash', ...extra };
  for (const k of ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'DOCKER_MACHINE_NAME', 'MACHINE_DRIVER', 'MACHINE_DEBUG']) {
    if (!(k in extra)) delete env[k];
  }
  return env;
}

/**
 * A temporary store and an environment for the CLI. Every process the CLI
 * starts inherits MACHINE_E2E_TAG, so the processes a run leaves can be
 * counted even when other test runs share the machine.
 */
export class Sandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-generic-e2e-'));
  readonly store = path.join(this.dir, 'store');
  readonly tag = crypto.randomBytes(6).toString('hex');

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return cliEnv(this.store, { MACHINE_E2E_TAG: this.tag, ...extra });
  }

  cli(args: string[], opts: RunOptions = {}): Promise<Result> {
    return run(process.execPath, [CLI, ...args], { ...opts, env: this.env(opts.env) });
  }

  async ok(args: string[], opts: RunOptions = {}): Promise<Result> {
    const r = await this.cli(args, opts);
    if (r.code !== 0) throw new Error(`machine ${args.join(' ')} failed: ${explain(r)}`);
    return r;
  }

  /** Starts the CLI without waiting, for interrupting it. */
  spawnCli(args: string[]): ChildProcess & { output(): string } {
    const child = spawn(process.execPath, [CLI, ...args], { env: this.env(), stdio: ['ignore', 'pipe', 'pipe'] }) as ChildProcess & { output(): string };
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    child.output = () => out;
    return child;
  }

  /** DOCKER_* variables from `eval $(machine env NAME)` in bash. */
  async dockerEnv(name: string): Promise<NodeJS.ProcessEnv> {
    const r = await run('bash', ['-c', `eval "$(node '${CLI}' env ${name})" && env | grep '^DOCKER_'`], { env: this.env() });
    if (r.code !== 0) throw new Error(`eval $(machine env ${name}) failed: ${explain(r)}`);
    const vars: NodeJS.ProcessEnv = {};
    for (const line of r.stdout.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) vars[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return vars;
  }

  /** Runs the docker client against the machine, as after `eval $(machine env NAME)`. */
  async docker(name: string, args: string[], input?: string): Promise<Result> {
    return run('docker', args, { env: { ...this.env(), ...(await this.dockerEnv(name)) }, input });
  }

  /** Live processes started by this sandbox's CLI runs (drivers included). */
  processes(): number[] {
    const pids: number[] = [];
    for (const ent of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(ent) || Number(ent) === process.pid) continue;
      try {
        const environ = fs.readFileSync(`/proc/${ent}/environ`, 'latin1');
        if (!environ.includes(`MACHINE_E2E_TAG=${this.tag}`)) continue;
        const stat = fs.readFileSync(`/proc/${ent}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
        pids.push(Number(ent));
      } catch {
        // gone, or not ours to read
      }
    }
    return pids;
  }

  /** Waits briefly for stragglers to exit, then returns the ones left. */
  async leftoverProcesses(waitMs = 5000): Promise<string[]> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const pids = this.processes();
      if (!pids.length || Date.now() > deadline) {
        return pids.map((p) => {
          try {
            return `${p}: ${fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')}`;
          } catch {
            return String(p);
          }
        });
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Problems with the store: machine directories without a readable
   * config.json, temporary files, and lock files.
   */
  storeProblems(): string[] {
    const problems: string[] = [];
    const machines = path.join(this.store, 'machines');
    if (fs.existsSync(machines)) {
      for (const name of fs.readdirSync(machines)) {
        const dir = path.join(machines, name);
        for (const f of fs.readdirSync(dir)) if (f.includes('.tmp')) problems.push(`temporary file ${name}/${f}`);
        try {
          JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
        } catch (err) {
          problems.push(`${name}/config.json: ${(err as Error).message}`);
        }
      }
    }
    const locks = path.join(this.store, 'locks');
    if (fs.existsSync(locks)) for (const f of fs.readdirSync(locks)) if (f.endsWith('.lock')) problems.push(`lock left: ${f}`);
    return problems;
  }

  machines(): string[] {
    const machines = path.join(this.store, 'machines');
    return fs.existsSync(machines) ? fs.readdirSync(machines).filter((n) => !n.startsWith('.')).sort() : [];
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A root filesystem holding the host's static busybox, as a tarball for `docker import`. */
export function busyboxTarball(dir: string): Promise<string> {
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  if (!fs.existsSync('/bin/busybox')) throw new Error('/bin/busybox is missing: install busybox-static (scripts/setup-host.sh does)');
  fs.copyFileSync('/bin/busybox', path.join(rootfs, 'bin/busybox'));
  fs.chmodSync(path.join(rootfs, 'bin/busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'sleep']) fs.symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  const tarball = path.join(dir, 'busybox.tar');
  return run('tar', ['-C', rootfs, '--numeric-owner', '-cf', tarball, '.']).then((r) => {
    if (r.code !== 0) throw new Error(`tar failed: ${explain(r)}`);
    return tarball;
  });
}

/** The create flags that register a test host with the generic driver. */
export function genericFlags(host: { ip: string; user: string; privateKeyPath: string }): string[] {
  return ['-d', 'generic', '--generic-ip-address', host.ip, '--generic-ssh-user', host.user, '--generic-ssh-key', host.privateKeyPath];
}
