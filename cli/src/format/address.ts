// The one place an address meets a port: IPv6 literals need brackets in
// URLs, Host headers, known_hosts and user@host:path forms.
import * as net from 'node:net';

/** host as it goes before ":port" or in a URL: an IPv6 literal in brackets. */
export function bracketHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

/** host:port, IPv6 literals bracketed. */
export function hostPort(host: string, port: number): string {
  return `${bracketHost(host)}:${port}`;
}

/**
 * Why `s` is neither an IP address nor a host name (RFC 1123), or
 * undefined. A name whose last label is all digits is a mistyped IPv4
 * address (999.1.1.1), and nothing may start with "-", where a program
 * handed the address would read an option.
 */
export function hostAddressProblem(s: string): string | undefined {
  if (net.isIP(s)) return undefined;
  if (s === '') return 'it is empty';
  if (s.startsWith('-')) return 'it starts with "-"';
  if (s.length > 253) return 'it is longer than 253 characters';
  const labels = s.replace(/\.$/, '').split('.');
  if (labels.every((l) => /^\d+$/.test(l))) return 'it is not a valid IP address';
  for (const l of labels) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l)) return 'it is neither an IP address nor a host name';
  }
  if (/^\d+$/.test(labels[labels.length - 1])) return 'it is not a valid IP address';
  return undefined;
}

/** tcp://HOST:PORT split into its parts, or why it is not one. */
export function parseTcpHostPort(url: string): { host: string; port: number } | { problem: string } {
  const m = /^tcp:\/\/(\[([^\]]*)\]|[^/:[\]]*)(?::([^/]*))?(.*)$/i.exec(url);
  if (!m) return { problem: 'it must look like tcp://HOST:PORT' };
  const host = m[2] ?? m[1];
  if (m[2] !== undefined && !net.isIPv6(host)) return { problem: `"${host}" in brackets is not an IPv6 address` };
  const hostProblem = hostAddressProblem(host);
  if (hostProblem) return { problem: `its host "${host}": ${hostProblem}` };
  if (m[3] === undefined || m[3] === '') return { problem: 'it has no port; it must look like tcp://HOST:PORT' };
  const port = /^\d{1,5}$/.test(m[3]) ? Number(m[3]) : NaN;
  if (!(port >= 1 && port <= 65535)) return { problem: `its port "${m[3]}" is not a number between 1 and 65535` };
  if (m[4] !== '') return { problem: `it has a path "${m[4]}"; it must be just tcp://HOST:PORT` };
  return { host, port };
}
