import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tarArchive } from './tar';

describe('tarArchive', () => {
  it('writes an archive GNU tar extracts with the given modes and contents', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tar-'));
    try {
      const body = 'x'.repeat(700);
      await fs.writeFile(
        path.join(dir, 'a.tar'),
        await tarArchive([
          { name: 'root/.ssh/', mode: 0o700 },
          { name: 'root/.ssh/authorized_keys', mode: 0o600, content: body },
        ]),
      );
      const out = path.join(dir, 'out');
      await fs.mkdir(out);
      execFileSync('tar', ['-xf', path.join(dir, 'a.tar'), '-C', out, '--no-same-owner']);
      assert.equal((await fs.stat(path.join(out, 'root/.ssh'))).mode & 0o777, 0o700);
      const file = path.join(out, 'root/.ssh/authorized_keys');
      assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
      assert.equal(await fs.readFile(file, 'utf8'), body);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('records the owner, group and modification time GNU tar lists', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tar-'));
    try {
      const file = path.join(dir, 'a.tar');
      await fs.writeFile(
        file,
        await tarArchive(
          [
            { name: 'etc/', mode: 0o755 },
            { name: 'etc/owned', mode: 0o640, uid: 1000, gid: 50, content: 'é\n' },
          ],
          1_700_000_000,
        ),
      );
      const listing = execFileSync('tar', ['-tvf', file, '--numeric-owner', '--full-time'], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
      const rows = listing.trim().split('\n').map((line) => line.split(/\s+/));
      assert.deepEqual(
        rows.map((r) => [r[0], r[1], r[2], `${r[3]} ${r[4]}`, r[5]]),
        [
          ['drwxr-xr-x', '0/0', '0', '2023-11-14 22:13:20', 'etc/'],
          ['-rw-r-----', '1000/50', '3', '2023-11-14 22:13:20', 'etc/owned'],
        ],
      );
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('ends with two zero blocks and pads to 512 bytes', async () => {
    const buf = await tarArchive([{ name: 'f', mode: 0o644, content: 'abc' }]);
    assert.equal(buf.length % 512, 0);
    assert.equal(buf.length, 512 + 512 + 1024);
    assert.ok(buf.subarray(buf.length - 1024).every((b) => b === 0));
  });
});
