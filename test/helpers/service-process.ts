import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import getPort from 'get-port';
import { send } from '../../tools/client/http.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { acceptsConnections } from '../../tools/stack/probe.js';
import { ROOT, serviceEnvironment } from '../../tools/stack/replica.js';

export type LogLine = Record<string, unknown>;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process exited, to compare with the value `signal()` answers. */
  atMs: number;
}

/**
 * The service as an operator runs it: `node --import tsx service/main.ts` in its own process, configured only
 * through the environment, on free loopback ports, with its stdout log lines parsed as they arrive.
 */
export class ServiceProcess {
  /** Every stdout line that is JSON, parsed, in order. */
  readonly logs: LogLine[] = [];
  /** Resolves once the process has exited and its stdout and stderr are fully read. */
  readonly exited: Promise<ProcessExit>;
  private stdoutText = '';
  private stderrText = '';
  private exit: ProcessExit | undefined;

  private constructor(
    readonly port: number,
    readonly metricsPort: number,
    private readonly child: ChildProcess,
  ) {
    const stdout = createInterface({ input: child.stdout!, crlfDelay: Infinity });
    stdout.on('line', (line) => {
      this.stdoutText += `${line}\n`;
      try {
        this.logs.push(JSON.parse(line) as LogLine);
      } catch {
        // Not a log line; it stays in `stdout` for the test to see.
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderrText += text));
    child.once('exit', (code, signal) => (this.exit = { code, signal, atMs: performance.now() }));
    this.exited = new Promise((resolve) => child.once('close', () => resolve(this.exit!)));
  }

  /**
   * Spawns the service without waiting for it. Settings the test runner's own environment may hold are
   * removed, so only `env` (over small test defaults) configures it.
   */
  static async spawn(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const port = await getPort({ host: '127.0.0.1' });
    const metricsPort = await getPort({ host: '127.0.0.1', exclude: [port] });
    const child = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
      cwd: ROOT,
      env: serviceEnvironment({
        HOST: '127.0.0.1',
        PORT: String(port),
        METRICS_PORT: String(metricsPort),
        LOG_LEVEL: 'info',
        SHUTDOWN_DELAY_MS: '200',
        ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(port, metricsPort, child);
  }

  /**
   * Spawns the service and answers once `GET /readyz` says 200, as Kubernetes waits before it sends traffic:
   * live is not enough, since a process still connecting to Redis answers writes 503 (it fails fast rather
   * than queue them).
   */
  static async start(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await ServiceProcess.spawn(env);
    try {
      await service.waitUntilReady();
    } catch (error) {
      await service.kill();
      throw error;
    }
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The process id, to read its memory from /proc. */
  get pid(): number {
    return this.child.pid!;
  }

  /** How it exited, or undefined while it runs. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /** Everything written to stdout so far. */
  get stdout(): string {
    return this.stdoutText;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.stderrText;
  }

  /** Sends the signal and answers performance.now() at the time, to measure how long the exit takes. */
  signal(signal: NodeJS.Signals): number {
    const sentAt = performance.now();
    this.child.kill(signal);
    return sentAt;
  }

  async waitForExit(timeoutMs = 10_000): Promise<ProcessExit> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`service did not exit within ${timeoutMs} ms; stderr:\n${this.stderr}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Answers the first log line (already written or still to come) that matches. */
  async waitForLog(matches: (line: LogLine) => boolean, timeoutMs = 5_000): Promise<LogLine> {
    let found: LogLine | undefined;
    await pollUntil(
      'a matching log line',
      () => (found = this.logs.find(matches)) !== undefined || this.exit !== undefined,
      timeoutMs,
    );
    if (!found) throw new Error(`the service exited without a matching log line; stdout:\n${this.stdout}`);
    return found;
  }

  async waitUntilReady(timeoutMs = 30_000): Promise<void> {
    await pollUntil(
      'GET /readyz to answer 200',
      async () => {
        if (this.exit) {
          throw new Error(`the service exited (${this.exit.code}) while starting; stderr:\n${this.stderr}`);
        }
        const reply = await send(this.url, 'GET', '/readyz', { timeoutMs: 1_000 }).catch(() => undefined);
        return reply?.status === 200;
      },
      timeoutMs,
    );
  }

  /** Whether the API port accepts a TCP connection right now. */
  acceptsConnections(): Promise<boolean> {
    return acceptsConnections(this.port);
  }

  /** For `after` hooks: SIGKILLs the process if it still runs, and waits until it is gone. */
  async kill(): Promise<void> {
    if (this.exit === undefined) this.child.kill('SIGKILL');
    await this.exited;
  }
}
