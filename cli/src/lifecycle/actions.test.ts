import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import type { DriverClient } from '@machine/driver-sdk';
import { generateCA, generateServerCert } from '../certs/generate';
import { newHostConfig } from '../store/host';
import { Store } from '../store/store';
import { followAddress } from './actions';

describe('after a start: certificates follow the machine\'s address', function () {
  this.timeout(20_000);
  let root: string;
  let store: Store;
  let out: string[];

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'follow-test-'));
    store = new Store(root);
    const host = newHostConfig({ storeRoot: root, name: 'moved', driverName: 'docker', driverState: {} });
    const ca = await generateCA('follow-test');
    const server = await generateServerCert({ caCertPem: ca.certPem, caKeyPem: ca.keyPem, org: 'follow-test.moved', hosts: ['192.0.2.10', 'localhost'] });
    fs.mkdirSync(store.machineDir('moved'), { recursive: true });
    fs.writeFileSync(host.HostOptions.AuthOptions.ServerCertPath, server.certPem);
    store.save(host);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));
  beforeEach(() => {
    out = [];
  });

  function driverAt(ip: string, provisioning: 'ssh' | 'none' = 'ssh') {
    return {
      name: 'docker',
      metadata: { provisioning },
      getIP: sinon.stub().resolves(ip),
      getURL: sinon.stub().resolves(`tcp://${ip}:2376`),
      getSSHInfo: sinon.stub().rejects(new Error('reprovisioning started')),
    };
  }

  const env = () => ({ store, registry: { get: sinon.stub() }, out: (l: string) => out.push(l), err: (l: string) => out.push(l) });

  it('does nothing but remember the address while the certificate covers it', async () => {
    const host = store.load('moved');
    const driver = driverAt('192.0.2.10');
    const save = sinon.spy();
    assert.equal(await followAddress(env(), host, driver as unknown as DriverClient, save), false);
    assert.ok(driver.getSSHInfo.notCalled);
    assert.equal(host.Machine?.LastIP, '192.0.2.10');
    assert.ok(save.calledOnce);
  });

  it('reprovisions with a new certificate when the address moved out of it', async () => {
    const host = store.load('moved');
    const driver = driverAt('192.0.2.99');
    await assert.rejects(followAddress(env(), host, driver as unknown as DriverClient, () => undefined), /reprovisioning started/);
    assert.ok(out.some((l) => /The address of "moved" is now 192\.0\.2\.99, which its certificate does not cover/.test(l)));
    assert.ok(driver.getSSHInfo.called, 'provisioning asked the driver where SSH is');
  });

  it('leaves alone a machine whose driver serves its engine itself, whatever its name', async () => {
    const host = store.load('moved');
    const driver = driverAt('192.0.2.99', 'none');
    const save = sinon.spy();
    assert.equal(await followAddress(env(), host, driver as unknown as DriverClient, save), false);
    assert.ok(driver.getIP.notCalled && driver.getSSHInfo.notCalled, 'no address is followed, nothing provisioned');
  });

  it('fails with the driver\'s error when GetURL fails, instead of guessing port 2376', async () => {
    const host = store.load('moved');
    const driver = { ...driverAt('192.0.2.10'), getURL: sinon.stub().rejects(new Error('the engine port is not published')) };
    const save = sinon.spy();
    await assert.rejects(
      followAddress(env(), host, driver as unknown as DriverClient, save),
      /Cannot get the Docker URL of "moved" from the docker driver: the engine port is not published/,
    );
    assert.ok(save.notCalled, 'nothing guessed is recorded');
  });
});
