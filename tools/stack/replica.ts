import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../service/config.js';
import { Child, type Exit } from './child.js';
import { pollUntil } from './poll.js';
import { statusOf } from './probe.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The V8 heap settings the image runs with (`ENV NODE_OPTIONS=` in the Dockerfile), read from there. */
export function productionNodeOptions(): string {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const options = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1];
  if (options === undefined) throw new Error('the Dockerfile sets no NODE_OPTIONS');
  return options;
}

/**
 * The environment a service process gets: ours without any of the service's own settings (so a variable
 * left in the caller's shell cannot change what is being run or tested), the image's NODE_OPTIONS (so it
 * collects garbage as in production), plus `settings`.
 */
export function serviceEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const names = new Set(Object.keys(configSchema.properties));
  const inherited = Object.entries(process.env).filter(([name]) => !names.has(name));
  return { ...Object.fromEntries(inherited), NODE_OPTIONS: productionNodeOptions(), ...settings };
}

export interface ReplicaOptions {
  index: number;
  port: number;
  metricsPort: number;
  /** Service settings (REDIS_URL, MAX_BODY_BYTES, ...); ports and HOST are set here. */
  env: Record<string, string>;
  logFile: string;
}

/**
 * One API replica, `node dist/main.js` as the image runs it, on fixed loopback ports so that nginx and
 * Prometheus find it again after a restart (as a pod keeps its Service).
 */
export class Replica {
  private child: Child | undefined;

  constructor(private readonly options: ReplicaOptions) {}

  get index(): number {
    return this.options.index;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  /** host:port of /metrics: Prometheus' `instance` label of this replica. */
  get metricsAddress(): string {
    return `127.0.0.1:${this.options.metricsPort}`;
  }

  /** stdout and stderr: one JSON line per request. */
  get logFile(): string {
    return this.options.logFile;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** The process id while it runs, to read its memory from /proc. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Starts the process and answers once /readyz says 200 (its Redis round trip works). */
  async start(): Promise<void> {
    if (this.running) throw new Error(`replica ${this.index} is already running`);
    const { port, metricsPort, env, logFile } = this.options;
    const settings = { ...env, HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: String(metricsPort) };
    const child = Child.spawn(`replica ${this.index}`, process.execPath, [join(ROOT, 'dist/main.js')], {
      cwd: ROOT,
      env: serviceEnvironment(settings),
      logFile,
    });
    this.child = child;
    await pollUntil(
      `replica ${this.index} to be ready`,
      async () => {
        child.assertRunning();
        return (await statusOf(`${this.url}/readyz`)) === 200;
      },
      20_000,
      50,
    );
  }

  /** Sends a signal without waiting (SIGKILL from an exit handler, which cannot wait). */
  signal(signal: NodeJS.Signals): void {
    this.child?.signal(signal);
  }

  /** Sends `signal` (SIGTERM: graceful shutdown) and waits until the process has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit | undefined> {
    const exit = await this.child?.stop(signal);
    this.child = undefined;
    return exit;
  }
}
