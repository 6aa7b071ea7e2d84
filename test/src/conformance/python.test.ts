// The conformance kit against a driver written in Python with Debian's
// python3-grpcio: the protocol does not depend on the TypeScript SDK.
// Python stubs are generated from proto/ into a temporary directory first.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runConformance } from '@machine/driver-sdk/conformance';
import { launchDriver } from '@machine/driver-sdk/host';

const root = path.resolve(__dirname, '..', '..', '..');
const exe = path.join(root, 'test', 'conformance', 'python-driver', 'machine-driver-pyfake');
const stubs = path.join(os.tmpdir(), `machine-pystubs-${process.pid}`);
const env: NodeJS.ProcessEnv = { ...process.env, MACHINE_PY_STUBS: stubs };

/** Generates the Python modules for the three services from proto/. */
function generateStubs(): void {
  const src = path.join(stubs, 'src');
  const copy = (from: string, to: string) => {
    fs.mkdirSync(path.dirname(path.join(src, to)), { recursive: true });
    fs.copyFileSync(path.join(root, 'proto', from), path.join(src, to));
  };
  copy('machine/driver/v1/driver.proto', 'machine/driver/v1/driver.proto');
  copy('plugin/grpc_controller.proto', 'plugin/grpc_controller.proto');
  // A "grpc/" module directory would shadow the grpc package itself.
  copy('grpc/health/v1/health.proto', 'grpc_health_stubs/health.proto');
  execFileSync(
    '/usr/bin/python3',
    [
      '-m',
      'grpc_tools.protoc',
      `-I${src}`,
      `--python_out=${stubs}`,
      `--grpc_python_out=${stubs}`,
      'machine/driver/v1/driver.proto',
      'plugin/grpc_controller.proto',
      'grpc_health_stubs/health.proto',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

describe('python driver', function () {
  this.timeout(60_000);
  before(generateStubs);
  after(() => fs.rmSync(stubs, { recursive: true, force: true }));

  runConformance(exe, { name: 'pyfake', env, createFlags: { 'pyfake-create-delay-ms': 20_000 }, lifecycleFlags: { 'pyfake-ip': '10.9.8.6' } });

  it('serves over loopback TCP with go-plugin AutoMTLS', async () => {
    const d = await launchDriver({ name: 'pyfake', path: exe, env: { ...env, MACHINE_PLUGIN_TRANSPORT: 'tcp' } });
    try {
      assert.equal(d.metadata.name, 'pyfake');
      const machineDir = fs.mkdtempSync(path.join(os.tmpdir(), 'machine-py-'));
      const machine = { name: 'py', storePath: machineDir, machineDir };
      const configured = await d.configure(machine, { 'pyfake-ip': '10.1.2.3' });
      const call = { machine, state: configured.state, stateVersion: configured.stateVersion };
      const progress: string[] = [];
      await d.create(call, { onProgress: (m) => progress.push(m) });
      assert.deepEqual(progress, ['Creating pyfake machine']);
      assert.deepEqual(await d.describe(call), { state: 'Running', ip: '10.1.2.3', url: 'tcp://10.1.2.3:2376' });
      await d.remove(call);
      assert.equal(await d.getState(call), 'Not Found');
      fs.rmSync(machineDir, { recursive: true, force: true });
    } finally {
      await d.close();
    }
  });

  it('maps its errors to typed errors with the flag at fault', async () => {
    const d = await launchDriver({ name: 'pyfake', path: exe, env });
    try {
      await assert.rejects(d.configure({ name: 'x', storePath: '/tmp', machineDir: '/tmp/x' }, { 'pyfake-ip': 'nope' }), {
        name: 'DriverCallError',
        code: 'invalid-argument',
        flag: 'pyfake-ip',
        summary: '--pyfake-ip must be an IPv4 address',
      });
    } finally {
      await d.close();
    }
  });
});
