import { randomUUID } from 'node:crypto';
import { loadConfig } from '../../service/config.js';
import { createLogger } from '../../service/logger.js';
import { createMetrics } from '../../service/metrics.js';
import { createRedisStore } from '../../service/store/redis-store.js';
import { type TestApp, startApp } from './app.js';
import { type Reply, send } from '../../tools/client/http.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { RedisServer } from '../../tools/stack/redis-server.js';

const READY_WITHIN_MS = 10_000;

/** A unique key prefix, so tests sharing one redis-server never see each other's keys. */
export function uniquePrefix(): string {
  return `test-${randomUUID()}:`;
}

/**
 * The real app on a real Redis store built from env-style settings, as main.ts builds it, once ready.
 * `target` is a standalone server, or the topology settings of a Sentinel group or a Cluster.
 */
export async function startRedisApp(
  target: RedisServer | Record<string, string>,
  env: Record<string, string> = {},
): Promise<TestApp> {
  const app = await openRedisApp(target, env);
  // The client connects in the background; until then readiness (rightly) answers 503.
  await pollUntilReady(app);
  return app;
}

/** `startRedisApp` without waiting for readiness: for a Redis the app is not meant to find ready. */
export async function openRedisApp(
  target: RedisServer | Record<string, string>,
  env: Record<string, string> = {},
): Promise<TestApp> {
  const topology = target instanceof RedisServer ? { REDIS_URL: target.url } : target;
  // A generous command timeout unless a test sets its own: a loaded CI machine must not turn slow into 503.
  const settings = {
    ...topology,
    REDIS_KEY_PREFIX: uniquePrefix(),
    REDIS_COMMAND_TIMEOUT_MS: '2000',
    ...env,
  };
  const redis = loadConfig(settings).redis;
  if (!redis) throw new Error('the settings configure no Redis');
  const metrics = createMetrics();
  const store = createRedisStore({ ...redis, logger: createLogger('silent'), metrics });
  return startApp({ store, env: settings, metrics });
}

export async function pollUntilReady(app: TestApp): Promise<void> {
  let last: Reply | undefined;
  await pollUntil(
    'readiness',
    async () => (last = await readiness(app)).status === 200,
    READY_WITHIN_MS,
    50,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; /readyz last answered ${last?.status} ${JSON.stringify(last?.json)}`);
  });
}

export function readiness(app: TestApp): Promise<Reply> {
  return send(app.url, 'GET', '/readyz', { timeoutMs: 5000 });
}
