import getPort from 'get-port';
import { Child } from '../tools/stack/child.js';
import { statusOf } from '../tools/stack/probe.js';
import { ServiceProcess } from '../tools/stack/service-process.js';
import { ROOT } from '../tools/stack/service-environment.js';

/** One server under load: its name in the results, where to send traffic, its pid, and how to stop it. */
export interface Target {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<unknown>;
}

/**
 * shaservice as it runs in production: the built `dist/main.js`, validation and metrics always on, pino at
 * `info` writing one line per request to /dev/null, the cache at its default unless `env` says otherwise.
 * Only the bench's own settings reach it; none leak in from the caller's environment.
 */
export async function startService(
  name: string,
  redisUrl: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Target> {
  // The bench stops it at once; the drain delay only matters behind a load balancer.
  const settings = { REDIS_URL: redisUrl, LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '0', ...env };
  const service = await ServiceProcess.start({ name, env: settings, nodeArgs });
  return { name, url: service.url, pid: service.pid, stop: () => service.stop() };
}

/** The two floors shaservice is compared with, in bench/baseline/. */
export const FLOORS = {
  'koa-floor': 'bench/baseline/koa-floor.ts',
  'node-http': 'bench/baseline/server.ts',
} as const;
export type FloorName = keyof typeof FLOORS;

/**
 * A floor server, with a key prefix of its own: shaservice's key layout may change, and the floors keep the
 * simple one (`<prefix><digest>`, the message as a string) without reading what another server stored.
 */
export async function startFloor(name: FloorName, redisUrl: string): Promise<Target> {
  const port = await getPort({ host: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, PORT: String(port), REDIS_URL: redisUrl, KEY_PREFIX: `bench-${name}:` };
  const floor = Child.spawn(name, process.execPath, ['--import', 'tsx', FLOORS[name]], {
    cwd: ROOT,
    env,
    keepStderr: true,
  });
  // The floors have no health route; a 404 for an unknown digest means it listens and Redis answers.
  const answers = async () => (await statusOf(`${url}/messages/${'0'.repeat(64)}`)) === 404;
  try {
    await floor.waitUntil(`${name} to answer`, answers, 20_000, 50);
  } catch (error) {
    await floor.stop('SIGKILL');
    throw error;
  }
  const { pid } = floor;
  if (pid === undefined) throw new Error(`${name} has no pid`);
  return { name, url, pid, stop: () => floor.stop() };
}
