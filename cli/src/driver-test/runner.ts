/**
 * `machine driver test PATH|NAME`: the SDK's conformance kit as a command.
 * The kit is a set of mocha describe/it blocks, so this runs mocha in
 * process with the kit as its only "file".
 *
 *   const failures = await testDriver({ target, createFlags, lifecycleFlags, waitMs, out })
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FlagSpec, FlagValues } from '@machine/driver-sdk';
import { MachineError } from '../errors';
import { findDriver, type DiscoveryOptions } from '../discovery/discover';

export interface DriverTestRequest extends DiscoveryOptions {
  /** An executable's path, or a driver name found as `machine create -d` would. */
  target: string;
  /** KEY=VALUE create flags for the cancellation check; none leaves the check out. */
  createFlags: string[];
  /** KEY=VALUE create flags for a full lifecycle run; none leaves it out (it makes a real machine). */
  lifecycleFlags: string[];
  waitMs?: number;
  /** mocha reporter (default "spec"). */
  reporter?: string;
}

export function resolveTarget(target: string, options: DiscoveryOptions): { name: string; path: string; installed?: boolean } {
  if (target.includes('/') || fs.existsSync(target)) {
    const abs = path.resolve(target);
    try {
      fs.accessSync(abs, fs.constants.X_OK);
    } catch {
      throw new MachineError('usage', `${abs} is not an executable file`);
    }
    return { name: path.basename(abs).replace(/^machine-driver-/, '').replace(/\.[a-z]+$/, ''), path: abs };
  }
  const loc = findDriver(target, options);
  return { name: loc.name, path: loc.path, installed: loc.source === 'installed' };
}

/** KEY=VALUE words typed by the schema: ints and bools converted, repeated string-list keys collected. */
export function typedFlags(words: string[], schema: FlagSpec[]): FlagValues {
  const out: FlagValues = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new MachineError('usage', `"${word}" is not KEY=VALUE (a create flag of the driver without dashes, e.g. region=local)`);
    const key = word.slice(0, eq).replace(/^-+/, '');
    const raw = word.slice(eq + 1);
    const spec = schema.find((f) => f.name === key);
    if (!spec) throw new MachineError('usage', `the driver has no create flag "${key}"; it has: ${schema.map((f) => f.name).join(', ') || 'none'}`);
    if (spec.type === 'int') {
      if (!/^-?\d+$/.test(raw)) throw new MachineError('usage', `--${key} takes an integer, not "${raw}"`);
      out[key] = Number(raw);
    } else if (spec.type === 'bool') {
      out[key] = raw === '' || raw === 'true' || raw === '1';
    } else if (spec.type === 'string-list') {
      const prev = out[key];
      out[key] = [...(Array.isArray(prev) ? prev : []), raw];
    } else {
      out[key] = raw;
    }
  }
  return out;
}

/** Runs the kit; resolves with the number of failed checks. */
export async function testDriver(req: DriverTestRequest): Promise<number> {
  const driver = resolveTarget(req.target, req);
  // By name, an installed driver is checked as before any launch; a path is tested as the file it is.
  if (driver.installed) await (await import('../discovery/installed')).verifyInstalledDriver({ ...driver, source: 'installed' });
  const { launchDriver } = await import('@machine/driver-sdk/host');
  const client = await launchDriver({ name: driver.name, path: driver.path, env: req.env });
  let schema: FlagSpec[];
  try {
    schema = await client.schema({ timeoutMs: 30_000 });
  } finally {
    await client.close();
  }
  const createFlags = req.createFlags.length ? typedFlags(req.createFlags, schema) : false;
  const lifecycleFlags = req.lifecycleFlags.length ? typedFlags(req.lifecycleFlags, schema) : undefined;

  // mocha is loaded here only: no other command pays for it.
  const { default: Mocha } = await import('mocha');
  const { runConformance } = await import('@machine/driver-sdk/conformance');
  const mocha = new Mocha({ reporter: req.reporter ?? 'spec', timeout: 0 });
  // What mocha does before requiring a spec file: define describe/it/before… as globals.
  mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, driver.path, mocha);
  runConformance(driver.path, { name: driver.name, env: req.env, createFlags, lifecycleFlags, waitMs: req.waitMs });
  mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_POST_REQUIRE, globalThis, driver.path, mocha);
  return new Promise((resolve) => mocha.run((failures) => resolve(failures)));
}
