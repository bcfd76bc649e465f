import type { Rendered } from '../chart/render.js';
import type { PlayedRelease } from './release.js';

/** What the chart's sentinels are configured with, read from the rendered sentinel.conf. */
export interface SentinelConfig {
  port: number;
  masterName: string;
}

export function sentinelConfig(rendered: Rendered): SentinelConfig {
  const conf = rendered
    .all('ConfigMap')
    .map((configMap) => configMap.data?.['sentinel.conf'] as string | undefined)
    .find(Boolean);
  const port = /^port (\d+)$/m.exec(conf ?? '')?.[1];
  const masterName = /^sentinel monitor (\S+) /m.exec(conf ?? '')?.[1];
  if (!port || !masterName)
    throw new Error('the render has no sentinel.conf with a port and a monitored primary');
  return { port: Number(port), masterName };
}

/**
 * The pod every running sentinel names as the primary, or undefined while they do not all agree (or none
 * answers). Sentinels announce pods by DNS name, `<pod>.<headless service>...`.
 */
export async function agreedPrimary(
  release: PlayedRelease,
  config: SentinelConfig,
): Promise<string | undefined> {
  const answers = await Promise.all(
    release
      .podsOf('StatefulSet')
      .filter((pod) => release.isRunning(pod.name))
      .map((pod) =>
        release
          .exec(pod.name, 'sentinel', [
            ...['redis-cli', '-p', String(config.port)],
            ...['sentinel', 'get-master-addr-by-name', config.masterName],
          ])
          .then(
            (answer) => answer.split('\n')[0]?.split('.')[0],
            () => undefined,
          ),
      ),
  );
  const [first] = answers;
  return first && answers.every((answer) => answer === first) ? first : undefined;
}

/**
 * Whether the group is settled: the sentinels agree on a primary, and each knows every other running pod as a
 * replica in sync. Sentinels learn replicas from the primary's INFO, every 10 s; a replica they do not know yet
 * is not moved to the new primary by a failover (it goes on following the dead one), so a failover measured
 * before then measures that instead.
 */
export async function settled(release: PlayedRelease, config: SentinelConfig): Promise<boolean> {
  const primary = await agreedPrimary(release, config);
  if (!primary) return false;
  const running = release.podsOf('StatefulSet').filter((pod) => release.isRunning(pod.name));
  const replicas = running.map((pod) => pod.name).filter((name) => name !== primary);
  const known = await Promise.all(
    running.map(async (pod) => {
      const answer = await release
        .exec(pod.name, 'sentinel', [
          ...['redis-cli', '-p', String(config.port)],
          ...['sentinel', 'replicas', config.masterName],
        ])
        .catch(() => '');
      return fieldsOf(answer)
        .filter((replica) => replica.flags === 'slave' && replica['master-link-status'] === 'ok')
        .map((replica) => replica.name?.split('.')[0]);
    }),
  );
  return known.every((names) => replicas.every((replica) => names.includes(replica)));
}

/** redis-cli's answer to SENTINEL REPLICAS, one line per element: `name`, its value, `ip`, its value, ... */
function fieldsOf(answer: string): Record<string, string>[] {
  const lines = answer.split('\n');
  const records: Record<string, string>[] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [key, value] = [lines[i] ?? '', lines[i + 1] ?? ''];
    if (key === 'name') records.push({});
    const record = records.at(-1);
    if (record) record[key] = value;
  }
  return records;
}
