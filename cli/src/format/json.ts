/**
 * What every read command's --json prints: one JSON document, two-space
 * indented, ending in a newline (ctx.out adds it). Machine documents use the
 * reference's Go field names (Name, URL, DockerVersion), so --json and
 * --format templates of a command agree; driver ls/inspect and certs keep
 * the lower-case keys they first shipped with. The schemas are in
 * docs/cli.md ("--json").
 */
export function jsonDocument(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
