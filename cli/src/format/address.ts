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
