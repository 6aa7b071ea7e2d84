// The registry process: verdaccio, run through its programmatic API on
// 127.0.0.1 with the configuration file it is given. It tells its parent the
// port over the IPC channel and exits when that channel closes, removing the
// directory its configuration sits in (storage and all), so a test process
// that dies, even by SIGKILL, leaves neither a registry nor its files behind.
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { runServer } from 'verdaccio';

async function main(): Promise<void> {
  const config = process.argv[2];
  if (!config || !process.send) throw new Error('usage: serve.js CONFIG (started by startVerdaccio, with an IPC channel)');
  process.on('disconnect', () => {
    fs.rmSync(path.dirname(path.resolve(config)), { recursive: true, force: true });
    process.exit(0);
  });
  const server = (await runServer(config)) as import('node:http').Server;
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`verdaccio: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
