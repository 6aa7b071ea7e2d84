// A small HTTP server for local cloud API endpoints: loopback only, random
// port, a log of every request, and a clean close that drops kept-alive
// connections so tests never hang on exit.
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeRequest {
  method: string;
  /** Path with query string. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export interface LoggedRequest {
  at: number;
  method: string;
  url: string;
  /** Whatever the fake wants to log about the call (an action name, parameters). */
  label: string;
  status: number;
  /** The error code sent back, when the response was an error. */
  error?: string;
}

export interface HttpFake {
  readonly url: string;
  readonly port: number;
  readonly requests: LoggedRequest[];
  close(): Promise<void>;
}

export type FakeHandler = (req: FakeRequest) => Promise<FakeResponse & { label?: string; error?: string }>;

export async function startHttpFake(handler: FakeHandler, options: { host?: string } = {}): Promise<HttpFake> {
  const host = options.host ?? '127.0.0.1';
  const requests: LoggedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: FakeRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
      handler(request)
        .catch((err: unknown) => ({
          status: 500,
          headers: { 'content-type': 'text/plain' },
          body: `fake endpoint failure: ${err instanceof Error ? err.stack ?? err.message : String(err)}`,
          label: 'internal-failure',
          error: 'FakeFailure',
        }))
        .then((out) => {
          requests.push({ at: Date.now(), method: request.method, url: request.url, label: out.label ?? '', status: out.status, error: out.error });
          const body = typeof out.body === 'string' ? Buffer.from(out.body) : out.body;
          res.writeHead(out.status, { 'content-length': String(body.length), ...out.headers });
          res.end(body);
        });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
