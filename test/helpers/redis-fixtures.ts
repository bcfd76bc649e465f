import type { TestApp } from './app.js';
import { startRedisApp } from './redis-app.js';
import { RedisCluster, SentinelGroup } from './redis-topologies.js';
import { requireRedisServer } from './require-command.js';
import { RedisServer } from '../../tools/stack/redis-server.js';

export interface FixtureOptions {
  /** A fresh one for each test instead of one for the suite: for tests that kill, pause or fill it. */
  each?: boolean;
  /** Also starts the real app on it with these settings (see `startRedisApp`), closed before it is destroyed. */
  app?: Record<string, string>;
}

/**
 * Mocha hooks that start a topology of real Redis processes before the suite (or each test) and destroy it
 * after. Answers getters of the topology and of the app, valid inside the suite's tests.
 */
function useTopology<Topology extends { destroy(): Promise<void> }>(
  start: () => Promise<Topology>,
  target: (topology: Topology) => RedisServer | Record<string, string>,
  options: FixtureOptions,
): [() => Topology, () => TestApp] {
  let topology: Topology | undefined;
  let app: TestApp | undefined;
  const [setUp, tearDown] = options.each ? [beforeEach, afterEach] : [before, after];
  setUp(async function () {
    requireRedisServer(this);
    topology = await start();
    if (options.app) app = await startRedisApp(target(topology), options.app);
  });
  tearDown(async () => {
    await app?.close();
    await topology?.destroy();
    app = topology = undefined;
  });
  return [() => topology!, () => app!];
}

/** One standalone redis-server with AOF; `args` are more redis-server arguments. */
export function useRedisServer(options: FixtureOptions & { args?: string[] } = {}) {
  const [server, app] = useTopology(
    () => RedisServer.start(options.args ?? []),
    (s) => s,
    options,
  );
  return { server, app };
}

/** A primary, two replicas and three sentinels (see `SentinelGroup`). */
export function useSentinelGroup(options: FixtureOptions = {}) {
  const [group, app] = useTopology(
    () => SentinelGroup.start(),
    (g) => g.env,
    options,
  );
  return { group, app };
}

/** Three primaries with a replica each (see `RedisCluster`). */
export function useRedisCluster(options: FixtureOptions = {}) {
  const [cluster, app] = useTopology(
    () => RedisCluster.start(),
    (c) => c.env,
    options,
  );
  return { cluster, app };
}
