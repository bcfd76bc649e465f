import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../../service/config-schema.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The V8 heap settings the image runs with (`ENV NODE_OPTIONS=` in the Dockerfile), read from there. */
export function productionNodeOptions(): string {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  const options = /^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1];
  if (options === undefined) throw new Error('the Dockerfile sets no NODE_OPTIONS');
  return options;
}

/**
 * The environment a service process gets: ours without any of the service's own settings (so a variable
 * left in the caller's shell cannot change what is being run or tested), the image's NODE_OPTIONS (so it
 * collects garbage as in production), plus `settings`.
 */
export function serviceEnvironment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const names = new Set(Object.keys(configSchema.properties));
  const inherited = Object.entries(process.env).filter(([name]) => !names.has(name));
  return { ...Object.fromEntries(inherited), NODE_OPTIONS: productionNodeOptions(), ...settings };
}
