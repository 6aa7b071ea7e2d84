import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import {
  buildMachineImage,
  DEFAULT_MACHINE_IMAGE,
  hostMirrors,
  ImageBuildError,
  imageContentHash,
  imageIsCurrent,
  imageTag,
  systemdHostConfig,
  machineHostConfig,
  DENIED_SYSCALLS,
  LABEL_CONTENT,
  LABEL_FLAVOUR,
  LABEL_STOP_SIGNAL,
  splitTag,
} from './image';

// A stand-in for build-rootfs.sh with the same arguments: a one-file root
// filesystem, so that the build, import, label and reuse logic runs against
// the real engine in a second rather than minutes.
const FAKE_RECIPE = `#!/usr/bin/env bash
set -euo pipefail
while (($#)); do case $1 in --output) out=$2; shift 2 ;; --flavour) flavour=$2; shift 2 ;; *) shift 2 ;; esac; done
echo "==> fake build of $flavour"
if [ -n "\${FAIL_RECIPE:-}" ]; then echo "error: the mirror is unreachable" >&2; exit 3; fi
d=$(mktemp -d); echo "$flavour" > "$d/flavour"; tar -C "$d" -cf "$out" .; rm -rf "$d"
echo "$(date +%s%N)" >> "$(dirname "$0")/runs"
`;

describe('systemdHostConfig', () => {
  it('runs init without --privileged on the given network, in a new object each time', () => {
    const hc = systemdHostConfig('net1');
    assert.equal(hc.Privileged, undefined);
    assert.deepEqual(hc.CapAdd, ['ALL']);
    assert.deepEqual(hc.CapDrop, ['SYS_RESOURCE']);
    assert.deepEqual(hc.SecurityOpt, ['seccomp=unconfined', 'apparmor=unconfined']);
    assert.deepEqual(Object.keys(hc.Tmpfs ?? {}).sort(), ['/run', '/run/lock']);
    assert.deepEqual(hc.Binds, ['/sys/fs/cgroup:/sys/fs/cgroup:rw']);
    assert.equal(hc.CgroupnsMode, 'host');
    assert.equal(hc.NetworkMode, 'net1');
    assert.deepEqual(hc.RestartPolicy, { Name: 'no' });
    hc.Binds?.push('/x:/x');
    assert.deepEqual(systemdHostConfig('net2').Binds, ['/sys/fs/cgroup:/sys/fs/cgroup:rw'], 'callers may extend their copy');
  });
});

describe('machineHostConfig', () => {
  it('grants SYS_ADMIN and NET_ADMIN on top of the default capabilities, and a seccomp profile', () => {
    const hc = machineHostConfig('net1');
    assert.equal(hc.Privileged, undefined);
    assert.deepEqual(hc.CapAdd, ['SYS_ADMIN', 'NET_ADMIN']);
    assert.deepEqual(hc.CapDrop, []);
    assert.equal(hc.SecurityOpt?.length, 2);
    assert.equal(hc.SecurityOpt?.[1], 'apparmor=unconfined');
    const profile = JSON.parse(String(hc.SecurityOpt?.[0]).replace(/^seccomp=/, '')) as { defaultAction: string; syscalls: { names: string[]; action: string }[] };
    assert.equal(profile.defaultAction, 'SCMP_ACT_ALLOW');
      assert.deepEqual(profile.syscalls[0].names, [...DENIED_SYSCALLS]);
    assert.equal(profile.syscalls[0].action, 'SCMP_ACT_ERRNO');
    for (const s of ['init_module', 'kexec_load', 'open_by_handle_at']) assert.ok(profile.syscalls[0].names.includes(s), s);
    assert.equal(hc.NetworkMode, 'net1');
    assert.equal(hc.CgroupnsMode, 'host');
  });
});

