// Machine images: Debian 12 root filesystems built by the project's one
// recipe (../image/build-rootfs.sh) and imported into an engine. The docker
// driver's machines and the test hosts both come from here.
//
// Each image carries a content label (a hash of the recipe and the build
// options), so an image already on the engine is reused exactly as long as
// it is what the recipe would build now.
import { setTimeout as delay } from 'node:timers/promises';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type Dockerode from 'dockerode';
import { lockFile } from '@machine/driver-sdk/lock';

export type ImageFlavour = 'docker' | 'nodocker' | 'sysvinit';
export const IMAGE_FLAVOURS: readonly ImageFlavour[] = ['docker', 'nodocker', 'sysvinit'];

export const IMAGE_REPOSITORY = 'machine/debian';
/** The docker driver's default machine image: Debian 12, systemd, sshd and Debian's docker.io. */
export const DEFAULT_MACHINE_IMAGE = imageTag('docker');

export const LABEL_CONTENT = 'io.machine.image.content';
export const LABEL_FLAVOUR = 'io.machine.image.flavour';
/** The signal that shuts the image's init down cleanly (`docker import` cannot set STOPSIGNAL). */
export const LABEL_STOP_SIGNAL = 'io.machine.image.stop-signal';

/** Bumped when the import settings below change in a way the recipe's hash cannot see. */
const FORMAT = '1';

export function imageTag(flavour: ImageFlavour): string {
  return `${IMAGE_REPOSITORY}:12-${flavour}`;
}

/** systemd halts on SIGRTMIN+3 (SIGTERM makes it re-execute); sysvinit's inittab halts on SIGINT. */
export function stopSignal(flavour: ImageFlavour): string {
  return flavour === 'sysvinit' ? 'SIGINT' : 'SIGRTMIN+3';
}

/** The engine's API takes fields its type definitions lag behind on. */
export type MachineHostConfig = Dockerode.HostConfig & { CgroupnsMode?: 'host' | 'private' };

/**
 * How a container from these images runs systemd (or sysvinit) and an inner
 * dockerd. `--privileged` is not available on every engine (a capability may
 * be missing from the bounding set), so the container gets every capability
 * the engine can grant instead, no seccomp or AppArmor confinement, the
 * host's cgroup tree, and tmpfs on /run so that init starts clean each boot.
 * Callers add their own mounts, limits and ports.
 */
export function systemdHostConfig(network: string): MachineHostConfig {
  return {
    CapAdd: ['ALL'],
    // The engine cannot grant this one here, and the machine does not need it.
    CapDrop: ['SYS_RESOURCE'],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    Tmpfs: { '/run': 'rw,nosuid,nodev,exec,mode=755', '/run/lock': 'rw,nosuid,nodev,noexec,mode=1777' },
    Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw'],
    CgroupnsMode: 'host',
    NetworkMode: network,
    RestartPolicy: { Name: 'no' },
  };
}

/**
 * System calls a machine's systemd and dockerd never make and that reach
 * past the container: kernel modules and kexec, the file-handle calls of
 * the "shocker" escape, swap and process accounting, the kernel log,
 * perf and userfaultfd (kernel exploitation aids), and the new mount API
 * (the classic mount(2) that systemd and runc use stays allowed).
 */
export const DENIED_SYSCALLS: readonly string[] = [
  'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module',
  'open_by_handle_at', 'name_to_handle_at', 'userfaultfd', 'perf_event_open', 'acct', 'swapon', 'swapoff',
  'lookup_dcookie', 'iopl', 'ioperm', 'syslog',
  'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr',
] as const;

/**
 * The seccomp profile of a machine's container. Docker's default profile
 * cannot be used: it refuses keyctl, and runc inside the machine needs
 * keyctl for every container it starts ("unable to join session keyring").
 * So everything is allowed but DENIED_SYSCALLS, which fail with EPERM.
 */
