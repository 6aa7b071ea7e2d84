// Provisioning a host over SSH: wait for SSH, detect, install Docker when it
// is missing, upload certificates and the daemon configuration, restart the
// engine, and wait until its TLS endpoint answers with the machine's client
// certificate. One SSH connection serves every step; certificate generation
// runs while SSH is being waited for. Each phase is timed.
import * as fs from 'node:fs';
import type { TLSFiles } from '../certs/tls-check';
import { hostPort } from '../format/address';
import { shellQuote } from '../format/quote';
import { SshConnection, type HostKeyCheck, type SshTarget } from '../ssh';
import { waitForDaemon, waitForSsh } from '../wait';
import { daemonArgs, decideStorageDriver, systemdDropIn, sysvinitDefaults, type EngineSettings } from './daemon';
import { configureScript, liveRestoreDaemonJson, STAGED } from './configure';
import { detectionScript, parseDetection, type HostFacts } from './detect';
import { installMethod, installScript } from './install';
import { describeProvisioner, selectProvisioner } from './provisioners';

export interface ServerCertificates {
  caPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  /** The host has installed them and its engine restarted: local copies may replace the old ones. */
  installed?: () => void;
  /** Provisioning failed before the host had them: whatever was staged locally goes. */
  abandoned?: () => void;
}

export interface ProvisionRequest {
  machineName: string;
  driverName: string;
  ssh: SshTarget;
  hostKey?: HostKeyCheck;
  /** Where the engine is checked over TLS (the machine's IP or name). */
  engineHost: string;
  enginePort: number;
  engine: EngineSettings;
  installURL: string;
  /** Sets the host's name to the machine's name (the reference does; registered hosts may opt out). */
  setHostname: boolean;
  /** Produces the CA and a server certificate for engineHost; called once, concurrently with the SSH wait. */
  certificates: () => Promise<ServerCertificates>;
  /** Local CA and client certificate files for the final check. */
  clientTLS: TLSFiles;
  /** Reuse an open connection instead of waiting for SSH. */
  connection?: SshConnection;
  sshTimeoutMs?: number;
  dockerTimeoutMs?: number;
  signal?: AbortSignal;
  /** Progress lines ("Installing Docker..."). */
  step?: (message: string) => void;
}

export interface ProvisionResult {
  hostKey: string;
  provisioner: string;
  dockerVersion: string;
  storageDriver: string;
  installedDocker: boolean;
  warnings: string[];
  /** Milliseconds per phase: sshWait, detection, certificates, install, configuration, daemonWait. */
  phases: Record<string, number>;
}

function unreadableKey(keyPath: string): string | undefined {
  try {
    if (fs.statSync(keyPath).isFile()) {
      fs.accessSync(keyPath, fs.constants.R_OK);
      return undefined;
    }
    return `The machine's SSH key ${keyPath} is not a file.`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `The machine's SSH key ${keyPath} is missing; without it the machine cannot be reached.` : `Cannot read the machine's SSH key ${keyPath}: ${(e as Error).message}`;
  }
}

export class ProvisionError extends Error {
  constructor(
    message: string,
    readonly phase: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProvisionError';
  }
}

