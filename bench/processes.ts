import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import getPort from 'get-port';
import { send } from '../tools/client/http.js';
import { pollUntil } from '../tools/stack/poll.js';
import { ROOT, serviceEnvironment } from '../tools/stack/replica.js';

/** One server under load: where to send traffic, its pid (for RSS and profiles), and how to stop it. */
export interface Target {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
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
  const port = await getPort({ host: '127.0.0.1' });
  const metricsPort = await getPort({ host: '127.0.0.1', exclude: [port] });
  const child = spawn(process.execPath, [...nodeArgs, 'dist/main.js'], {
    cwd: ROOT,
    env: serviceEnvironment({
      HOST: '127.0.0.1',
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      REDIS_URL: redisUrl,
      LOG_LEVEL: 'info',
      // The bench stops it at once; the drain delay only matters behind a load balancer.
      SHUTDOWN_DELAY_MS: '0',
      ...env,
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // /readyz, not /healthz: load sent before the Redis connection is up would be answered 503.
  return waitForHealth(name, `http://127.0.0.1:${port}`, '/readyz', child);
}

/** The bare node:http + ioredis server of bench/baseline/. */
export async function startBaseline(redisUrl: string): Promise<Target> {
  const port = await getPort({ host: '127.0.0.1' });
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/baseline/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), REDIS_URL: redisUrl },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // The baseline has no health route; a 404 for an unknown digest means it listens and Redis answers.
  return waitForHealth('baseline', `http://127.0.0.1:${port}`, `/messages/${'0'.repeat(64)}`, child);
}

async function waitForHealth(name: string, url: string, path: string, child: ChildProcess): Promise<Target> {
  let stderr = '';
  // Kept for the error message of a failed start; bounded, since a process under load could log a lot.
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    if (stderr.length < 10_000) stderr += text;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const late = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(late);
  };
  try {
    await pollUntil(
      `${name} to answer`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${name} exited while starting:\n${stderr}`);
        const reply = await send(url, 'GET', path, { timeoutMs: 1_000 }).catch(() => undefined);
        return reply !== undefined && reply.status < 500;
      },
      20_000,
      50,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  if (child.pid === undefined) throw new Error(`${name} has no pid`);
  return { name, url, pid: child.pid, stop };
}

/** Resident set size of a process in bytes, from /proc (Linux); 0 once the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
