// The native SSH client, on top of ssh2. One SshConnection carries every
// step of a provisioning run (detection, uploads, configuration) so that a
// create pays for a single handshake. ssh2 is loaded only when a connection
// is opened: commands that never touch SSH must not pay for it.
import { readFile } from 'node:fs/promises';
import type { Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { HostKeyMismatchError, hostKeyLine, sameHostKey } from './hostkey';

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Private key file; when empty, an agent at SSH_AUTH_SOCK is used. */
  keyPath?: string;
}

export interface HostKeyCheck {
  /** The recorded key line; a different key fails the connection. Empty: accept and report. */
  expected?: string;
  /** Named in the mismatch error's fix. */
  machineName?: string;
}

export interface ConnectOptions {
  readyTimeoutMs?: number;
  hostKey?: HostKeyCheck;
  signal?: AbortSignal;
}

export interface ExecOptions {
  stdin?: string | Buffer;
  signal?: AbortSignal;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
  signal?: string;
}

export interface UploadFile {
  path: string;
  content: string | Buffer;
  mode?: number;
}

/** The private key file cannot be read: no retry can help, so waiting stops at once. */
export class SshKeyFileError extends Error {
  constructor(
    readonly keyPath: string,
    cause: unknown,
    verb = 'cannot read',
  ) {
    super(`${verb} the SSH key ${keyPath}: ${(cause as Error).message}`, { cause });
    this.name = 'SshKeyFileError';
  }
}

/**
 * The port accepted the TCP connection but no SSH handshake followed in
 * time: something that is not an SSH server (or a stuck one) listens there.
 */
export class SshNoHandshakeError extends Error {
  constructor(
    readonly target: SshTarget,
    readonly timeoutMs: number,
  ) {
    super(`${target.host}:${target.port} accepted the connection but did not complete an SSH handshake within ${Math.round(timeoutMs / 1000)} s`);
    this.name = 'SshNoHandshakeError';
  }
}

export class SshCommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: ExecResult,
  ) {
    const output = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-15).join('\n');
    super(`remote command failed with exit code ${result.code}${output ? `:\n${output}` : ''}`);
    this.name = 'SshCommandError';
  }
}

type Ssh2Module = typeof import('ssh2');
let ssh2Module: Ssh2Module | undefined;
function loadSsh2(): Ssh2Module {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ssh2Module ??= require('ssh2') as Ssh2Module;
  return ssh2Module;
}

const keyCache = new Map<string, Buffer>();
async function privateKeyFor(target: SshTarget): Promise<Buffer | undefined> {
  if (!target.keyPath) return undefined;
  let key = keyCache.get(target.keyPath);
  if (!key) {
    try {
      key = await readFile(target.keyPath);
    } catch (err) {
      throw new SshKeyFileError(target.keyPath, err);
    }
    // A key ssh2 cannot parse would otherwise fail every attempt of a long wait.
    const parsed = loadSsh2().utils.parseKey(key);
    if (parsed instanceof Error) throw new SshKeyFileError(target.keyPath, parsed, 'cannot use');
    keyCache.set(target.keyPath, key);
  }
  return key;
}

export class SshConnection {
  private sftpSession?: Promise<SFTPWrapper>;
  private closed = false;
  /** The error that ended the connection, if one did. */
  private lostWith?: Error;

  private constructor(
    private readonly client: Client,
    readonly target: SshTarget,
    /** The server's host key as a public-key line, for recording. */
    readonly hostKey: string,
  ) {
    client.on('close', () => {
      this.closed = true;
    });
    // ssh2 may emit several errors over a connection's life (a keepalive
    // time-out, then the socket's loss); an emitter with no listener left
    // would crash the process, so every one is recorded here.
    client.on('error', (err: Error) => {
      this.lostWith ??= err;
      this.closed = true;
    });
  }

  /** Why the connection ended, when an error ended it. */
  get error(): Error | undefined {
    return this.lostWith;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  static async connect(target: SshTarget, options: ConnectOptions = {}): Promise<SshConnection> {
    const { Client: Ssh2Client } = loadSsh2();
    const privateKey = await privateKeyFor(target);
    const client = new Ssh2Client();
    let seenKey = '';
    let mismatch: HostKeyMismatchError | undefined;
    const expected = options.hostKey?.expected;
    const readyTimeout = options.readyTimeoutMs ?? 20_000;
    let tcpConnected = false;
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey,
      agent: privateKey ? undefined : process.env.SSH_AUTH_SOCK,
      readyTimeout,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer): boolean => {
        seenKey = hostKeyLine(key);
        if (expected && !sameHostKey(expected, seenKey)) {
          mismatch = new HostKeyMismatchError(target.host, target.port, expected, seenKey, options.hostKey?.machineName);
          return false;
        }
        return true;
      },
    };
    return new Promise<SshConnection>((resolve, reject) => {
      let settled = false;
      const onAbort = () => finish(new Error('SSH connection cancelled'));
      const finish = (err?: Error) => {
        if (settled) return;
        settled = true;
        options.signal?.removeEventListener('abort', onAbort);
        if (err) {
          client.end();
          const handshakeTimedOut = tcpConnected && (err as Error & { level?: string }).level === 'client-timeout';
          reject(mismatch ?? (handshakeTimedOut ? new SshNoHandshakeError(target, readyTimeout) : err));
        } else {
          resolve(new SshConnection(client, target, seenKey));
        }
      };
      if (options.signal?.aborted) return finish(new Error('SSH connection cancelled'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      client.once('connect', () => {
        tcpConnected = true;
      });
      client.once('ready', () => finish());
      // "on", not "once": after a handshake time-out ssh2 emits a second
      // error when the socket goes ("Connection lost before handshake").
      client.on('error', (err: Error) => finish(err));
      client.once('close', () => finish(new Error('connection closed during the SSH handshake')));
      client.connect(config);
    });
  }

  /** Runs one command; resolves with its output and exit code whatever the code is. */
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise<ExecResult>((resolve, reject) => {
      this.client.exec(command, (err, channel) => {
        if (err) return reject(err);
        collect(channel, options, resolve, reject);
      });
    });
  }

