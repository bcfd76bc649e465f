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
