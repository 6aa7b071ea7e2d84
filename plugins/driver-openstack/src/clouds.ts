// clouds.yaml, as the openstack CLI reads it: the first file found of
// $OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml and
// /etc/openstack/clouds.yaml, with secure.yaml beside it merged over it (for
// the secrets that people keep apart).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { DriverError } from '@machine/driver-sdk';

export interface CloudSettings {
  authUrl?: string;
  username?: string;
  userId?: string;
  password?: string;
  projectName?: string;
  projectId?: string;
  userDomainName?: string;
  userDomainId?: string;
  projectDomainName?: string;
  projectDomainId?: string;
  domainName?: string;
  domainId?: string;
  applicationCredentialId?: string;
  applicationCredentialName?: string;
  applicationCredentialSecret?: string;
  regionName?: string;
  interface?: string;
  cacert?: string;
  insecure?: boolean;
}

type Yaml = Record<string, unknown>;

function configDirs(env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? os.homedir();
  return [process.cwd(), path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'openstack'), '/etc/openstack'];
}

export function cloudsFiles(env: NodeJS.ProcessEnv): string[] {
  const files = configDirs(env).map((d) => path.join(d, 'clouds.yaml'));
  return env.OS_CLIENT_CONFIG_FILE ? [env.OS_CLIENT_CONFIG_FILE, ...files] : files;
}

function readYaml(file: string): Yaml | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc: unknown = parse(text);
    return typeof doc === 'object' && doc !== null ? (doc as Yaml) : {};
  } catch (err) {
    throw new DriverError('invalid-argument', `${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, { flag: 'openstack-cloud' });
  }
}

function merge(base: Yaml, over: Yaml): Yaml {
  const out: Yaml = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? merge(b, v) : v;
  }
  return out;
}

const isObject = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

/** The settings of one cloud; a clear error naming the files when it is not there. */
export function loadCloud(name: string, env: NodeJS.ProcessEnv): CloudSettings {
  const candidates = cloudsFiles(env);
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    throw new DriverError('invalid-argument', `cloud "${name}" was asked for (--openstack-cloud or OS_CLOUD) but there is no clouds.yaml: looked in ${candidates.join(', ')}`, { flag: 'openstack-cloud' });
  }
  let doc = readYaml(file) ?? {};
  const secure = readYaml(path.join(path.dirname(file), 'secure.yaml'));
  if (secure) doc = merge(doc, secure);
  const clouds = isObject(doc.clouds) ? doc.clouds : {};
  const cloud = clouds[name];
  if (!isObject(cloud)) {
    const known = Object.keys(clouds);
    throw new DriverError('invalid-argument', `there is no cloud "${name}" in ${file}${known.length ? ` (it has ${known.join(', ')})` : ''}: check --openstack-cloud or OS_CLOUD`, { flag: 'openstack-cloud' });
  }
  const auth = isObject(cloud.auth) ? cloud.auth : {};
  const regions = Array.isArray(cloud.regions) ? cloud.regions : [];
  const firstRegion = regions.length > 0 ? (isObject(regions[0]) ? text(regions[0].name) : text(regions[0])) : undefined;
  const verify = cloud.verify;
  return {
    authUrl: text(auth.auth_url),
    username: text(auth.username),
    userId: text(auth.user_id),
    password: text(auth.password),
    projectName: text(auth.project_name) ?? text(auth.tenant_name),
    projectId: text(auth.project_id) ?? text(auth.tenant_id),
    userDomainName: text(auth.user_domain_name),
    userDomainId: text(auth.user_domain_id),
    projectDomainName: text(auth.project_domain_name),
    projectDomainId: text(auth.project_domain_id),
    domainName: text(auth.domain_name),
    domainId: text(auth.domain_id),
    applicationCredentialId: text(auth.application_credential_id),
    applicationCredentialName: text(auth.application_credential_name),
    applicationCredentialSecret: text(auth.application_credential_secret),
    regionName: text(cloud.region_name) ?? firstRegion,
    interface: text(cloud.interface) ?? text(cloud.endpoint_type),
    cacert: text(cloud.cacert),
    insecure: verify === false || verify === 'false' ? true : undefined,
  };
}
