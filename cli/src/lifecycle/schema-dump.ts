// Prints a driver's flag schema as JSON on stdout. create's help runs it in
// a child process because oclif needs the flags synchronously.
import { DriverRegistry } from '../discovery/registry';

async function main(): Promise<void> {
  const name = process.argv[2];
  const reg = new DriverRegistry({});
  try {
    const client = await reg.get(name);
    process.stdout.write(JSON.stringify(await client.schema()));
  } finally {
    await reg.closeAll();
  }
}

main().catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
});
