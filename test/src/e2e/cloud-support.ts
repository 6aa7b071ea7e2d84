// What the end-to-end tests of the cloud drivers (amazonec2, digitalocean,
// openstack, virtualbox) share: the real CLI run as one user, the docker
// client through `machine env`, the rows of `machine ls`, waiting on a fake's
// state, and the check that no test host outlives the instance it stood for.
import { strict as assert } from 'node:assert';
import type { TestHostProvider } from '../hosts';
import { CLI, explain, run, type Result } from './generic-support';

/** Polls `check` every 100 ms until it holds; fails naming `what` after `ms`. */
export async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface CliUser {
  /** `machine ARGS` with the user's environment (plus `extra`). */
  machine(args: string[], extra?: NodeJS.ProcessEnv): Promise<Result>;
  /** The same, failing the test unless it exits 0. */
  ok(args: string[], extra?: NodeJS.ProcessEnv): Promise<Result>;
  /** The docker client against a machine, with the variables `machine env` prints; its trimmed output. */
  docker(name: string, args: string[]): Promise<string>;
  /** `machine ls` as rows of columns, by machine name. */
  rows(): Promise<Map<string, string[]>>;
}

/** The real CLI as a user with this environment runs it. */
export function cliUser(env: (extra?: NodeJS.ProcessEnv) => NodeJS.ProcessEnv): CliUser {
  const machine = (args: string[], extra?: NodeJS.ProcessEnv) => run(process.execPath, [CLI, ...args], { env: env(extra) });
  const ok = async (args: string[], extra?: NodeJS.ProcessEnv) => {
    const r = await machine(args, extra);
    assert.equal(r.code, 0, `machine ${args.join(' ')} failed: ${explain(r)}`);
    return r;
  };
  return {
    machine,
    ok,
    async docker(name, args) {
      const printed = (await ok(['env', name])).stdout;
      const vars: NodeJS.ProcessEnv = {};
      for (const m of printed.matchAll(/^export ([A-Z_]+)="([^"]*)"$/gm)) vars[m[1]] = m[2];
      assert.ok(vars.DOCKER_HOST, printed);
      const r = await run('docker', args, { env: { ...env(), ...vars }, timeoutMs: 120_000 });
      assert.equal(r.code, 0, `docker ${args.join(' ')} on ${name}: ${explain(r)}`);
      return r.stdout.trim();
    },
    async rows() {
      const lines = (await ok(['ls'])).stdout.trim().split('\n');
      return new Map(lines.slice(1).map((l) => [l.trim().split(/\s+/)[0], l.trim().split(/\s+/)]));
    },
  };
}

/** No test host of the provider still exists: each stood for an instance that is gone. */
export async function assertHostsGone(hosts: TestHostProvider, what: string): Promise<void> {
  for (const h of hosts.hosts) {
    const r = await run('docker', ['inspect', '--format', '{{.Id}}', h.containerId], { env: process.env });
    assert.notEqual(r.code, 0, `the host ${h.name} behind a ${what} still exists`);
  }
}
