import { strict as assert } from 'node:assert';
import { baseDriverState } from './base-driver';

describe('baseDriverState', () => {
  const machine = { name: 'dev', storePath: '/store' };

  it("gives the reference's BaseDriver fields in its order, the machine's name and store path filled in", () => {
    const s = baseDriverState(machine);
    assert.deepEqual(Object.entries(s), [
      ['IPAddress', ''],
      ['MachineName', 'dev'],
      ['SSHUser', ''],
      ['SSHPort', 0],
      ['SSHKeyPath', ''],
      ['StorePath', '/store'],
      ['SwarmMaster', false],
      ['SwarmHost', ''],
      ['SwarmDiscovery', ''],
    ]);
  });

  it('keeps that order whatever order the given fields come in', () => {
    const s = baseDriverState(machine, { SSHPort: 2222, IPAddress: '10.0.0.5', SSHUser: 'ubuntu' });
    assert.deepEqual(Object.keys(s).slice(0, 4), ['IPAddress', 'MachineName', 'SSHUser', 'SSHPort']);
    assert.deepEqual([s.IPAddress, s.SSHUser, s.SSHPort], ['10.0.0.5', 'ubuntu', 2222]);
  });
});
