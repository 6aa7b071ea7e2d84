// `machine image build`'s progress, through the real CLI: under a real
// pseudo-terminal (util-linux's `script`) each step of the build is one live
// line with its running clock, kept with its duration when the next starts;
// piped or with --quiet, the plain lines in order. A real debootstrap takes
// minutes, so MACHINE_IMAGE_RECIPE (for tests) points the build at a tiny
// recipe that prints three steps a little apart and writes a one-file
// tarball; the engine's import and tagging are the real ones.
/* eslint-disable no-control-regex -- the tests read terminal control sequences */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { CLI, explain, Sandbox } from './generic-support';
import { assertKeptDuration, runInTerminal, screen } from '../support/terminal';

const TAG = `machine-e2e/progress:${process.pid}`;
const ENGINE = 'unix:///var/run/docker.sock';

/** Takes build-rootfs.sh's arguments; each step lasts 0.4 s so that its clock visibly runs. */
const TINY_RECIPE = `#!/usr/bin/env bash
set -euo pipefail
while (($#)); do
  case $1 in --output) OUTPUT=$2 ;; esac
  shift 2
done
log() { printf '==> %s\\n' "$*"; }
log "first step"; sleep 0.4
log "second step"; sleep 0.4
log "third step"
dir=$(mktemp -d)
echo machine >"$dir/hostname"
tar -C "$dir" -cf "$OUTPUT" .
rm -rf "$dir"
`;

/** What `image build` prints, one line each, when its progress is plain. */
const PLAIN_STEPS = [
  `Building machine image ${TAG} on ${ENGINE}...`,
  `  building image ${TAG} (flavour docker)`,
  '  first step',
  '  second step',
  '  third step',
  `  importing ${TAG} into the engine`,
  `  image ${TAG} ready`,
];

function assertPlain(stdout: string): void {
  assert.doesNotMatch(stdout, /\x1b/, 'no control sequences');
  const lines = stdout.replace(/\r\n/g, '\n').split('\n');
  assert.deepEqual(lines.slice(0, PLAIN_STEPS.length), PLAIN_STEPS, stdout);
  assert.match(lines[PLAIN_STEPS.length], new RegExp(`^Machine image ${TAG} is ready \\(\\d+\\.\\d s\\)\\.$`));
  assert.equal(lines.length, PLAIN_STEPS.length + 2, 'nothing else, the output ending in a newline');
}

describe('machine image build progress on a terminal and through a pipe', function () {
  this.timeout(300_000);
  const sb = new Sandbox();
  const docker = new Docker({ socketPath: '/var/run/docker.sock' });
  const recipe = path.join(sb.dir, 'tiny-recipe.sh');
  const env = (extra: NodeJS.ProcessEnv = {}) => sb.env({ MACHINE_IMAGE_RECIPE: recipe, ...extra });

  before(() => fs.writeFileSync(recipe, TINY_RECIPE));
  after(async () => {
    await docker.getImage(TAG).remove({ force: true }).catch(() => undefined);
    fs.rmSync(sb.dir, { recursive: true, force: true });
  });

  it('piped: the plain step lines in order, no control sequences', async () => {
    const r = await sb.cli(['image', 'build', '--tag', TAG], { env: env() });
    assert.equal(r.code, 0, explain(r));
    assertPlain(r.stdout);
    assert.equal((await docker.getImage(TAG).inspect()).Config.Labels?.['io.machine.image.flavour'], 'docker', 'the image was imported and tagged');
  });

  it('on a terminal: each step on one live line with its clock, kept with its duration', async () => {
    const r = await runInTerminal(process.execPath, [CLI, 'image', 'build', '--tag', TAG, '--force'], env({ TERM: 'xterm' }));
    assert.equal(r.code, 0, explain(r));
    assert.match(r.stdout, /\x1b\[\?7l/, 'the live line is drawn (line wrapping off while it is)');
    assert.match(r.stdout, /\x1b\[\?7h/, 'and the terminal restored');
    const shown = screen(r.stdout.replace(/\r\n/g, '\n'))
      .split('\n')
      .filter((l) => l.trim() !== '');
    const kept = PLAIN_STEPS.slice(1).map((step) => new RegExp(`^${step.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\d+\\.\\ds$`));
    assert.equal(shown[0], PLAIN_STEPS[0]);
    assert.equal(shown.length, PLAIN_STEPS.length + 1, `one line per step, nothing left of the live frames:\n${shown.join('\n')}`);
    kept.forEach((pattern, i) => assert.match(shown[i + 1], pattern));
    // The step sleeps 0.4 s; reading its first line may lag a little behind.
    assertKeptDuration(shown[2], '  first step', 0.3, r.wallSeconds);
    assert.match(shown[shown.length - 1], new RegExp(`^Machine image ${TAG} is ready`));
    // Drawn live before it was kept: the same words more than once in what
    // was written, once on the screen, so the live line was overwritten.
    const drawn = r.stdout.split('  first step').length - 1;
    assert.ok(drawn >= 2, `"first step" was drawn ${drawn} time(s)`);
  });

  it('on a terminal with --quiet: the plain lines', async () => {
    const r = await runInTerminal(process.execPath, [CLI, 'image', 'build', '--tag', TAG, '--force', '--quiet'], env({ TERM: 'xterm' }));
    assert.equal(r.code, 0, explain(r));
    assertPlain(r.stdout);
  });
});
