import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { driversToPrelaunch } from './prelaunch';

describe('prelaunch: which drivers a command line will ask', () => {
  let root: string;
  let env: NodeJS.ProcessEnv;
  const machine = (name: string, config: unknown): void => {
    fs.mkdirSync(path.join(root, 'machines', name), { recursive: true });
    fs.writeFileSync(path.join(root, 'machines', name, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-'));
    env = { MACHINE_STORAGE_PATH: root };
    machine('b-dev', { DriverName: 'generic' });
    machine('a-box', { DriverName: 'amazonec2' });
    machine('default', { DriverName: 'docker' });
    machine('broken', '{"DriverName": ');
    machine('evil', { DriverName: '../../bin/sh' });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('status, ip and url: each named machine\'s driver, once; "default" when none is named', () => {
    assert.deepEqual(driversToPrelaunch(['status', 'b-dev'], env), ['generic']);
    assert.deepEqual(driversToPrelaunch(['url', 'b-dev', '--json'], env), ['generic']);
    assert.deepEqual(driversToPrelaunch(['ip', 'b-dev', 'a-box', 'b-dev'], env), ['generic', 'amazonec2']);
    assert.deepEqual(driversToPrelaunch(['status'], env), ['docker']);
  });

  it('status and url leave out a machine that may prove itself (a remembered URL and its own server certificate); ip, one that also remembers its IP', () => {
    const cert = path.join(root, 'server.pem');
    fs.writeFileSync(cert, 'a certificate');
    const record = (url: string, certPath: string) => ({ DriverName: 'generic', Machine: { LastURL: url }, HostOptions: { AuthOptions: { ServerCertPath: certPath } } });
    machine('proud', record('tcp://10.0.0.5:2376', cert));
    machine('no-url', record('', cert));
    machine('no-cert', record('tcp://10.0.0.5:2376', path.join(root, 'missing.pem')));
    assert.deepEqual(driversToPrelaunch(['status', 'proud'], env), []);
    assert.deepEqual(driversToPrelaunch(['url', 'proud', '--json'], env), []);
    assert.deepEqual(driversToPrelaunch(['url', 'a-box'], env), ['amazonec2']);
    assert.deepEqual(driversToPrelaunch(['ip', 'proud'], env), ['generic'], 'no IP remembered');
    machine('proud-ip', { ...record('tcp://10.0.0.5:2376', cert), Machine: { LastURL: 'tcp://10.0.0.5:2376', LastIP: '10.0.0.5' } });
    assert.deepEqual(driversToPrelaunch(['ip', 'proud-ip'], env), []);
    assert.deepEqual(driversToPrelaunch(['ip', 'proud-ip', 'a-box'], env), ['amazonec2']);
    assert.deepEqual(driversToPrelaunch(['status', 'no-url'], env), ['generic']);
    assert.deepEqual(driversToPrelaunch(['status', 'no-cert'], env), ['generic']);
  });

  it('ls: the first machine\'s driver, as ls starts it itself, unless that machine may prove itself; none for -q', () => {
    assert.deepEqual(driversToPrelaunch(['ls'], env), ['amazonec2']);
    assert.deepEqual(driversToPrelaunch(['ls', '--json'], env), ['amazonec2']);
    assert.deepEqual(driversToPrelaunch(['ls', '-q'], env), []);
    const cert = path.join(root, 'server.pem');
    fs.writeFileSync(cert, 'a certificate');
    machine('0-proud', { DriverName: 'generic', Machine: { LastURL: 'tcp://10.0.0.5:2376' }, HostOptions: { AuthOptions: { ServerCertPath: cert } } });
    assert.deepEqual(driversToPrelaunch(['ls'], env), []);
  });

  it('guesses nothing it cannot be sure of', () => {
    for (const argv of [
      [],
      ['--debug', 'status', 'b-dev'], // global options first: not parsed here
      ['status', 'b-dev', '--help'],
      ['inspect', 'b-dev'],
      ['status', 'missing'],
      ['status', 'broken'],
      ['status', 'evil'], // a driver name that is a path is never looked up
      ['status', '../b-dev'],
    ]) {
      assert.deepEqual(driversToPrelaunch(argv, env), [], argv.join(' '));
    }
  });
});
