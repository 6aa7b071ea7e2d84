// Mocha root hooks (load with `--require test/lib/registry/root-hooks.js`):
// the run's npm registry, if a test started one, stops when the run ends.
import type { RootHookObject } from 'mocha';
import { stopNpmRegistry } from './index';

export const mochaHooks: RootHookObject = {
  async afterAll() {
    await stopNpmRegistry();
  },
};
