import { strict as assert } from 'node:assert';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  contextHost,
  contextNameFor,
  currentContext,
  dockerConfigDir,
  effectiveDockerHost,
  forgetMachineContext,
  machineOfContext,
  setCurrentContext,
  writeContext,
} from './docker-context';

describe('docker context store', () => {
  let dir: string;
  const endpoint = (storePath: string) => ({
    host: 'tcp://192.0.2.10:2376',
    caPem: 'CA',
    certPem: 'CERT',
    keyPem: 'KEY',
    description: 'machine dev (generic)',
    storePath,
  });

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-context-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds the configuration in $DOCKER_CONFIG, else under HOME', () => {
    assert.equal(dockerConfigDir({ DOCKER_CONFIG: '/x/y', HOME: '/home/u' }), '/x/y');
    assert.equal(dockerConfigDir({ HOME: '/home/u' }), '/home/u/.docker');
  });

  it('names contexts after machines and back', () => {
    assert.equal(contextNameFor('dev'), 'machine-dev');
    assert.equal(machineOfContext('machine-dev'), 'dev');
    assert.equal(machineOfContext('mine'), undefined);
    assert.equal(machineOfContext(undefined), undefined);
  });

  it('lays the context out as docker does, the key private', () => {
    writeContext(dir, 'machine-dev', endpoint('/store'));
    const id = crypto.createHash('sha256').update('machine-dev').digest('hex');
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'contexts', 'meta', id, 'meta.json'), 'utf8'));
    assert.deepEqual(meta, {
      Name: 'machine-dev',
      Metadata: { Description: 'machine dev (generic)', MachineStorePath: '/store' },
      Endpoints: { docker: { Host: 'tcp://192.0.2.10:2376', SkipTLSVerify: false } },
    });
    const tls = path.join(dir, 'contexts', 'tls', id, 'docker');
    assert.equal(fs.readFileSync(path.join(tls, 'ca.pem'), 'utf8'), 'CA');
    assert.equal(fs.readFileSync(path.join(tls, 'cert.pem'), 'utf8'), 'CERT');
    assert.equal(fs.statSync(path.join(tls, 'key.pem')).mode & 0o777, 0o600);
    assert.equal(contextHost(dir, 'machine-dev'), 'tcp://192.0.2.10:2376');
  });

  it('sets and unsets the current context and keeps the rest of config.json', () => {
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { r: {} }, currentContext: 'mine' }));
    setCurrentContext(dir, 'machine-dev');
    assert.equal(currentContext(dir), 'machine-dev');
    setCurrentContext(dir, undefined);
    assert.equal(currentContext(dir), undefined);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')), { auths: { r: {} } });
  });

  it('refuses to rewrite a config.json it cannot read rather than lose it', () => {
    fs.writeFileSync(path.join(dir, 'config.json'), '{ not json');
    assert.throws(() => setCurrentContext(dir, 'machine-dev'));
    assert.equal(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), '{ not json');
  });

  it('forgets a machine context only when it came from the same store', () => {
    writeContext(dir, 'machine-dev', endpoint('/store-a'));
    setCurrentContext(dir, 'machine-dev');
    assert.equal(forgetMachineContext({ DOCKER_CONFIG: dir }, '/store-b', 'dev'), undefined);
    assert.equal(contextHost(dir, 'machine-dev'), 'tcp://192.0.2.10:2376');
    assert.equal(forgetMachineContext({ DOCKER_CONFIG: dir }, '/store-a', 'dev'), 'machine-dev');
    assert.equal(contextHost(dir, 'machine-dev'), undefined);
    assert.equal(currentContext(dir), undefined);
    assert.equal(forgetMachineContext({ DOCKER_CONFIG: dir }, '/store-a', 'dev'), undefined);
  });

  it('finds the daemon docker talks to: DOCKER_HOST, else DOCKER_CONTEXT, else the current context', () => {
    writeContext(dir, 'machine-dev', endpoint('/store'));
    assert.equal(effectiveDockerHost({ DOCKER_CONFIG: dir }), '');
    setCurrentContext(dir, 'machine-dev');
    assert.equal(effectiveDockerHost({ DOCKER_CONFIG: dir }), 'tcp://192.0.2.10:2376');
    assert.equal(effectiveDockerHost({ DOCKER_CONFIG: dir, DOCKER_HOST: 'tcp://198.51.100.1:2376' }), 'tcp://198.51.100.1:2376');
    assert.equal(effectiveDockerHost({ DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'default' }), '');
    fs.writeFileSync(path.join(dir, 'config.json'), '{ broken');
    assert.equal(effectiveDockerHost({ DOCKER_CONFIG: dir }), '', 'an unreadable config.json never fails ls');
  });
});
