import { setTimeout as sleep } from 'node:timers/promises';
import type { Exit } from './child.js';
import { SERVER_PROGRAMS, type ServerProgram } from './server-program.js';
import { ServiceProcess } from './service-process.js';

export interface ReplicaOptions {
  index: number;
  port: number;
  metricsPort: number;
  /** Service settings (REDIS_URL, MAX_BODY_BYTES, ...); ports and HOST are set here. */
  env: Record<string, string>;
  logFile: string;
  /** What it runs; default the service as the image runs it (`SERVER_PROGRAMS.service`). */
  program?: ServerProgram;
}

/**
 * One API replica, `node dist/main.js` as the image runs it (or a floor of bench/baseline/ in its place), on fixed loopback ports so that nginx and
 * Prometheus find it again after a restart (as a pod keeps its Service).
 */
// Restart delays after a replica dies: 1 s, doubling up to 30 s (a pod's CrashLoopBackOff starts at 10 s and
// grows to 5 minutes; a stack on a laptop should come back sooner).
const FIRST_RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 30_000;

export class Replica {
  private service: ServiceProcess | undefined;
  private restarting = false;

  private readonly program: ServerProgram;

  constructor(private readonly options: ReplicaOptions) {
    this.program = options.program ?? SERVER_PROGRAMS.service;
  }

  get index(): number {
    return this.options.index;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  /** Where a readiness probe GETs: /readyz of the service, a floor's own route. */
  get readyUrl(): string {
    return `${this.url}${this.program.readyPath}`;
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
    return this.service?.running ?? false;
  }

  /** The process id while it runs, to read its memory from /proc. */
  get pid(): number | undefined {
    return this.running ? this.service?.pid : undefined;
  }

  /**
   * Starts the process and answers once /readyz says 200 (its Redis round trip works; a floor: its ready route). One that is not ready
   * in time keeps running, as Kubernetes leaves an unready pod running.
   */
  async start(): Promise<void> {
    if (this.running) throw new Error(`replica ${this.index} is already running`);
    const { port, metricsPort, env, logFile } = this.options;
    const name = `replica ${this.index}`;
    const { program } = this;
    this.service = await ServiceProcess.spawn({
      name,
      port,
      metricsPort,
      env,
      logFile,
      program,
      detached: true,
    });
    await this.service.waitUntilReady();
  }

  /** Sends a signal without waiting (SIGKILL from an exit handler, which cannot wait). */
  signal(signal: NodeJS.Signals): void {
    this.service?.signal(signal);
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
    const service = this.service;
    void service?.exited.then(async (exit) => {
      if (!this.restarting || this.service !== service) return;
      const delayMs = Math.min(FIRST_RESTART_DELAY_MS * 2 ** failures, MAX_RESTART_DELAY_MS);
      report(`replica ${this.index} exited (${exit.code ?? exit.signal}); restarting in ${delayMs / 1000} s`);
      await sleep(delayMs);
      if (!this.restarting || this.service !== service) return;
      this.service = undefined;
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
    const exit = await this.service?.stop(signal);
    this.service = undefined;
    return exit;
  }
}
