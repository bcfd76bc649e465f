import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import getPort from 'get-port';

/**
 * A real redis-server of the test's own, on a free loopback port, with AOF on in a temporary directory.
 * Tests kill, pause and restart it; it never touches the machine's shared Redis on 6379.
 */
export class RedisServer {
  private process: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), 'shaservice-redis-'));

  private constructor(
    readonly port: number,
    private readonly argv: (port: number, dir: string) => string[],
  ) {}

  /** A data node with AOF; `extraArgs` make it a replica (`--replicaof`) or a cluster node. */
  static async start(extraArgs: string[] = []): Promise<RedisServer> {
    const argv = (port: number, dir: string) => [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', dir],
      ...extraArgs,
    ];
    return RedisServer.launch(argv);
  }

  /** A sentinel watching `masterName` at `primaryPort`, quick to declare it down (tests want failovers fast). */
  static async startSentinel(
    masterName: string,
    primaryPort: number,
    downAfterMs = 1000,
  ): Promise<RedisServer> {
    const argv = (port: number, dir: string) => {
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
    const argv = (port: number, dir: string) => {
      const conf = join(dir, 'redis.conf');
      writeFileSync(conf, configFor(port, dir));
      return [conf, '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...extraArgs];
    };
    return RedisServer.launch(argv);
  }

  private static async launch(argv: (port: number, dir: string) => string[]): Promise<RedisServer> {
    const server = new RedisServer(await getPort({ host: '127.0.0.1' }), argv);
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts the process again on the same port and directory (a data node reloads its AOF). */
  async startProcess(): Promise<void> {
    const command = this.argv(this.port, this.dir);
    this.process = spawn('redis-server', command, { stdio: 'ignore' });
    await this.waitUntilAnswering();
  }

  /** Sends the signal and waits until the process has exited and the port is closed. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.process = undefined;
  }

  /** SIGSTOP / SIGCONT: the port stays open but nothing answers, like a Redis stuck on a slow disk. */
  pause(): void {
    this.process?.kill('SIGSTOP');
  }

  resume(): void {
    this.process?.kill('SIGCONT');
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
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async waitUntilAnswering(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.pings()) return;
      await sleep(25);
    }
    throw new Error(`redis-server on port ${this.port} did not answer within ${timeoutMs} ms`);
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

/**
 * Integration suites call this in `before`: without redis-server they skip loudly on a laptop, and fail in CI
 * (REQUIRE_REDIS=1), where a skipped Redis test would hide a missing install.
 */
export function requireRedisServer(context: Mocha.Context): void {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
  } catch {
    if (process.env.REQUIRE_REDIS === '1')
      throw new Error('redis-server is required (REQUIRE_REDIS=1) but missing');
    console.warn('\n  !!! redis-server is not installed: SKIPPING the Redis integration tests !!!\n');
    context.skip();
  }
}