  /** Like exec, but rejects with SshCommandError on a non-zero exit code. */
  async check(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const result = await this.exec(command, options);
    if (result.code !== 0) throw new SshCommandError(command, result);
    return result;
  }

  /**
   * Runs a shell script fed on stdin (a here-document in effect), as root
   * through `sudo -n` when the login user is not root. Nothing in the script
   * is re-quoted, so its content reaches the host verbatim.
   */
  script(body: string, options: { signal?: AbortSignal } = {}): Promise<ExecResult> {
    const shell = this.target.user === 'root' ? 'sh -s' : 'sudo -n sh -s';
    return this.exec(shell, { stdin: body, signal: options.signal });
  }

  async checkScript(body: string, options: { signal?: AbortSignal } = {}): Promise<ExecResult> {
    const result = await this.script(body, options);
    if (result.code !== 0) throw new SshCommandError('sh -s', result);
    return result;
  }

  private sftp(): Promise<SFTPWrapper> {
    this.sftpSession ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.client.sftp((err, sftp) => (err ? reject(err) : resolve(sftp)));
    });
    return this.sftpSession;
  }

  /** Writes files over SFTP as the login user, in parallel on one SFTP session. */
  async upload(files: UploadFile[]): Promise<void> {
    const sftp = await this.sftp();
    await Promise.all(
      files.map(
        (file) =>
          new Promise<void>((resolve, reject) => {
            const data = typeof file.content === 'string' ? Buffer.from(file.content) : file.content;
            sftp.writeFile(file.path, data, { mode: file.mode ?? 0o600 }, (err) =>
              err ? reject(new Error(`cannot write ${file.path} on ${this.target.host}: ${err.message}`)) : resolve(),
            );
          }),
      ),
    );
  }

  /** Reads a remote file over SFTP. */
  async download(path: string): Promise<Buffer> {
    const sftp = await this.sftp();
    return new Promise<Buffer>((resolve, reject) => {
      sftp.readFile(path, (err: Error | undefined, data: Buffer) => (err ? reject(err) : resolve(data)));
    });
  }

  /**
   * Attaches the local terminal to a remote shell or command. A pty is
   * requested only when stdin is a terminal, so piped use keeps clean output.
   * Resolves with the remote exit code.
   */
  interactive(command?: string): Promise<number> {
    const stdin = process.stdin;
    const tty = stdin.isTTY === true;
    const pty = tty
      ? { term: process.env.TERM || 'xterm', rows: process.stdout.rows || 24, cols: process.stdout.columns || 80 }
      : undefined;
    return new Promise<number>((resolve, reject) => {
      const onChannel = (err: Error | undefined, channel: ClientChannel) => {
        if (err) return reject(err);
        let code = 0;
        const onResize = () => channel.setWindow(process.stdout.rows || 24, process.stdout.columns || 80, 0, 0);
        if (tty) {
          stdin.setRawMode(true);
          process.stdout.on('resize', onResize);
        }
        stdin.pipe(channel);
        stdin.resume();
        channel.pipe(process.stdout, { end: false });
        channel.stderr.pipe(process.stderr, { end: false });
        channel.on('exit', (exitCode: number | null, signal?: string) => {
          code = exitCode ?? (signal ? 128 + signalNumber(signal) : 255);
        });
        channel.on('close', () => {
          stdin.unpipe(channel);
          if (tty) {
            stdin.setRawMode(false);
            process.stdout.off('resize', onResize);
          }
          stdin.pause();
          resolve(code);
        });
      };
      if (command === undefined) {
        if (pty) this.client.shell(pty, onChannel);
        else this.client.shell(false, onChannel);
      } else if (pty) {
        this.client.exec(command, { pty }, onChannel);
      } else {
        this.client.exec(command, onChannel);
      }
    });
  }

  close(): void {
    if (!this.closed) this.client.end();
    this.closed = true;
  }
}

function collect(
  channel: ClientChannel,
  options: ExecOptions,
  resolve: (r: ExecResult) => void,
  reject: (e: Error) => void,
): void {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let code = -1;
  let signal: string | undefined;
  const onAbort = () => {
    channel.close();
    reject(new Error('remote command cancelled'));
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  channel.on('data', (d: Buffer) => out.push(d));
  channel.stderr.on('data', (d: Buffer) => err.push(d));
  channel.on('exit', (exitCode: number | null, sig?: string) => {
    if (exitCode !== null && exitCode !== undefined) code = exitCode;
    signal = sig;
  });
  channel.on('close', () => {
    options.signal?.removeEventListener('abort', onAbort);
    resolve({
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
      code: code === -1 ? (signal ? 128 + signalNumber(signal) : 255) : code,
      signal,
    });
  });
  if (options.stdin !== undefined) channel.end(options.stdin);
  else channel.end();
}

function signalNumber(name: string): number {
  const table: Record<string, number> = { HUP: 1, INT: 2, QUIT: 3, KILL: 9, TERM: 15, PIPE: 13 };
  return table[name.replace(/^SIG/, '')] ?? 1;
}
