import * as fs from 'node:fs';
import * as path from 'node:path';
import { MachineError } from '../errors';
import { dockerVersion, parseDockerURL } from '../certs/tls-check';
import { dockerVersionError } from '../certs/go-wording';
import { runningURL, tlsFilesOf, withHeading } from '../query/machine-info';
import { jsonDocument } from '../format/json';
import type { CommandSpec } from '../command/spec';
import { cliRoot } from '../root';

/**
 * Version and commit, written at build time to lib/build.json; `packaging`
 * is "sea" in the single-file executable (scripts/package.js).
 */
export function buildInfo(): { version: string; commit: string; packaging?: string } {
  const root = cliRoot();
  let version = '0.0.0';
  let commit = 'unknown';
  let packaging: string | undefined;
  try {
    version = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // keep the default
  }
  try {
    const stamp = JSON.parse(fs.readFileSync(path.join(root, 'lib', 'build.json'), 'utf8')) as { commit?: string; packaging?: string };
    commit = stamp.commit || commit;
    packaging = stamp.packaging;
  } catch {
    // not built through npm run build
  }
  return { version, commit, packaging };
}

export const spec: CommandSpec = {
  id: 'version',
  summary: 'Show the machine version or a machine\'s docker version',
  args: [{ name: 'name', description: 'machine whose Docker daemon version to print' }],
  // More than one name is refused by targetName, with the reference's text.
  extraWords: true,
  readOnly: true,
  fastPath: true,
  flags: {
    json: { type: 'boolean', description: 'Print Version and Commit (and Packaging in the single-file build), or with NAME the machine\'s DockerVersion, as one JSON document' },
  },
  async run(ctx, { flags, args }) {
    const json = flags.json === true;
    if (args.length === 0) {
      const b = buildInfo();
      ctx.out(
        json
          ? jsonDocument({ Version: b.version, Commit: b.commit, ...(b.packaging ? { Packaging: b.packaging } : {}) })
          : `machine version ${b.version}, build ${b.commit}${b.packaging ? ` (${b.packaging})` : ''}`,
      );
      return;
    }
    const host = ctx.loadHost(ctx.targetName(args));
    let url: string;
    try {
      url = await runningURL(ctx, host);
    } catch (e) {
      throw withHeading('Unable to query docker version', e);
    }
    let version: string;
    try {
      version = await dockerVersion({ url, ...tlsFilesOf(host), timeoutMs: 20_000 });
    } catch (e) {
      // The reference's words (net/http's and crypto/x509's), which scripts grep.
      const { host: address, port } = parseDockerURL(url);
      throw new MachineError('tls', dockerVersionError(e, address, port));
    }
    ctx.out(json ? jsonDocument({ Name: host.Name, DockerVersion: version }) : version);
  },
};
