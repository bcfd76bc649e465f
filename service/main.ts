import { createServer, type Server } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createMetricsApp } from './http/metrics-app.js';
import { createApiServer } from './http/server.js';
import { createLifecycle } from './lifecycle.js';
import { createLogger } from './logger.js';
import { growHeapAsWithoutCap } from './heap.js';
import { createMetrics } from './metrics.js';
import { shutDown } from './shutdown.js';
import { createMemoryStore } from './store/memory-store.js';
import type { MessageStore } from './store/message-store.js';
import { createRedisStore } from './store/redis-store.js';

// The only module that reads the environment, listens, and handles signals.
async function main(): Promise<void> {
  growHeapAsWithoutCap();
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`shaservice: ${error.message}\n`);
    process.exit(2);
  }

  const logger = createLogger(config.logLevel);
  const store = openStore(config, logger);
  const metrics = createMetrics();
  const lifecycle = createLifecycle();
  const app = await createApp({ config, store, logger, metrics, lifecycle });

  const api = createApiServer(app, config, logger, metrics);
  const metricsServer = createServer(createMetricsApp(metrics.registry).callback());
  await listen(api, config.port, config.host);
  await listen(metricsServer, config.metricsPort, config.host);
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

function openStore(config: Config, logger: Logger): MessageStore {
  if (config.redis) return createRedisStore({ ...config.redis, logger });
  logger.warn('REDIS_URL is not set: using the embedded in-memory store; nothing persists across restarts');
  return createMemoryStore();
}

function listen(server: Server, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function address(server: Server): number | undefined {
  const bound = server.address();
  return typeof bound === 'object' && bound ? bound.port : undefined;
}

main().catch((error: unknown) => {
  process.stderr.write(`shaservice: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