describe('machine image', () => {
  describe('tags and labels', () => {
    it('names one tag per flavour, the docker one being the default machine image', () => {
      assert.equal(imageTag('docker'), 'machine/debian:12-docker');
      assert.equal(imageTag('sysvinit'), 'machine/debian:12-sysvinit');
      assert.equal(DEFAULT_MACHINE_IMAGE, 'machine/debian:12-docker');
    });

    it('splits a reference into repository and tag, leaving registry ports alone', () => {
      assert.deepEqual(splitTag('machine/debian:12-docker'), { repo: 'machine/debian', tag: '12-docker' });
      assert.deepEqual(splitTag('localhost:5000/machine/debian'), { repo: 'localhost:5000/machine/debian', tag: 'latest' });
      assert.deepEqual(splitTag('localhost:5000/m:x'), { repo: 'localhost:5000/m', tag: 'x' });
    });
  });

  describe('hostMirrors', () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mirrors-'));
      fs.mkdirSync(path.join(dir, 'sources.list.d'));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('reads deb822 sources', () => {
      fs.writeFileSync(
        path.join(dir, 'sources.list.d', 'debian.sources'),
        'Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm\n\nTypes: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n',
      );
      assert.deepEqual(hostMirrors(dir), { mirror: 'http://mirror.example/debian', securityMirror: 'http://mirror.example/debian-security' });
    });

    it('reads one-line sources with options', () => {
      fs.writeFileSync(path.join(dir, 'sources.list'), '# comment\ndeb [arch=amd64] https://m.example/debian bookworm main\n');
      assert.deepEqual(hostMirrors(dir), { mirror: 'https://m.example/debian', securityMirror: 'http://deb.debian.org/debian-security' });
    });

    it("falls back to Debian's own mirrors", () => {
      assert.deepEqual(hostMirrors(dir), { mirror: 'http://deb.debian.org/debian', securityMirror: 'http://deb.debian.org/debian-security' });
    });
  });

  describe('content hash', () => {
    let dir: string;
    let recipe: string;
    const mirrors = { mirror: 'http://a/debian', securityMirror: 'http://a/debian-security' };
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'recipe-'));
      recipe = path.join(dir, 'build.sh');
      fs.writeFileSync(recipe, 'echo one\n');
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('is stable, and changes with the recipe, the flavour and the mirror', () => {
      const base = imageContentHash({ flavour: 'docker', mirrors, recipe });
      assert.equal(imageContentHash({ flavour: 'docker', mirrors, recipe }), base);
      assert.notEqual(imageContentHash({ flavour: 'nodocker', mirrors, recipe }), base);
      assert.notEqual(imageContentHash({ flavour: 'docker', mirrors: { ...mirrors, mirror: 'http://b/debian' }, recipe }), base);
      fs.writeFileSync(recipe, 'echo two\n');
      assert.notEqual(imageContentHash({ flavour: 'docker', mirrors, recipe }), base);
    });

    it('hashes the real recipe shipped with the package', () => {
      assert.match(imageContentHash({ flavour: 'docker', mirrors }), /^[0-9a-f]{32}$/);
    });
  });

  describe('the real recipe', () => {
    it('rejects an unknown flavour with the ones it knows, before touching anything', async () => {
      const { spawnSync } = await import('node:child_process');
      const { recipePath } = await import('./image');
      const r = spawnSync('bash', [recipePath(), '--flavour', 'alpine', '--output', '/nonexistent/x.tar'], { encoding: 'utf8' });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /^error: --flavour must be docker, nodocker or sysvinit \(got 'alpine'\)$/m);
    });
  });

  describe('build and import (real engine, stand-in recipe)', function () {
    this.timeout(60_000);
    const docker = new Dockerode();
    const tag = `machine-unit-test/image-${process.pid}:flavour`;
    const mirrors = { mirror: 'http://deb.debian.org/debian', securityMirror: 'http://deb.debian.org/debian-security' };
    let dir: string;
    let recipe: string;

    before(async function () {
      try {
        await docker.ping();
      } catch {
        throw new Error('these tests need a local dockerd: run `bash scripts/ensure-dockerd.sh`');
      }
    });
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-build-'));
      recipe = path.join(dir, 'build.sh');
      fs.writeFileSync(recipe, FAKE_RECIPE, { mode: 0o755 });
    });
    afterEach(async () => {
      delete process.env.FAIL_RECIPE;
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const runs = () => (fs.existsSync(path.join(dir, 'runs')) ? fs.readFileSync(path.join(dir, 'runs'), 'utf8').trim().split('\n').length : 0);

    it('imports a labelled image, then reuses it until the recipe changes', async () => {
      const lines: string[] = [];
      const opts = { docker, tag, flavour: 'sysvinit' as const, mirrors, recipe, cacheDir: path.join(dir, 'cache'), onProgress: (l: string) => lines.push(l) };
      assert.equal(await imageIsCurrent(opts), false);
      assert.equal(await buildMachineImage(opts), tag);
      assert.ok(lines.includes('fake build of sysvinit'), lines.join('\n'));
      const info = await docker.getImage(tag).inspect();
      assert.equal(info.Config.Labels?.[LABEL_CONTENT], imageContentHash(opts));
      assert.equal(info.Config.Labels?.[LABEL_FLAVOUR], 'sysvinit');
      assert.equal(info.Config.Labels?.[LABEL_STOP_SIGNAL], 'SIGINT');
      assert.deepEqual(info.Config.Cmd, ['/sbin/init']);
      assert.ok(info.Config.Env?.includes('container=docker'));
      assert.equal(await imageIsCurrent(opts), true);

      await buildMachineImage(opts);
      assert.equal(runs(), 1, 'an up-to-date image is not rebuilt');

      fs.appendFileSync(recipe, '# changed\n');
      assert.equal(await imageIsCurrent(opts), false);
      await buildMachineImage(opts);
      assert.equal(runs(), 2);
      assert.deepEqual(fs.readdirSync(path.join(dir, 'cache')), [], 'no tarball or lock is left in the cache');
    });

    it('reports the recipe error and leaves no image under the tag', async () => {
      process.env.FAIL_RECIPE = '1';
      await assert.rejects(
        buildMachineImage({ docker, tag, flavour: 'docker', mirrors, recipe, cacheDir: path.join(dir, 'cache') }),
        (err: unknown) => err instanceof ImageBuildError && /the mirror is unreachable/.test(err.message),
      );
      await assert.rejects(docker.getImage(tag).inspect(), (err: { statusCode?: number }) => err.statusCode === 404);
    });

    it('stops when cancelled', async () => {
      const ac = new AbortController();
      ac.abort();
      await assert.rejects(
        buildMachineImage({ docker, tag, flavour: 'docker', mirrors, recipe, cacheDir: path.join(dir, 'cache'), signal: ac.signal }),
        (err: Error) => err.name === 'AbortError',
      );
      assert.equal(runs(), 0);
    });
  });
});
