import { execFileSync } from 'node:child_process';

/**
 * Suites that need programs from Debian call this in `before`: on a laptop without them they skip loudly;
 * in CI (`CI=true`, or the older REQUIRE_REDIS=1) a missing program fails, since a skip would hide a
 * missing install.
 */
export function requireCommands(context: Mocha.Context, commands: string[], suite: string): void {
  const missing = commands.filter((command) => !installed(command));
  if (missing.length === 0) return;
  const message = `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required by the ${suite}`;
  if (process.env.CI === 'true' || process.env.REQUIRE_REDIS === '1')
    throw new Error(`${message} but missing`);
  console.warn(`\n  !!! ${message} and missing: SKIPPING them !!!\n`);
  context.skip();
}

export function requireRedisServer(context: Mocha.Context): void {
  requireCommands(context, ['redis-server', 'redis-cli'], 'Redis integration tests');
}

function installed(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
