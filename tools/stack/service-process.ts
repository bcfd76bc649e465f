import getPort from 'get-port';
import { send } from '../client/http.js';
import { Child, type Exit } from './child.js';
import { pollUntil } from './poll.js';
import { acceptsConnections } from './probe.js';
import { SERVER_PROGRAMS, type ServerProgram } from './server-program.js';
import { ROOT, serviceEnvironment } from './service-environment.js';

export type LogLine = Record<string, unknown>;

export interface ServiceProcessOptions {
  /** Names it in errors; default `the service`. */
  name?: string;
  /** Service settings (REDIS_URL, LOG_LEVEL, ...), over HOST, PORT and METRICS_PORT set here. */
  env?: Record<string, string>;
  /** Fixed ports, for a stack replica that nginx and Prometheus must find again; default: free ones. */
  port?: number;
  metricsPort?: number;
  /** Runs `service/main.ts` through tsx, which needs no build; default: `dist/main.js`, as the image runs it. */
  sources?: boolean;
  /** Another program in the service's place (a floor of bench/baseline/, see SERVER_PROGRAMS); wins over `sources`. */
  program?: ServerProgram;
  /** Node options before the program, e.g. `--cpu-prof`. */
  nodeArgs?: string[];
  /** stdout and stderr are appended here; without it, stderr is kept in `stderr`. */
  logFile?: string;
  /**
   * Parses its stdout into `logs` as it comes; without it (and a log file), stdout is discarded: under load the
   * service writes a line per request, which reading would cost the reader's CPU.
   */
  readLogs?: boolean;
  /** In a process group of its own: see `ChildOptions.detached`. */
  detached?: boolean;
}

/**
 * The service as an operator runs it, in a process of its own on loopback ports, configured only through the
 * environment: started, polled until ready, read, signalled and stopped. The stack's replicas, the tests and
 * the bench all run it through this.
 */
export class ServiceProcess {
  /** With `readLogs`: every stdout line that is JSON, parsed, in order. */
  readonly logs: LogLine[] = [];
  private readonly child: Child;
  private readonly program: ServerProgram;
  private stdoutText = '';

  private constructor(
    readonly port: number,
    readonly metricsPort: number,
    options: ServiceProcessOptions,
  ) {
    this.program =
      options.program ?? (options.sources ? SERVER_PROGRAMS['service-sources'] : SERVER_PROGRAMS.service);
    const ports = { HOST: '127.0.0.1', PORT: String(port), METRICS_PORT: String(metricsPort) };
    this.child = Child.spawn(
      options.name ?? 'the service',
      process.execPath,
      [...(options.nodeArgs ?? []), ...this.program.args],
      {
        cwd: ROOT,
        env: serviceEnvironment({ ...ports, ...this.program.env, ...options.env }),
        logFile: options.logFile,
        onStdoutLine: options.readLogs ? (line) => this.read(line) : undefined,
        keepStderr: true,
        detached: options.detached,
      },
    );
  }

  /** Spawns the service without waiting for it. */
  static async spawn(options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
    const port = options.port ?? (await getPort({ host: '127.0.0.1' }));
    const metricsPort = options.metricsPort ?? (await getPort({ host: '127.0.0.1', exclude: [port] }));
    return new ServiceProcess(port, metricsPort, options);
  }

  /** Spawns the service and answers once it is ready; one that is not is killed. */
  static async start(options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
    const service = await ServiceProcess.spawn(options);
    try {
      await service.waitUntilReady();
    } catch (error) {
      await service.stop('SIGKILL');
      throw error;
    }
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process id, to read its memory from /proc. */
  get pid(): number {
    const { pid } = this.child;
    if (pid === undefined) throw new Error(`${this.child.name} has no pid: it did not start`);
    return pid;
  }

  get running(): boolean {
    return this.child.running;
  }

  /** Resolves once the process has exited and its output is fully read. */
  get exited(): Promise<Exit> {
    return this.child.exited;
  }

  /** How it exited, or undefined while it runs. */
  get exitStatus(): Exit | undefined {
    return this.child.exitStatus;
  }

  /** With `readLogs`: everything written to stdout so far. */
  get stdout(): string {
    return this.stdoutText;
  }

  /** Without a log file: everything written to stderr so far. */
  get stderr(): string {
    return this.child.stderr;
  }

  /**
   * Polls until `GET /readyz` says 200 (a floor: its own ready route), as Kubernetes waits before it sends
   * traffic: live is not enough, since a process still connecting to Redis answers writes 503 (it fails fast
   * rather than queue them).
   */
  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    // A connection per poll, not fetch's pool: an idle keep-alive connection of ours would be one more for
    // the shutdown tests to see.
    const { readyPath, readyStatus } = this.program;
    const ready = async () =>
      (await send(this.url, 'GET', readyPath, { timeoutMs: 1_000 }).catch(() => undefined))?.status ===
      readyStatus;
    await this.child.waitUntil(`${this.child.name} to be ready`, ready, timeoutMs, 50);
  }

  /** Sends the signal and answers performance.now() at the time, to measure how long the exit takes. */
  signal(signal: NodeJS.Signals): number {
    return this.child.signal(signal);
  }

  /** Sends `signal` (SIGTERM: graceful shutdown) and waits until the process has exited (see `Child.stop`). */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
    return this.child.stop(signal);
  }

  /** Waits for an exit that a signal or a bad setting has set off; throws after `timeoutMs`. */
  async waitForExit(timeoutMs = 10_000): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`${this.child.name} did not exit within ${timeoutMs} ms; stderr:\n${this.stderr}`),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** With `readLogs`: the first log line (already written or still to come) that matches. */
  async waitForLog(matches: (line: LogLine) => boolean, timeoutMs = 5_000): Promise<LogLine> {
    let found: LogLine | undefined;
    await pollUntil(
      'a matching log line',
      () => (found = this.logs.find(matches)) !== undefined || !this.running,
      timeoutMs,
    );
    if (!found)
      throw new Error(`${this.child.name} exited without a matching log line; stdout:\n${this.stdout}`);
    return found;
  }

  /** Whether the API port accepts a TCP connection right now. */
  acceptsConnections(): Promise<boolean> {
    return acceptsConnections(this.port);
  }

  private read(line: string): void {
    this.stdoutText += `${line}\n`;
    try {
      this.logs.push(JSON.parse(line) as LogLine);
    } catch {
      // Not a log line; it stays in `stdout` for the reader to see.
    }
  }
}
