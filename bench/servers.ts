import getPort from 'get-port';
import { Child } from '../tools/stack/child.js';
import { statusOf } from '../tools/stack/probe.js';
import { ServiceProcess } from '../tools/stack/service-process.js';
import { ROOT } from '../tools/stack/service-environment.js';

/** One server under load: where to send traffic, its pid (for RSS and profiles), and how to stop it. */
export interface Target {
  url: string;
  pid: number;
  stop(): Promise<unknown>;
}

/**
 * shaservice as it runs in production: the built `dist/main.js`, validation and metrics always on, pino at
 * `info` writing one line per request to /dev/null, the cache at its default unless `env` says otherwise.
 * Only the bench's own settings reach it; none leak in from the caller's environment.
 */
export function startService(
  name: string,
  redisUrl: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<ServiceProcess> {
  // The bench stops it at once; the drain delay only matters behind a load balancer.
  const settings = { REDIS_URL: redisUrl, LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '0', ...env };
  return ServiceProcess.start({ name, env: settings, nodeArgs });
}

/** The bare node:http + ioredis server of bench/baseline/. */
export async function startBaseline(redisUrl: string): Promise<Target> {
  const port = await getPort({ host: '127.0.0.1' });
  const url = `http://127.0.0.1:${port}`;
  const baseline = Child.spawn(
    'baseline',
    process.execPath,
    ['--import', 'tsx', 'bench/baseline/server.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl },
      keepStderr: true,
    },
  );
  // The baseline has no health route; a 404 for an unknown digest means it listens and Redis answers.
  const answers = async () => (await statusOf(`${url}/messages/${'0'.repeat(64)}`)) === 404;
  try {
    await baseline.waitUntil('baseline to answer', answers, 20_000, 50);
  } catch (error) {
    await baseline.stop('SIGKILL');
    throw error;
  }
  const { pid } = baseline;
  if (pid === undefined) throw new Error('baseline has no pid');
  return { url, pid, stop: () => baseline.stop() };
}