export async function provisionHost(req: ProvisionRequest): Promise<ProvisionResult> {
  const step = req.step ?? (() => undefined);
  const phases: Record<string, number> = {};
  const warnings: string[] = [];
  const timed = async <T>(phase: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ProvisionError) throw err;
      throw new ProvisionError(`${phaseLabel(phase)}: ${(err as Error).message}`, phase, { cause: err });
    } finally {
      phases[phase] = Math.round(performance.now() - start);
    }
  };

  // Started now, awaited later: RSA key generation overlaps the network waits.
  const certs = timed('certificates', req.certificates);
  certs.catch(() => undefined);

  let conn = req.connection;
  const ownConnection = !conn;
  let certsInstalled = false;
  try {
    if (!conn) {
      // Waiting for SSH cannot fix a missing key: say so now, naming the file.
      const keyProblem = req.ssh.keyPath ? unreadableKey(req.ssh.keyPath) : undefined;
      if (keyProblem) throw new ProvisionError(keyProblem, 'sshWait');
      step('Waiting for SSH to be available...');
      conn = await timed('sshWait', () =>
        waitForSsh(req.ssh, { timeoutMs: req.sshTimeoutMs, hostKey: req.hostKey, signal: req.signal }),
      );
    }
    const ssh = conn;

    step('Detecting the provisioner...');
    const facts = await timed('detection', async () => {
      const result = await ssh.script(detectionScript(), { signal: req.signal });
      if (result.code !== 0 && /sudo:.*password/i.test(result.stderr)) {
        throw new Error(`user ${req.ssh.user} needs passwordless sudo on the host (sudo asked for a password). Add "${req.ssh.user} ALL=(ALL) NOPASSWD:ALL" to /etc/sudoers.d/, or connect as root.`);
      }
      if (result.code !== 0 && !result.stdout.includes('@@machine:facts')) {
        const why = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-5).join('\n');
        throw new Error(`the detection script failed on the host (exit code ${result.code}): ${why}${req.ssh.user !== 'root' ? ` (user ${req.ssh.user} needs sudo without a password)` : ''}`);
      }
      return parseDetection(result.stdout);
    });
    if (facts.daemonJsonError) throw new ProvisionError(`${facts.daemonJsonError}. Fix it on the host and run "machine provision ${req.machineName}".`, 'detection');
    const provisioner = selectProvisioner(facts.os);
    const label = describeProvisioner(provisioner, facts.init);
    step(`Provisioning with ${label}...`);

    let installedDocker = false;
    let current = facts;
    if (!facts.docker || !facts.dockerd) {
      step('Installing Docker...');
      current = await timed('install', async () => {
        await ssh.checkScript(installScript(installMethod(req.installURL), provisioner, facts.os), { signal: req.signal });
        // The package decides where dockerd lives; look again.
        const again = parseDetection((await ssh.checkScript(detectionScript(), { signal: req.signal })).stdout);
        await ssh.exec(`rm -rf -- ${shellQuote(facts.staging)}`);
        if (!again.dockerd) throw new Error('Docker was installed but no dockerd binary was found on the host');
        return { ...again, storageDriver: '' } satisfies HostFacts;
      });
      installedDocker = true;
    }

    // A storage driver named in daemon.json cannot also be a flag (dockerd refuses to start), so it stays.
    const fixedByDaemonJson = current.daemonJsonKeys.includes('storage-driver');
    if (fixedByDaemonJson && req.engine.storageDriver && req.engine.storageDriver !== current.storageDriver) {
      warnings.push(`/etc/docker/daemon.json already sets "storage-driver", so --storage-driver ${req.engine.storageDriver} was not applied; change it there instead.`);
    }
    const storage = decideStorageDriver(fixedByDaemonJson ? '' : req.engine.storageDriver, current.storageDriver);
    if (storage.warning) warnings.push(storage.warning);

    const tls = await certs;
    step('Copying certs to the remote machine...');
    step('Setting Docker configuration on the remote daemon...');
    await timed('configuration', async () => {
      const rendered = daemonArgs({
        engine: req.engine,
        driverName: req.driverName,
        port: req.enginePort,
        storageDriver: storage.driver,
        daemonJsonKeys: current.daemonJsonKeys,
      });
      // Restarting the engine for new certificates must not stop its containers.
      // Swarm mode refuses live-restore; an engine that has it already needs nothing.
      const keepContainers =
        current.containersRunning > 0 && !current.liveRestore && current.swarmState !== 'active' && !req.engine.arbitraryFlags.some((f) => f.includes('live-restore'));
      warnings.push(...rendered.warnings);
      const files = [
        { path: `${current.staging}/${STAGED.ca}`, content: tls.caPem, mode: 0o644 },
        { path: `${current.staging}/${STAGED.cert}`, content: tls.serverCertPem, mode: 0o644 },
        { path: `${current.staging}/${STAGED.key}`, content: tls.serverKeyPem, mode: 0o600 },
      ];
      if (current.init === 'systemd') {
        files.push({ path: `${current.staging}/${STAGED.dropIn}`, content: systemdDropIn(current.dockerd, rendered.args, req.engine.env), mode: 0o644 });
      } else {
        const defaults = `DOCKERD=${current.dockerd}\n` + sysvinitDefaults(rendered.args, req.engine.env);
        files.push({ path: `${current.staging}/${STAGED.defaults}`, content: defaults, mode: 0o644 });
      }
      if (keepContainers) {
        const json = liveRestoreDaemonJson(current.daemonJson);
        files.push({ path: `${current.staging}/${STAGED.liveDaemonJson}`, content: json.on, mode: 0o644 });
        files.push({ path: `${current.staging}/${STAGED.offDaemonJson}`, content: json.off, mode: 0o644 });
      }
      await ssh.upload(files);
      await ssh.checkScript(
        configureScript({
          staging: current.staging,
          init: current.init,
          hostname: req.setHostname ? req.machineName : '',
          restart: true,
          keepContainers,
        }),
        { signal: req.signal },
      );
    });
    certsInstalled = true;
    tls.installed?.();

    step('Checking connection to Docker...');
    const dockerVersion = await timed('daemonWait', () =>
      waitForDaemon(
        { url: `tcp://${hostPort(req.engineHost, req.enginePort)}`, ...req.clientTLS },
        req.dockerTimeoutMs ?? 120_000,
        req.signal,
        current.init,
      ),
    );
    step('Docker is up and running!');
    return {
      hostKey: ssh.hostKey,
      provisioner: label,
      dockerVersion,
      storageDriver: storage.driver,
      installedDocker,
      warnings,
      phases,
    };
  } finally {
    if (ownConnection) conn?.close();
    if (!certsInstalled) await certs.then((t) => t.abandoned?.(), () => undefined);
  }
}

function phaseLabel(phase: string): string {
  const labels: Record<string, string> = {
    sshWait: 'Waiting for SSH failed',
    detection: 'Detecting the operating system failed',
    certificates: 'Generating the certificates failed',
    install: 'Installing Docker failed',
    configuration: 'Configuring the Docker daemon failed',
    daemonWait: 'The Docker daemon did not come up',
  };
  return labels[phase] ?? phase;
}

