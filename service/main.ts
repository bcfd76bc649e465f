import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { quoted } from './config-quote.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createMetricsApp } from './http/metrics-app.js';
import { createApiServer } from './http/server.js';
import { createLifecycle } from './lifecycle.js';
import { createLogger } from './logger.js';
import { growHeapAsWithoutCap } from './heap.js';
import { type Metrics, createMetrics } from './metrics.js';
import { shutDown } from './shutdown.js';
import { createMemoryStore } from './store/memory-store.js';
import type { MessageStore } from './store/message-store.js';
import { createRedisStore } from './store/redis-store.js';

// The only module that reads the environment, listens, and handles signals.
async function main(): Promise<void> {
  growHeapAsWithoutCap();
  const config = loadConfig(process.env);

  const logger = createLogger(config.logLevel);
  const metrics = createMetrics();
  const store = openStore(config, logger, metrics);
  const lifecycle = createLifecycle();
  const app = await createApp({ config, store, logger, metrics, lifecycle });
  await store.connect?.();

  const api = createApiServer(app, config, logger, metrics);
  const metricsServer = createServer(createMetricsApp(metrics.registry).callback());
  await listen(api, config.host, 'PORT', config.port);
  await listen(metricsServer, config.host, 'METRICS_PORT', config.metricsPort);
  logger.info({ port: address(api), metricsPort: address(metricsServer) }, 'listening');

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C means "now": whoever sends it has chosen to give up on in-flight requests.
      logger.warn({ signal }, 'second signal during shutdown: exiting at once');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'signal received');
    const parts = { lifecycle, api, metrics: metricsServer, store, logger };
    shutDown({ ...parts, delayMs: config.shutdownDelayMs, timeoutMs: config.shutdownTimeoutMs }).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.fatal({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

function openStore(config: Config, logger: Logger, metrics: Metrics): MessageStore {
  if (config.redis) return createRedisStore({ ...config.redis, logger, metrics });
  logger.warn('REDIS_URL is not set: using the embedded in-memory store; nothing persists across restarts');
  return createMemoryStore();
}

/**
 * Listens on the port a setting names. What stops it (a host that does not resolve or is not ours, a port in
 * use or not allowed) is a configuration problem, reported by the setting's name like the others.
 */
function listen(
  server: Server,
  host: string | undefined,
  portSetting: 'PORT' | 'METRICS_PORT',
  port: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: NodeJS.ErrnoException) => {
      const hostFailed = error.syscall === 'getaddrinfo' || error.code === 'EADDRNOTAVAIL';
      const [name, value] = hostFailed ? ['HOST', host] : [portSetting, port];
      reject(
        new ConfigError([`${name} cannot be listened on: ${error.code} (got ${quoted(String(value))})`]),
      );
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

function address(server: Server): number | undefined {
  const bound = server.address();
  return typeof bound === 'object' && bound ? bound.port : undefined;
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`shaservice: ${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`shaservice: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
