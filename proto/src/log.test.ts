import * as assert from 'node:assert/strict';
import { formatLogLine, parseLogLine } from './log';

describe('driver log lines', () => {
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
