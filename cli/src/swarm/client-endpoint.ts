// Where `env --swarm` and `config --swarm` point the docker client. Swarm
// mode answers on a manager's own engine, so a manager is its own endpoint
// and a worker's is a manager of its cluster that answers. A Swarm classic
// master (a store written by Docker Machine) keeps its swarm port.
import { parseDockerURL } from '../certs/tls-check';
import { MachineError, errorMessage } from '../errors';
import type { HostConfig } from '../store/types';
import { swarmRecord } from './record';

export interface SwarmEndpoint {
  /** The machine whose certificates and URL the client uses. */
  host: HostConfig;
  url: string;
}

/**
 * `check` is the command's connection check (it returns the engine URL of a
 * running machine, or throws); `all` is every machine of the store;
 * `heading` starts the message for a machine that is no swarm master, as the
 * reference words it inside its connection check.
 */
export async function swarmEndpoint(host: HostConfig, all: HostConfig[], check: (h: HostConfig) => Promise<string>, heading: string): Promise<SwarmEndpoint> {
  const member = swarmRecord(host);
  if (member?.Role === 'worker') {
    const managers = all.filter((h) => {
      const r = swarmRecord(h);
      return r?.Role === 'manager' && r.ClusterID === member.ClusterID;
    });
    if (managers.length === 0) {
      throw new MachineError('usage', `"${host.Name}" is a swarm worker and no machine is a manager of its swarm; run "machine env NAME" for a manager`);
    }
    const failures: string[] = [];
    for (const manager of managers) {
      try {
        return { host: manager, url: await check(manager) };
      } catch (err) {
        // With one manager its own error is the clearest answer.
        if (managers.length === 1) throw err;
        failures.push(`${manager.Name}: ${errorMessage(err)}`);
      }
    }
    throw new MachineError('swarm', `"${host.Name}" is a swarm worker and no manager of its swarm answers (${failures.join('; ')})`);
  }
  if (member) return { host, url: await check(host) };
  const so = host.HostOptions.SwarmOptions;
  // Refused before any connection, as the reference does.
  if (!so.Master) throw new MachineError('usage', `${heading}: "${host.Name}" is not a swarm master. The --swarm flag is intended for use with swarm masters`);
  const url = await check(host);
  return { host, url: `tcp://${parseDockerURL(url).host}:${/:(\d+)$/.exec(so.Host)?.[1] ?? '3376'}` };
}
