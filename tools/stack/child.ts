import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here; without it they are discarded. */
  logFile?: string;
}

/**
 * One server process of the stack. It runs in a process group of its own, so a Ctrl-C in the terminal
 * reaches only the launcher, which then stops each server in its own order and with its own signal.
 */
export class Child {
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private spawnError: Error | undefined;

  private constructor(
    readonly name: string,
    private readonly process: ChildProcess,
    private readonly logFile: string | undefined,
  ) {
    this.exited = new Promise((resolve, reject) => {
      process.once('error', (error) => {
        // The program is missing or cannot run: there will be no 'exit' event.
        this.spawnError = error;
        this.exit = { code: null, signal: null };
        reject(error);
      });
      process.once('exit', (code, signal) => resolve((this.exit = { code, signal })));
    });
    // Rejections are read through `exited`; an unobserved one must not crash the launcher.
    this.exited.catch(() => undefined);
  }

  static spawn(name: string, command: string, args: string[], options: ChildOptions = {}): Child {
    const log = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
    try {
      const process = spawn(command, args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', log, log],
        detached: true,
      });
      return new Child(name, process, options.logFile);
    } finally {
      if (typeof log === 'number') closeSync(log);
    }
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.exit === undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** For start-up polls: throws, saying why and where the log is, once the process is no longer running. */
  assertRunning(): void {
    if (this.running) return;
    const why = this.spawnError?.message ?? `exited (${this.process.exitCode ?? this.process.signalCode})`;
    throw new Error(`${this.name}: ${why}${this.logFile ? `; see ${this.logFile}` : ''}`);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.process.kill(signal);
  }

  /** Sends `signal` and waits for the exit; a process still running after `timeoutMs` gets SIGKILL. */
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
