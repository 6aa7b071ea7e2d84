// The run's npm registry itself (test/src/registry): a real verdaccio on
// 127.0.0.1 with no uplinks. What it serves is what the run put there, the
// mirror of package-lock.json and the packages published with npm publish;
// anything else is not found rather than fetched from elsewhere.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { npmRegistry, publishWorkspacePackage, REGISTRY_DIR_ENV, REGISTRY_ENV, REPO } from '../registry';

interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, { dist: { tarball: string; integrity?: string } }>;
}

describe('the test run\'s npm registry (verdaccio, 127.0.0.1, no uplinks)', function () {
  this.timeout(300_000);

  it('listens on 127.0.0.1 and is named in MACHINE_TEST_NPM_REGISTRY', async () => {
    const registry = await npmRegistry();
    assert.match(registry.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(process.env[REGISTRY_ENV], registry.url);
    const config = JSON.parse(fs.readFileSync(path.join(path.dirname(registry.storage), 'config.yaml'), 'utf8')) as { uplinks: object };
    assert.deepEqual(config.uplinks, {}, 'no uplinks');
    const ping = await fetch(`${registry.url}/-/ping`);
    assert.equal(ping.status, 200);
  });

  it('a registry handed in through MACHINE_TEST_NPM_REGISTRY(_DIR) is used as it is, and left running', async () => {
    const registry = await npmRegistry();
    // Another test process of the same run, as run-all.sh starts them.
    const script = `
      const r = require(${JSON.stringify(path.join(REPO, 'test', 'lib', 'registry'))});
      r.npmRegistry()
        .then(async (v) => { await r.publishWorkspacePackage('proto'); await r.stopNpmRegistry(); console.log(v.url); })
        .catch((e) => { console.error(e); process.exit(1); });`;
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ['-e', script], { env: { ...process.env, [REGISTRY_ENV]: registry.url, [REGISTRY_DIR_ENV]: path.dirname(registry.storage) } }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}: ${stderr}`)) : resolve(stdout),
      ),
    );
    assert.equal(out.trim(), registry.url, 'the same registry, not a second one');
    assert.equal((await fetch(`${registry.url}/-/ping`)).status, 200, 'still running after that process let go of it');
    const sdk = (await (await fetch(`${registry.url}/@machine%2fdriver-sdk`)).json()) as Packument;
    assert.ok(sdk.versions['0.1.0'], 'what that process published is there');
    // Published already: this process finds it there rather than failing to publish over it.
    await publishWorkspacePackage('proto');
  });

  it('a package it was not given is not found: nothing is fetched from elsewhere', async () => {
    const registry = await npmRegistry();
    // A real package on the public registry, and in no lock file of this project.
    const res = await fetch(`${registry.url}/left-pad`);
    assert.equal(res.status, 404);
  });

  it('serves the lock file\'s packages with tarballs on itself, and what npm publish put there', async () => {
    const registry = await npmRegistry();
    const lock = JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    const wanted = lock.packages['node_modules/@grpc/grpc-js']?.version;
    assert.ok(wanted, 'the lock file pins @grpc/grpc-js');
    const grpc = (await (await fetch(`${registry.url}/@grpc%2fgrpc-js`)).json()) as Packument;
    assert.ok(grpc.versions[wanted], `the mirror has @grpc/grpc-js ${wanted}`);
    assert.ok(grpc.versions[wanted].dist.tarball.startsWith(`${registry.url}/`), grpc.versions[wanted].dist.tarball);
    const tgz = await fetch(grpc.versions[wanted].dist.tarball);
    assert.equal(tgz.status, 200);
    assert.ok((await tgz.arrayBuffer()).byteLength > 0);

    await publishWorkspacePackage('proto');
    const sdk = (await (await fetch(`${registry.url}/@machine%2fdriver-sdk`)).json()) as Packument;
    assert.equal(sdk['dist-tags'].latest, '0.1.0');
    assert.ok(sdk.versions['0.1.0'].dist.tarball.startsWith(`${registry.url}/`));
  });
});
