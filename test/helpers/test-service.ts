import type { ServiceProcessOptions } from '../../tools/stack/service-process.js';

/**
 * How the tests run the service: from the sources (no build needed), its log lines parsed, with a short drain
 * delay; `env` over these defaults configures it, and nothing from the runner's own environment does.
 */
export function testService(env: Record<string, string> = {}): ServiceProcessOptions {
  return { sources: true, readLogs: true, env: { LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '200', ...env } };
}
