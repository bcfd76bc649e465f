import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../service/config-schema.js';
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
// Restart delays after a replica dies: 1 s, doubling up to 30 s (a pod's CrashLoopBackOff starts at 10 s and
// grows to 5 minutes; a stack on a laptop should come back sooner).
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;

export class Replica {
  private child: Child | undefined;
  private restarting = false;

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

  /**
   * From now on, whenever the process exits without `stop()` (it crashed or was killed), starts it again after
   * a delay that grows while restarts keep failing, as a pod with `restartPolicy: Always` is restarted.
   */
  restartWhenItDies(report: (line: string) => void): void {
    this.restarting = true;
    this.watch(report, 0);
  }

  private watch(report: (line: string) => void, failures: number): void {
    const child = this.child;
    void child?.exited.then(async (exit) => {
      if (!this.restarting || this.child !== child) return;
      const delayMs = Math.min(FIRST_RESTART_DELAY_MS * 2 ** failures, MAX_RESTART_DELAY_MS);
      report(`replica ${this.index} exited (${exit.code ?? exit.signal}); restarting in ${delayMs / 1000} s`);
      await sleep(delayMs);
      if (!this.restarting || this.child !== child) return;
      this.child = undefined;
      try {
        await this.start();
        report(`replica ${this.index} is ready again`);
        this.watch(report, 0);
      } catch (error) {
        report(`replica ${this.index} did not come back: ${(error as Error).message}`);
        this.watch(report, failures + 1);
      }
    });
  }

  /** Sends `signal` (SIGTERM: graceful shutdown) and waits until the process has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit | undefined> {
    this.restarting = false;
    const exit = await this.child?.stop(signal);
    this.child = undefined;
    return exit;
  }
}
