import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { downloadPercent, isDriverLine, Progress } from './progress';

/** A stream that says it is a terminal, recording what is written to it. */
function fakeTerminal(isTTY: boolean): { stream: NodeJS.WriteStream; text(): string } {
  const s = new PassThrough() as unknown as NodeJS.WriteStream & PassThrough;
  let written = '';
  s.on('data', (d: Buffer) => (written += d.toString()));
  Object.assign(s, { isTTY, columns: 100, rows: 30 });
  return { stream: s, text: () => written };
}

// eslint-disable-next-line no-control-regex
const plainText = (s: string): string => s.replace(/\x1b(\[[0-9;?]*[A-Za-z]|[78])/g, '');

/** The lines a terminal keeps: each ends in a newline, drawn after the last return to column 1. */
const keptLines = (s: string): string[] =>
  s
    .split('\n')
    .slice(0, -1)
    // eslint-disable-next-line no-control-regex
    .map((segment) => plainText(segment.split(/\r|\x1b\[1G/).pop() ?? ''));

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('progress', () => {
  it('reads the reference\'s download lines', () => {
    assert.equal(downloadPercent('0%'), 0);
    assert.equal(downloadPercent('(dev) 0%....10%....20%'), 20);
    assert.equal(downloadPercent('(dev) Downloading http://x/y.iso'), undefined);
    assert.equal(downloadPercent('10%'), undefined);
  });

  it('tells a driver\'s line from the core\'s', () => {
    assert.equal(isDriverLine('(dev) installing docker.io'), true);
    assert.equal(isDriverLine('(dev) 0%....10%'), false, 'a download is a bar, not a step');
    assert.equal(isDriverLine('Warning: the image is old'), false);
    assert.equal(isDriverLine('(see the docs) for more'), false);
  });

  it('writes plain lines, byte for byte, when the stream is not a terminal', async () => {
    const t = fakeTerminal(false);
    const p = new Progress({ stream: t.stream });
    p.step('Running pre-create checks...');
    p.line('(dev) 0%....10%');
    p.step('Creating machine...');
    p.done();
    await tick(10);
    assert.equal(t.text(), 'Running pre-create checks...\n(dev) 0%....10%\nCreating machine...\n');
  });

  it('draws a live line with a clock on a terminal, keeps finished steps with their duration, and a bar for a download', async () => {
    const t = fakeTerminal(true);
    const saved = process.env.TERM;
    process.env.TERM = 'xterm';
    const p = new Progress({ stream: t.stream });
    try {
      p.step('Creating machine...');
      await tick(250);
      p.line('(dev) Downloading http://127.0.0.1/boot.iso');
      p.line('(dev) 0%....10%....20%....30%....40%');
      await tick(250);
      const during = plainText(t.text());
      assert.match(during, /Creating machine\.\.\. \d+\.\ds/, 'the live line with its clock');
      assert.match(during, /Creating machine\.\.\. \d+\.\ds › \(dev\) Downloading http:\/\/127\.0\.0\.1\/boot\.iso [█░]{30} 40% \d+\.\ds/, 'the download as a bar beside its line');
      assert.doesNotMatch(during, /0%\.\.\.\.10%/, 'not the dotted line');
      p.step('Waiting for SSH...');
      p.done();
      const all = plainText(t.text());
      assert.match(all, /\(dev\) Downloading http:\/\/127\.0\.0\.1\/boot\.iso \d+\.\ds\nCreating machine\.\.\. \d+\.\ds\n/, 'the finished step keeps its duration, after its driver line');
      assert.match(all, /Waiting for SSH\.\.\. \d+\.\ds\n/);
      assert.ok(t.text().endsWith('\x1b[?7h\x1b[1G\x1b[0J'), 'line wrapping restored and the live line cleared');
    } finally {
      p.done();
      process.env.TERM = saved;
    }
  });

  it('runs a driver\'s lines within the current step on a terminal: one live line, each finished one kept with its duration', async () => {
    const t = fakeTerminal(true);
    const saved = process.env.TERM;
    process.env.TERM = 'xterm';
    const p = new Progress({ stream: t.stream });
    try {
      p.step('Creating machine...');
      p.line('(dev) building image machine/debian:12-docker (flavour docker)');
      await tick(250);
      const first = plainText(t.text());
      assert.match(first, /Creating machine\.\.\. \d+\.\ds › \(dev\) building image machine\/debian:12-docker \(flavour docker\) \d+\.\ds/, 'on the live line');
      assert.doesNotMatch(first, /\(dev\) building image[^\n]*\n/, 'not yet printed above it');
      p.line('(dev) installing docker.io');
      await tick(250);
      p.line('Warning: not a driver line');
      p.step('Waiting for machine to be running, this may take a few minutes...');
      p.done();
      const kept = keptLines(t.text());
      assert.equal(kept.length, 5, kept.join('\n'));
      assert.match(kept[0], /^\(dev\) building image machine\/debian:12-docker \(flavour docker\) 0\.[2-9]s$/);
      assert.equal(kept[1], 'Warning: not a driver line');
      assert.match(kept[2], /^\(dev\) installing docker\.io 0\.[2-9]s$/);
      assert.match(kept[3], /^Creating machine\.\.\. 0\.[4-9]s$/);
      assert.match(kept[4], /^Waiting for machine to be running, this may take a few minutes\.\.\. 0\.\ds$/);
    } finally {
      p.done();
      process.env.TERM = saved;
    }
  });

  it('writes a driver\'s lines as plain lines when not on a terminal', () => {
    const t = fakeTerminal(false);
    const p = new Progress({ stream: t.stream });
    p.step('Creating machine...');
    p.line('(dev) installing docker.io');
    p.done();
    assert.equal(t.text(), 'Creating machine...\n(dev) installing docker.io\n');
  });
});
