import * as assert from 'node:assert/strict';
// The module object itself (a namespace import is a frozen copy), so sinon can stub what log.ts calls.
import fs from 'node:fs';
import { createLogger, formatLogLine, logTimestamp, parseLogLine } from './log';
import * as sinon from 'sinon';

describe('driver log lines', () => {
  it('stamps lines in hclog\'s JSON time format, six fractional digits in UTC', () => {
    assert.equal(logTimestamp(Date.UTC(2026, 11, 1, 4, 55, 56, 123) + 0.4567), '2026-12-01T04:55:56.123456Z');
    assert.equal(logTimestamp(Date.UTC(2026, 0, 2, 3, 4, 5, 0)), '2026-01-02T03:04:05.000000Z');
    const write = sinon.stub(fs, 'writeSync').returns(0);
    try {
      createLogger().info('hello', { machine: 'm1' });
    } finally {
      write.restore();
    }
    assert.equal(write.firstCall.args[0], 2);
    const entry = JSON.parse(String(write.firstCall.args[1])) as Record<string, unknown>;
    assert.match(String(entry['@timestamp']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(entry['@level'], 'info');
    assert.equal(entry.machine, 'm1');
  });

  it('parses go-plugin JSON lines with extra fields', () => {
    const e = parseLogLine('{"@level":"WARN","@message":"slow","@timestamp":"t","machine":"m1"}');
    assert.deepEqual(e, { level: 'warn', message: 'slow', fields: { machine: 'm1' } });
    assert.equal(formatLogLine(e), '[WARN] slow machine=m1');
  });

  it('reads [LEVEL] prefixes and treats anything else as debug', () => {
    assert.deepEqual(parseLogLine('[ERROR] boom'), { level: 'error', message: 'boom', fields: {} });
    assert.deepEqual(parseLogLine('{not json'), { level: 'debug', message: '{not json', fields: {} });
    assert.deepEqual(parseLogLine('plain'), { level: 'debug', message: 'plain', fields: {} });
  });
});

describe('a driver\'s stdout guard', () => {
  // In a child process: the guard changes process-wide state for good.
  it('sends everything written to stdout after the handshake to the log on stderr', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const js = `const log = require(${JSON.stringify(require.resolve('./log'))});
      log.guardStdout();
      process.stdout.write('written\\n');
      console.log('logged');
      require('fs').writeSync(2, 'stdout is the same object: ' + (process.stdout === process.stdout) + '\\n');`;
    const r = spawnSync(process.execPath, ['-e', js], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /"@message":"written"/);
    assert.match(r.stderr, /"@message":"logged"/);
    assert.match(r.stderr, /stdout is the same object: true/);
  });
});
