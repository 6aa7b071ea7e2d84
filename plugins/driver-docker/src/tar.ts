// The few small files handed to the engine's archive endpoint
// (PUT /containers/{id}/archive) before a container starts, as a tar archive
// written by tar-stream (the library dockerode itself uses for archives).
import { buffer } from 'node:stream/consumers';
import * as tar from 'tar-stream';

export interface TarEntry {
  /** Path inside the archive, relative, "/"-separated; directories end with "/". */
  name: string;
  mode: number;
  uid?: number;
  gid?: number;
  /** Absent for directories. */
  content?: Buffer | string;
}

/** The whole archive in memory; `mtime` is in seconds since the epoch. */
export function tarArchive(entries: TarEntry[], mtime = Math.floor(Date.now() / 1000)): Promise<Buffer> {
  const pack = tar.pack();
  const archive = buffer(pack);
  for (const entry of entries) {
    const isDirectory = entry.name.endsWith('/');
    pack.entry(
      {
        name: entry.name,
        type: isDirectory ? 'directory' : 'file',
        mode: entry.mode & 0o7777,
        uid: entry.uid ?? 0,
        gid: entry.gid ?? 0,
        uname: 'root',
        gname: 'root',
        mtime: new Date(mtime * 1000),
      },
      isDirectory ? undefined : Buffer.from(entry.content ?? ''),
    );
  }
  pack.finalize();
  return archive;
}
