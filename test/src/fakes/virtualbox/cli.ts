// The stand-in's VBoxManage executable: like the real one, a thin client of
// a long-lived service (VBoxSVC there, the test's fake here). It sends its
// arguments, working directory and standard input, and prints what the
// service answers with its exit code.
import * as http from 'node:http';

export interface CommandRequest {
  args: string[];
  cwd: string;
  /** Standard input, base64; only read for commands that take "stdin". */
  stdin: string;
}

export interface CommandResponse {
  stdout: string;
  stderr: string;
  code: number;
}

function readStdin(): Promise<Buffer> {
  return new Promise((resolve) => {
    if (process.stdin.isTTY) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks)));
    process.stdin.on('error', () => resolve(Buffer.concat(chunks)));
  });
}

export async function main(endpoint: string): Promise<void> {
  const args = process.argv.slice(2);
  const stdin = args.includes('stdin') ? await readStdin() : Buffer.alloc(0);
  if (!args.includes('stdin')) process.stdin.destroy();
  const body = JSON.stringify({ args, cwd: process.cwd(), stdin: stdin.toString('base64') } satisfies CommandRequest);
  const answer = await new Promise<CommandResponse>((resolve, reject) => {
    const req = http.request(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as CommandResponse);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.on('error', reject);
    req.end(body);
  }).catch((err: Error): CommandResponse => ({
    stdout: '',
    // What the real one says when VBoxSVC cannot be reached.
    stderr: `VBoxManage: error: Failed to create the VirtualBox object!\nVBoxManage: error: Details: ${err.message}\n`,
    code: 1,
  }));
  process.stdout.write(answer.stdout);
  process.stderr.write(answer.stderr);
  process.exitCode = answer.code;
}
