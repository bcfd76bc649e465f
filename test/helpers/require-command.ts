import { rendererName } from '../../tools/chart/render.js';
import { hasCommand } from '../../tools/has-command.js';

/**
 * Suites that need a tool call this in `before`. Like `requireRedisServer`: on a laptop without the tool they
 * skip loudly; in CI (CI=true, as .ci/run runs) a missing tool is an error, since a skip would hide it.
 */
export function requireCommand(
  context: Mocha.Context,
  command: string,
  args: string[] = ['--version'],
): void {
  if (hasCommand(command, args)) return;
  if (process.env.CI === 'true') throw new Error(`${command} is required in CI but is not installed`);
  console.warn(`\n  !!! ${command} is not installed: SKIPPING these tests !!!\n`);
  context.skip();
}

/** Integration suites call this in `before`: they need redis-server, and redis-cli for some checks. */
export function requireRedisServer(context: Mocha.Context): void {
  requireCommand(context, 'redis-server');
  requireCommand(context, 'redis-cli');
}

/** Chart suites call this in `before`: rendering needs helm, or go to build the stand-in renderer. */
export function requireRenderer(context: Mocha.Context): void {
  if (rendererName() === 'go') requireCommand(context, 'go', ['version']);
}
