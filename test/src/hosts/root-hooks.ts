// Mocha root hooks (load with `--require test/lib/hosts/root-hooks.js`):
// whatever test hosts and networks a run made are removed when it ends,
// even when a test file forgot or failed before its own cleanup.
import type { RootHookObject } from 'mocha';
import { cleanupTestHosts } from './hosts';

export const mochaHooks: RootHookObject = {
  async afterAll() {
    await cleanupTestHosts();
  },
};
