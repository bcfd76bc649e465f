import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { Child } from './child.js';
import { pollUntil } from './poll.js';

export interface RedisServerOptions {
  /** Default: a free loopback port. */
  port?: number;
  /** Where the AOF lives. Default: a new temporary directory, removed by `destroy`. */
  dir?: string;
  /** stdout and stderr of redis-server; default: discarded. */
  logFile?: string;
  extraArgs?: string[];
}

/**
 * A real redis-server of our own, on a loopback port, with AOF on. Tests and the stack kill, pause and
 * restart it; it never touches the machine's shared Redis on 6379.
 */
export class RedisServer {
  private child: Child | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await getPort({ host: '127.0.0.1' }));
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'shaservice-redis-'));
    const server = new RedisServer(port, dir, options.dir === undefined, options);
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** Starts redis-server again on the same port and directory, so it reloads its AOF. */
  async startProcess(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes'];
    const extra = this.options.extraArgs ?? [];
    const child = Child.spawn('redis-server', 'redis-server', [...args, '--dir', this.dir, ...extra], {
      logFile: this.options.logFile,
    });
    this.child = child;
    const answers = async () => {
      child.assertRunning();
      return this.pings();
    };
    await pollUntil(`redis-server on port ${this.port} to answer PING`, answers, 10_000, 25);
  }

  /** Sends the signal and waits until the process has exited (SIGTERM: after writing its AOF). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.child?.stop(signal);
    this.child = undefined;
  }

  /** SIGSTOP / SIGCONT: the port stays open but nothing answers, like a Redis stuck on a slow disk. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  /** Sends a signal without waiting (SIGKILL from an exit handler, which cannot wait). */
  signal(signal: NodeJS.Signals): void {
    this.child?.signal(signal);
  }

  /** Runs a redis-cli command against this server and answers its output. */
  cli(...args: string[]): string {
    return execFileSync('redis-cli', ['-p', String(this.port), '--no-raw', ...args], {
      encoding: 'utf8',
    }).trim();
  }

  async destroy(): Promise<void> {
    this.resume();
    await this.stop('SIGKILL');
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private pings(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(this.port, '127.0.0.1');
      socket.setTimeout(500, () => socket.destroy());
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
  }
}
