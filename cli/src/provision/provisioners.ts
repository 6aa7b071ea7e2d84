// The provisioners: which distribution a host runs decides how Docker is
// installed from packages and how the daemon's service is configured. The
// list is ordered and matched first-wins, so selection is deterministic
// (the reference iterated a map and could pick differently between runs).
import type { OsRelease } from './os-release';

export type PackageFamily = 'apt' | 'dnf' | 'yum' | 'none';
export type InitSystem = 'systemd' | 'sysvinit';

export interface Provisioner {
  /** Shown as "Provisioning with NAME...". */
  name: string;
  family: PackageFamily;
  /** Package that provides the Docker engine from the distribution's own repositories. */
  distroPackage?: string;
  matches(os: OsRelease): boolean;
}

const isId = (...ids: string[]) => (os: OsRelease) => ids.includes(os.id);
const isLike = (...ids: string[]) => (os: OsRelease) => ids.includes(os.id) || os.idLike.some((l) => ids.includes(l));

export const PROVISIONERS: readonly Provisioner[] = [
  { name: 'ubuntu', family: 'apt', distroPackage: 'docker.io', matches: isId('ubuntu') },
  { name: 'debian', family: 'apt', distroPackage: 'docker.io', matches: isId('debian', 'raspbian') },
  { name: 'fedora', family: 'dnf', distroPackage: 'moby-engine', matches: isId('fedora') },
  { name: 'centos', family: 'yum', distroPackage: 'docker', matches: isId('centos') },
  { name: 'rocky', family: 'dnf', distroPackage: 'docker', matches: isId('rocky', 'almalinux') },
  { name: 'redhat', family: 'yum', distroPackage: 'docker', matches: isId('rhel', 'ol') },
  // Derivatives that declare their parent.
  { name: 'debian', family: 'apt', distroPackage: 'docker.io', matches: isLike('debian', 'ubuntu') },
  { name: 'redhat', family: 'yum', distroPackage: 'docker', matches: isLike('rhel', 'centos', 'fedora') },
];

const GENERIC: Provisioner = { name: 'generic', family: 'none', matches: () => true };

/**
 * Picks the provisioner for a host. Unknown distributions still provision
 * (through the install URL, or with Docker already present) as "generic".
 */
export function selectProvisioner(os: OsRelease): Provisioner {
  return PROVISIONERS.find((p) => p.matches(os)) ?? GENERIC;
}

/** "debian(systemd)", "generic(sysvinit)": what the user sees. */
export function describeProvisioner(p: Provisioner, init: InitSystem): string {
  return `${p.name}(${init})`;
}

/** yum on RHEL/CentOS 7 and older, dnf afterwards. */
export function packageTool(p: Provisioner, os: OsRelease): PackageFamily {
  if (p.family === 'yum' && parseInt(os.versionId, 10) >= 8) return 'dnf';
  return p.family;
}
