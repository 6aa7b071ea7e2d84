import { strict as assert } from 'node:assert';
import { architectureOf, ltsVersion, pickLatestLts } from './ami';

describe('amazonec2 default AMI', () => {
  it('knows Graviton instance types', () => {
    for (const t of ['t4g.micro', 'm7g.large', 'c7gn.xlarge', 'a1.medium', 'x2gd.large', 'im4gn.large', 'r8g.large']) assert.equal(architectureOf(t), 'arm64', t);
    for (const t of ['t2.micro', 't3.small', 'm5.large', 'g4dn.xlarge', 'c5n.large', 'm7i.large', 'p4d.24xlarge']) assert.equal(architectureOf(t), 'x86_64', t);
  });

  it('recognises LTS releases by their version', () => {
    assert.deepEqual(ltsVersion('ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20251112'), { major: 24, serial: '20251112' });
    assert.equal(ltsVersion('ubuntu/images/hvm-ssd-gp3/ubuntu-questing-25.10-amd64-server-20251120'), undefined);
    assert.equal(ltsVersion('ubuntu/images/hvm-ssd/ubuntu-lunar-23.04-amd64-server-20230601'), undefined);
    assert.equal(ltsVersion('debian-12-amd64-20251101-2000'), undefined);
  });

  it('picks the newest build of the newest LTS', () => {
    const image = (id: string, name: string) => ({ ImageId: id, Name: `ubuntu/images/hvm-ssd/${name}` });
    const picked = pickLatestLts([
      image('ami-1', 'ubuntu-jammy-22.04-amd64-server-20251201'),
      image('ami-2', 'ubuntu-noble-24.04-amd64-server-20251001'),
      image('ami-3', 'ubuntu-noble-24.04-amd64-server-20251112'),
      image('ami-4', 'ubuntu-questing-25.10-amd64-server-20251120'),
      image('ami-5', 'ubuntu-noble-24.04-amd64-server-20250101'),
    ]);
    assert.equal(picked?.ImageId, 'ami-3');
    assert.equal(pickLatestLts([]), undefined);
  });
});
