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
    private readonly extraArgs: string[],
    private readonly configFile?: string,
  ) {}

  static async start(extraArgs: string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await getPort({ host: '127.0.0.1' }), extraArgs);
    await server.startProcess();
    return server;
  }

  /**
   * Starts redis-server from a config file's text (e.g. one a Helm chart renders), made for the chosen port;
   * only the port, bind address and data directory are set by the test on top of it.
   */
  static async startWithConfig(
    configFor: (port: number, dir: string) => string,
    extraArgs: string[] = [],
  ): Promise<RedisServer> {
    const port = await getPort({ host: '127.0.0.1' });
    const server = new RedisServer(port, extraArgs, 'redis.conf');
    writeFileSync(join(server.dir, 'redis.conf'), configFor(port, server.dir));
    await server.startProcess();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server again on the same port and directory, so it reloads its AOF. */
  async startProcess(): Promise<void> {
    const place = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir];
    const args = this.configFile
      ? [join(this.dir, this.configFile), ...place]
      : [...place, '--save', '', '--appendonly', 'yes'];
    this.process = spawn('redis-server', [...args, ...this.extraArgs], {
      stdio: 'ignore',
    });
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
