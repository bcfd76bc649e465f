import { setTimeout as sleep } from 'node:timers/promises';
import { type LoadOptions, type LoadResult, runLoad } from '../client/load.js';
import type { PlayedRelease } from './release.js';

export interface Disrupted {
  load: LoadResult;
  /** When the disruption started and ended, in ms since the load began. */
  startedAt: number;
  endedAt: number;
}

/**
 * The clients' view of a release: each request goes to the next ready API pod, in turn, as an ingress controller
 * sends them to a Service's endpoints. A pod leaves the endpoints as soon as its deletion starts (Kubernetes takes
 * a terminating pod out of its Services at once), so clients move to the other pods while it drains.
 */
export function apiTarget(release: PlayedRelease): () => string {
  let turn = 0;
  return () => {
    const urls = release.apiUrls();
    const url = urls[turn++ % urls.length];
    if (!url) throw new Error(`release ${release.name} has no ready API pod`);
    return url;
  };
}

/** Load through the API pods, with `disrupt` started `afterMs` into it; both are awaited. */
export async function loadWhile(
  release: PlayedRelease,
  options: LoadOptions,
  afterMs: number,
  disrupt: () => Promise<unknown>,
): Promise<Disrupted> {
  const begun = performance.now();
  const loading = runLoad(apiTarget(release), options);
  try {
    await sleep(afterMs);
    const startedAt = performance.now() - begun;
    await disrupt();
    const endedAt = performance.now() - begun;
    return { load: await loading, startedAt, endedAt };
  } catch (error) {
    // The load must not go on into the next scenario.
    await loading.catch(() => undefined);
    throw error;
  }
}
