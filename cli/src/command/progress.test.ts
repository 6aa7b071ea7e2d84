import * as assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { downloadPercent, Progress } from './progress';

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

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('progress', () => {
  it('reads the reference\'s download lines', () => {
    assert.equal(downloadPercent('0%'), 0);
    assert.equal(downloadPercent('(dev) 0%....10%....20%'), 20);
    assert.equal(downloadPercent('(dev) Downloading http://x/y.iso'), undefined);
    assert.equal(downloadPercent('10%'), undefined);
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
      assert.match(during, /\(dev\) Downloading http:\/\/127\.0\.0\.1\/boot\.iso\n/, 'driver lines above the live one');
      assert.match(during, /Creating machine\.\.\. [█░]{30} 40%/, 'the download as a bar');
      assert.doesNotMatch(during, /0%\.\.\.\.10%/, 'not the dotted line');
      p.step('Waiting for SSH...');
      p.done();
      const all = plainText(t.text());
      assert.match(all, /Creating machine\.\.\. \d+\.\ds\n/, 'the finished step keeps its duration');
      assert.match(all, /Waiting for SSH\.\.\. \d+\.\ds\n/);
      assert.ok(t.text().endsWith('\x1b[?7h\x1b[1G\x1b[0J'), 'line wrapping restored and the live line cleared');
    } finally {
      p.done();
      process.env.TERM = saved;
    }
  });
});
