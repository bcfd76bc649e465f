import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { Child } from './child.js';

/** Where a server lives; every field has a default. */
export interface RedisServerOptions {
  /** Default: a free loopback port. */
  port?: number;
  /** Where the AOF lives. Default: a new temporary directory, removed by `destroy`. */
  dir?: string;
  /** stdout and stderr of redis-server; default: discarded. */
  logFile?: string;
  /** More redis-server arguments: `--replicaof`, cluster settings, ... */
  extraArgs?: string[];
}

type Argv = (port: number, dir: string) => string[];

/**
 * A real redis-server of our own, on a loopback port. Tests and the stack kill, pause and restart it; it
 * never touches the machine's shared Redis on 6379.
 */
export class RedisServer {
  private child: Child | undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly argv: Argv,
    private readonly logFile: string | undefined,
  ) {}

  /** A data node with AOF; extra arguments (or `extraArgs`) make it a replica or a cluster node. */
  static async start(options: RedisServerOptions | string[] = {}): Promise<RedisServer> {
    const settings = Array.isArray(options) ? { extraArgs: options } : options;
    const argv: Argv = (port, dir) => [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir],
      ...(settings.extraArgs ?? []),
    ];
    return RedisServer.launch(argv, settings);
  }

  /** A sentinel watching `masterName` at `primaryPort`, quick to declare it down (tests want failovers fast). */
  static async startSentinel(
    masterName: string,
    primaryPort: number,
    downAfterMs = 1000,
  ): Promise<RedisServer> {
    const argv: Argv = (port, dir) => {
      // Sentinel rewrites its configuration file, so it gets one of its own in its directory.
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${masterName} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`,
          `sentinel failover-timeout ${masterName} ${downAfterMs * 5}`,
          `sentinel parallel-syncs ${masterName} 1`,
        ].join('\n'),
      );
      return [conf, '--sentinel'];
    };
    return RedisServer.launch(argv);
  }

  /**
   * Starts redis-server from a config file's text (e.g. one a Helm chart renders), made for the chosen port;
   * only the port, bind address and data directory are set by the test on top of it.
   */
  static async startWithConfig(
    configFor: (port: number, dir: string) => string,
    extraArgs: string[] = [],
  ): Promise<RedisServer> {
    const argv: Argv = (port, dir) => {
      const conf = join(dir, 'redis.conf');
      writeFileSync(conf, configFor(port, dir));
      return [conf, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...extraArgs];
    };
    return RedisServer.launch(argv);
  }

  private static async launch(argv: Argv, options: RedisServerOptions = {}): Promise<RedisServer> {
    const port = options.port ?? (await getPort({ host: '127.0.0.1' }));
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'shaservice-redis-'));
    const server = new RedisServer(port, dir, options.dir === undefined, argv, options.logFile);
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The redis-server process's id while it runs (the bench reads its CPU time). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** Starts the process again on the same port and directory (a data node reloads its AOF). */
  async startProcess(): Promise<void> {
    const child = Child.spawn('redis-server', 'redis-server', this.argv(this.port, this.dir), {
      logFile: this.logFile,
      detached: true,
    });
    this.child = child;
    await child.waitUntil(`redis-server on port ${this.port} to answer PING`, () => this.pings(), 10_000, 25);
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
        // NOAUTH is an answer too: a server with a password is up, it just wants AUTH first.
        resolve(/^(\+PONG|-NOAUTH)/.test(data.toString()));
      });
      socket.once('error', () => resolve(false));
      socket.once('close', () => resolve(false));
    });
  }
}