export function machineSeccompProfile(): string {
  return JSON.stringify({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [...DENIED_SYSCALLS], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
}

/**
 * What a machine's container gets: systemdHostConfig narrowed to what
 * systemd and dockerd need. Docker's default capabilities plus SYS_ADMIN
 * (mounts, namespaces and cgroups for systemd and for the containers
 * dockerd starts) and NET_ADMIN (dockerd's bridge and iptables rules);
 * a seccomp profile (machineSeccompProfile) instead of none. AppArmor stays
 * unconfined: Docker's docker-default profile denies mount(2), without
 * which neither systemd nor dockerd starts.
 */
export function machineHostConfig(network: string): MachineHostConfig {
  return {
    ...systemdHostConfig(network),
    CapAdd: ['SYS_ADMIN', 'NET_ADMIN'],
    CapDrop: [],
    SecurityOpt: [`seccomp=${machineSeccompProfile()}`, 'apparmor=unconfined'],
  };
}

/** MACHINE_IMAGE_RECIPE is for tests: a tiny stand-in recipe (see image/README.md). */
export function recipePath(): string {
  return process.env.MACHINE_IMAGE_RECIPE ?? path.resolve(__dirname, '..', 'image', 'build-rootfs.sh');
}

/** Where the debootstrapped base and the shared .deb files are kept between builds. */
export function defaultCacheDir(): string {
  if (process.env.MACHINE_IMAGE_CACHE) return process.env.MACHINE_IMAGE_CACHE;
  if (process.getuid?.() === 0) return '/var/cache/machine-images';
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'machine', 'images');
}

export interface Mirrors {
  mirror: string;
  securityMirror: string;
}

/**
 * The Debian mirrors this host's apt uses, so that images are built from
 * (and their apt reaches) the same place; Debian's own when none is found.
 */
export function hostMirrors(sourcesDir = '/etc/apt'): Mirrors {
  const found: Mirrors = { mirror: 'http://deb.debian.org/debian', securityMirror: 'http://deb.debian.org/debian-security' };
  const texts: string[] = [];
  for (const file of [path.join(sourcesDir, 'sources.list.d', 'debian.sources'), path.join(sourcesDir, 'sources.list')]) {
    try {
      texts.push(fs.readFileSync(file, 'utf8'));
    } catch {
      // Absent files are normal: either format may be in use.
    }
  }
  const uris: string[] = [];
  for (const text of texts) {
    for (const line of text.split('\n')) {
      const deb822 = /^URIs:\s*(\S+)/.exec(line);
      const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/.exec(line);
      const uri = deb822?.[1] ?? oneLine?.[1];
      if (uri && /^https?:\/\//.test(uri)) uris.push(uri.replace(/\/+$/, ''));
    }
  }
  const security = uris.find((u) => /security/.test(u));
  const main = uris.find((u) => !/security/.test(u));
  if (main) found.mirror = main;
  if (security) found.securityMirror = security;
  return found;
}

export interface ImageIdentity {
  flavour: ImageFlavour;
  /** Defaults to imageTag(flavour). */
  tag?: string;
  /** Defaults to the host's Debian mirrors (hostMirrors()). */
  mirrors?: Mirrors;
  /** Defaults to recipePath(). */
  recipe?: string;
}

function importChanges(flavour: ImageFlavour, content: string): string[] {
  return [
    'CMD ["/sbin/init"]',
    // systemd reads this to know it runs in a container.
    'ENV container=docker',
    `LABEL ${LABEL_CONTENT}=${content} ${LABEL_FLAVOUR}=${flavour} ${LABEL_STOP_SIGNAL}=${stopSignal(flavour)}`,
  ];
}

/** The content label an image of these options carries: changes whenever the recipe or an option does. */
export function imageContentHash(id: ImageIdentity): string {
  const mirrors = id.mirrors ?? hostMirrors();
  const recipe = fs.readFileSync(id.recipe ?? recipePath());
  return crypto
    .createHash('sha256')
    .update(recipe)
    .update(JSON.stringify([FORMAT, id.flavour, mirrors.mirror, mirrors.securityMirror, importChanges(id.flavour, '')]))
    .digest('hex')
    .slice(0, 32);
}

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 404;
}

/** True when the engine has the image under its tag and it is what the recipe builds now. */
export async function imageIsCurrent(opts: ImageIdentity & { docker: Dockerode }): Promise<boolean> {
  const tag = opts.tag ?? imageTag(opts.flavour);
  let info: Dockerode.ImageInspectInfo;
  try {
    info = await opts.docker.getImage(tag).inspect();
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
  return info.Config?.Labels?.[LABEL_CONTENT] === imageContentHash(opts);
}

export interface BuildImageOptions extends ImageIdentity {
  docker: Dockerode;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** Defaults to defaultCacheDir(). */
  cacheDir?: string;
  /** Build even when an up-to-date image is present. */
  force?: boolean;
}

export class ImageBuildError extends Error {
  constructor(
    message: string,
    readonly output: string[] = [],
  ) {
    super(message);
    this.name = 'ImageBuildError';
  }
}

function abortError(): Error {
  const err = new Error('the image build was cancelled');
  err.name = 'AbortError';
  return err;
}

/** Splits "repo/name:tag" into what the engine's import wants; a port in the registry part is not a tag. */
export function splitTag(ref: string): { repo: string; tag: string } {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

/**
 * Builds the image of a flavour and imports it into the engine under its tag,
 * unless an up-to-date one is there already. Needs root and debootstrap on
 * this host; the engine may be remote. Returns the tag.
 */
export async function buildMachineImage(opts: BuildImageOptions): Promise<string> {
  const tag = opts.tag ?? imageTag(opts.flavour);
  const progress = opts.onProgress ?? (() => undefined);
  const mirrors = opts.mirrors ?? hostMirrors();
  const identity: ImageIdentity = { flavour: opts.flavour, tag, mirrors, recipe: opts.recipe };
  if (!opts.force && (await imageIsCurrent({ ...identity, docker: opts.docker }))) {
    progress(`image ${tag} is up to date`);
    return tag;
  }
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  fs.mkdirSync(cacheDir, { recursive: true });
  const release = await acquireLock(path.join(cacheDir, `import-${opts.flavour}.lock`), progress, opts.signal);
  try {
    // Another process may have imported it while this one waited.
    if (!opts.force && (await imageIsCurrent({ ...identity, docker: opts.docker }))) {
      progress(`image ${tag} is up to date`);
      return tag;
    }
    const content = imageContentHash(identity);
    const tarball = path.join(cacheDir, `${opts.flavour}-${process.pid}-${Date.now()}.tar`);
    try {
      progress(`building image ${tag} (flavour ${opts.flavour})`);
      await runRecipe(identity.recipe ?? recipePath(), opts.flavour, tarball, cacheDir, mirrors, progress, opts.signal);
      progress(`importing ${tag} into the engine`);
      await importTarball(opts.docker, tarball, tag, opts.flavour, content, opts.signal);
    } finally {
      fs.rmSync(tarball, { force: true });
    }
    progress(`image ${tag} ready`);
    return tag;
  } finally {
    release();
  }
}

/**
 * Runs `bash RECIPE ARGS…` and polls its owner (the driver) each second;
 * when the owner is gone it ends its own process group, build included.
 */
export const BUILD_WATCHDOG = [
  'bash "$@" & build=$!',
  'while kill -0 "$build" 2>/dev/null; do',
  '  if ! kill -0 "$MACHINE_BUILD_OWNER" 2>/dev/null; then trap "" TERM; kill -TERM -- -$$ 2>/dev/null; sleep 3; kill -KILL -- -$$ 2>/dev/null; fi',
  '  sleep 1',
  'done',
  'wait "$build"',
].join('\n');

async function runRecipe(
  recipe: string,
  flavour: ImageFlavour,
  output: string,
  cacheDir: string,
  mirrors: Mirrors,
  progress: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (signal?.aborted) throw abortError();
  const { spawn } = await import('node:child_process');
  const args = [recipe, '--flavour', flavour, '--output', output, '--cache', cacheDir, '--mirror', mirrors.mirror, '--security-mirror', mirrors.securityMirror];
  // Its own process group, so that cancelling reaches debootstrap and tar
  // too; led by a watchdog that ends the group when this driver is gone
  // (SIGKILL runs no handler here), so a build is never left orphaned.
  const child = spawn('bash', ['-c', BUILD_WATCHDOG, 'build-watchdog', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, MACHINE_BUILD_OWNER: String(process.pid) },
  });
  const tail: string[] = [];
  const onLine = (isErr: boolean) => {
    let buffered = '';
    return (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.replace(/^==> /, '').trimEnd();
        if (!line) continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
        if (!isErr || /^error:/.test(line)) progress(line);
      }
    };
  };
  child.stdout.on('data', onLine(false));
  child.stderr.on('data', onLine(true));
  const onAbort = () => {
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    if (signal?.aborted) throw abortError();
    if (code !== 0) {
      const last = tail.filter((l) => /^error:/.test(l)).pop();
      throw new ImageBuildError(
        `building the ${flavour} machine image failed${last ? `: ${last.replace(/^error:\s*/, '')}` : ` (exit code ${code})`}`,
        tail,
      );
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ImageBuildError('building a machine image needs bash; install it and retry');
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Imports untagged first and tags only a complete import, so that a build
 * cut short never leaves a half image under the real tag.
 */
async function importTarball(docker: Dockerode, tarball: string, tag: string, flavour: ImageFlavour, content: string, signal: AbortSignal | undefined): Promise<void> {
  const changes = importChanges(flavour, content);
  const stream = await docker.importImage(fs.createReadStream(tarball), { changes, message: 'machine image' });
  const events = await new Promise<Array<{ status?: string; error?: string }>>((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, out: Array<{ status?: string; error?: string }>) => (err ? reject(err) : resolve(out)));
  });
  const failed = events.find((e) => e.error);
  if (failed) throw new ImageBuildError(`the engine refused the image: ${failed.error}`);
  const id = events
    .map((e) => e.status ?? '')
    .reverse()
    .find((s) => /^sha256:[0-9a-f]{64}$/.test(s));
  if (!id) throw new ImageBuildError('the engine did not report the imported image id');
  if (signal?.aborted) {
    await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    throw abortError();
  }
  const previous = await docker
    .getImage(tag)
    .inspect()
    .then((i) => i.Id)
    .catch(() => undefined);
  const { repo, tag: version } = splitTag(tag);
  await docker.getImage(id).tag({ repo, tag: version });
  if (previous && previous !== id) {
    // The superseded build would otherwise stay behind, untagged, at several
    // hundred MB; while containers still use it the engine refuses.
    await docker
      .getImage(previous)
      .remove()
      .catch(() => undefined);
  }
  // Older builds whose last containers have gone since. Only this flavour's:
  // the caller holds its lock, so none of them is an import in flight.
  await docker
    .pruneImages({ filters: JSON.stringify({ dangling: ['true'], label: [`${LABEL_FLAVOUR}=${flavour}`] }) })
    .catch(() => undefined);
}


/** The SDK's lock (shared with the core): a live builder's lock is never taken over, a dead one's at once. */
async function acquireLock(file: string, progress: (line: string) => void, signal: AbortSignal | undefined): Promise<() => void> {
  let told = false;
  while (true) {
    if (signal?.aborted) throw abortError();
    try {
      return await lockFile(file, { waitMs: 0, command: 'driver-docker image build' });
    } catch (err) {
      if ((err as Error).name !== 'LockBusyError') throw err;
    }
    if (!told) {
      progress(`waiting for another build of this image (lock ${file})`);
      told = true;
    }
    await delay(500);
  }
}
