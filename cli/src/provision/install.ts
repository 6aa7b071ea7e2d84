// Installing Docker on a host that lacks it. Two methods:
//   - an install script from a URL (--engine-install-url, default
//     https://get.docker.com), fetched and piped to sh like the reference;
//   - --engine-install-url=distro: the distribution's own packages
//     (docker.io on Debian/Ubuntu, moby-engine on Fedora, docker on the RHEL
//     family), for offline and locked-down hosts whose mirrors are reachable.
// --engine-install-url=none skips installation (Docker must then be present).
// A host that already has Docker is never reinstalled.
import type { OsRelease } from './os-release';
import { shellQuote } from '../format/quote';
import { packageTool, type Provisioner } from './provisioners';

export const INSTALL_DISTRO = 'distro';
export const INSTALL_NONE = 'none';

export type InstallMethod = { kind: 'url'; url: string } | { kind: 'distro' } | { kind: 'none' };

export function installMethod(installURL: string): InstallMethod {
  const v = installURL.trim();
  if (v === INSTALL_DISTRO) return { kind: 'distro' };
  if (v === INSTALL_NONE) return { kind: 'none' };
  return { kind: 'url', url: v || 'https://get.docker.com' };
}

/** Waits for cloud-init to finish: it runs apt itself and holds the dpkg lock meanwhile. */
const WAIT_CLOUD_INIT = `
if command -v cloud-init >/dev/null 2>&1; then
  # Exit code 2 means "done, with recoverable errors".
  cloud-init status --wait >/dev/null 2>&1 || true
fi
`;

/**
 * apt-get waits for the dpkg lock itself with DPkg::Lock::Timeout (apt ≥ 1.9);
 * older apt fails at once with "Could not get lock", hence the retry loop,
 * which keys on apt's exit code rather than on its (localised) message.
 */
const APT_FUNCTIONS = `
export DEBIAN_FRONTEND=noninteractive
apt_retry() {
  n=0
  until apt-get -o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold "$@"; do
    n=$((n+1)); [ $n -ge 5 ] && return 1; sleep 5
  done
}
`;

/**
 * Keeps the package's maintainer scripts from starting dockerd with the
 * distribution's defaults (a daemon that may not even start, e.g. with a
 * storage driver the host lacks); machine starts it once, configured.
 */
const NO_AUTOSTART_BEGIN = `
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && machine_policy=1
fi
`;

export function installScript(method: InstallMethod, provisioner: Provisioner, os: OsRelease): string {
  const header = `set -e\nPATH="$PATH:/usr/sbin:/sbin"\n${WAIT_CLOUD_INIT}`;
  const tool = packageTool(provisioner, os);
  if (method.kind === 'none') {
    throw new Error('Docker is not installed on the host and --engine-install-url=none forbids installing it. Install Docker on the host, or use --engine-install-url=distro or an install script URL.');
  }
  if (method.kind === 'distro') {
    if (!provisioner.distroPackage || tool === 'none') {
      throw new Error(
        `--engine-install-url=distro does not know the Docker package of ${os.prettyName || os.id || 'this distribution'}. Install Docker on the host, or use an install script URL such as https://get.docker.com.`,
      );
    }
    if (tool === 'apt') {
      return `${header}${APT_FUNCTIONS}${NO_AUTOSTART_BEGIN}
trap '[ -n "$machine_policy" ] && rm -f /usr/sbin/policy-rc.d' EXIT
apt_retry update -qq
apt_retry install -y -qq --no-install-recommends ${provisioner.distroPackage} >/dev/null
`;
    }
    return `${header}${tool} -y install ${provisioner.distroPackage}\n`;
  }
  const url = shellQuote(method.url);
  const fetch = `if command -v curl >/dev/null 2>&1; then curl -fsSL ${url} -o "$script"; else wget -qO "$script" ${url}; fi`;
  let prereq = '';
  if (tool === 'apt') {
    prereq = `${APT_FUNCTIONS}
if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
  apt_retry update -qq && apt_retry install -y -qq --no-install-recommends curl ca-certificates >/dev/null
fi
`;
  } else if (tool === 'dnf' || tool === 'yum') {
    prereq = `command -v curl >/dev/null 2>&1 || ${tool} -y install curl\n`;
  }
  return `${header}${prereq}
if ! command -v docker >/dev/null 2>&1; then
  script=$(mktemp)
  trap 'rm -f "$script"' EXIT
  ${fetch}
  sh "$script"
fi
`;
}
