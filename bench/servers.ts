import { type FloorKind, SERVER_PROGRAMS } from '../tools/stack/server-program.js';
import { ServiceProcess } from '../tools/stack/service-process.js';

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

/**
 * A floor server (SERVER_PROGRAMS: with Node's default options), with a key prefix of its own: shaservice's key
 * layout differs, and the floors keep the simple one (`<prefix><digest>`, the message as a string) without
 * reading what another server stored.
 */
export async function startFloor(name: FloorKind, redisUrl: string): Promise<Target> {
  const env = { REDIS_URL: redisUrl, KEY_PREFIX: `bench-${name}:` };
  const floor = await ServiceProcess.start({ name, env, program: SERVER_PROGRAMS[name] });
  return { name, url: floor.url, pid: floor.pid, stop: () => floor.stop() };
}
