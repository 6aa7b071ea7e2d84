import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { DriverCallError, DriverError, isDriverCallError } from './index';

describe('package entry point', () => {
  it('loads no gRPC, protobuf or node-forge when imported', () => {
    const script = `require(${JSON.stringify(path.join(__dirname, 'index.js'))});
      const heavy = Object.keys(require.cache).filter((k) => /@grpc|protobufjs|node-forge/.test(k));
      process.stdout.write(JSON.stringify(heavy));`;
    assert.deepEqual(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })), []);
  });

  it('builds DriverCallError messages with the driver name, detail and stderr tail', () => {
    const err = new DriverCallError({
      code: 'not-found',
      summary: 'no such instance',
      detail: 'Run machine rm.',
      driver: 'aws',
      call: 'GetState',
      stderrTail: ['[ERROR] boom'],
    });
    assert.equal(err.message, '(aws) no such instance\nRun machine rm.\nLast lines the driver wrote to stderr:\n  [ERROR] boom');
    assert.ok(isDriverCallError(err));
    assert.ok(!isDriverCallError(new DriverError('not-found', 'x')));
  });
});
