import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../tools/stack/service-environment.js';
import { type Stack, startStack } from '../../tools/stack/stack.js';
import { requireCommand } from '../helpers/require-command.js';

// What the end-to-end suites need from Debian, each with arguments it answers with exit 0.
const STACK_COMMANDS: [string, string[]][] = [
  ['openssl', ['version']],
  ['redis-server', ['--version']],
  ['redis-cli', ['--version']],
  ['nginx', ['-v']],
  ['prometheus', ['--version']],
  ['curl', ['--version']],
];

/** In `before` of the end-to-end suites: in CI a missing program fails rather than skips. */
export function requireStackCommands(context: Mocha.Context): void {
  for (const [command, args] of STACK_COMMANDS) requireCommand(context, command, args);
}

// Shorter than the service's 2 s default, so a rolling restart of three replicas takes seconds, not tens.
const SERVICE_ENV = { SHUTDOWN_DELAY_MS: '500', LOG_LEVEL: 'info' };

let stack: Promise<Stack> | undefined;

/**
 * The one stack all end-to-end suites share, started by the first suite that asks (the replicas run
 * `dist/`, so the service is compiled first) and stopped once by the root hook below.
 */
export function useStack(context: Mocha.Context): Promise<Stack> {
  requireStackCommands(context);
  context.timeout(120_000);
  stack ??= (async () => {
    buildService();
    const started = await startStack({ serviceEnv: SERVICE_ENV });
    // Should mocha be interrupted before the root hook runs, no server of the stack outlives it.
    process.once('exit', () => started.killNow());
    return started;
  })();
  return stack;
}

let built = false;

/** Compiles the service to dist/ once per run: the replicas run what the image runs, not the sources. */
export function buildService(): void {
  if (built) return;
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

/** The generated CA certificate, for node's `ca` option. */
export function caOf(running: Stack): Buffer {
  return readFileSync(running.certificates.caFile);
}

// Loaded through .mocharc's `require`, so it runs once after every suite, whichever started the stack.
export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    if (stack) await (await stack.catch(() => undefined))?.stop();
  },
};
