import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { pollUntil } from './poll.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process exited, to compare with the value `signal()` answers. */
  atMs: number;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here; without it, they go where the two options below say. */
  logFile?: string;
  /** Each line of stdout as it comes (a server's log lines); without it, stdout is discarded. */
  onStdoutLine?: (line: string) => void;
  /** Keeps stderr in `stderr`, to say why a process did not start or died; without it, stderr is discarded. */
  keepStderr?: boolean;
  /**
   * Runs it in a process group of its own, so a Ctrl-C in the terminal reaches only the launcher, which then
   * stops each server in its own order and with its own signal; without it, a Ctrl-C reaches it too.
   */
  detached?: boolean;
}

/**
 * One server process started by the stack, a test or the bench: how it exited, its output, and how to stop
 * it (a signal, then SIGKILL after a deadline).
 */
export class Child {
  /** Resolves once the process has exited and its output is fully read; rejects when it could not start. */
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private spawnError: Error | undefined;
  private stderrText = '';

  private constructor(
    readonly name: string,
    private readonly process: ChildProcess,
    private readonly options: ChildOptions,
  ) {
    if (options.onStdoutLine && process.stdout) {
      createInterface({ input: process.stdout, crlfDelay: Infinity }).on('line', options.onStdoutLine);
    }
    process.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderrText += text));
    this.exited = new Promise((resolve, reject) => {
      process.once('error', (error) => {
        // The program is missing or cannot run: there will be no 'exit' event.
        this.spawnError = error;
        this.exit = { code: null, signal: null, atMs: performance.now() };
        reject(error);
      });
      process.once('exit', (code, signal) => (this.exit = { code, signal, atMs: performance.now() }));
      // 'close' comes after 'exit', once stdout and stderr are read to their end.
      process.once('close', () => {
        if (this.exit) resolve(this.exit);
      });
    });
    // Rejections are read through `exited`; an unobserved one must not crash the launcher.
    this.exited.catch(() => undefined);
  }

  static spawn(name: string, command: string, args: string[], options: ChildOptions = {}): Child {
    const log = options.logFile ? openSync(options.logFile, 'a') : undefined;
    try {
      const process = spawn(command, args, {
        cwd: options.cwd,
        env: options.env,
        stdio: [
          'ignore',
          log ?? (options.onStdoutLine ? 'pipe' : 'ignore'),
          log ?? (options.keepStderr ? 'pipe' : 'ignore'),
        ],
        detached: options.detached ?? false,
      });
      return new Child(name, process, options);
    } finally {
      if (log !== undefined) closeSync(log);
    }
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.exit === undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** How it exited, or undefined while it runs. */
  get exitStatus(): Exit | undefined {
    return this.exit;
  }

  /** Everything written to stderr so far, when `keepStderr` is set. */
  get stderr(): string {
    return this.stderrText;
  }

  /** Throws, saying why and where to look, once the process is no longer running. */
  assertRunning(): void {
    if (this.running) return;
    const why = this.spawnError?.message ?? `exited (${this.process.exitCode ?? this.process.signalCode})`;
    const look = this.options.logFile
      ? `; see ${this.options.logFile}`
      : this.options.keepStderr
        ? `; stderr:\n${this.stderr}`
        : '';
    throw new Error(`${this.name}: ${why}${look}`);
  }

  /** Polls `ready` until it is true; throws as soon as the process is gone, or after `timeoutMs`. */
  async waitUntil(
    what: string,
    ready: () => Promise<boolean>,
    timeoutMs: number,
    intervalMs: number,
  ): Promise<void> {
    await pollUntil(
      what,
      async () => {
        this.assertRunning();
        return ready();
      },
      timeoutMs,
      intervalMs,
    );
  }

  /** Sends the signal if it still runs, and answers performance.now() at the time (see `Exit.atMs`). */
  signal(signal: NodeJS.Signals): number {
    const sentAt = performance.now();
    if (this.running) this.process.kill(signal);
    return sentAt;
  }

  /**
   * Sends `signal` and waits for the exit. A process still running after `timeoutMs` gets SIGKILL: the default
   * is above the service's own deadline (SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS, 12 s by default), so only
   * a process that hangs is killed.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit> {
    this.signal(signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
