import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createApp } from '../../service/app.js';
import { createApiServer } from '../../service/http/server.js';
import { loadConfig } from '../../service/config.js';
import { type Lifecycle, createLifecycle } from '../../service/lifecycle.js';
import { createLogger } from '../../service/logger.js';
import { type Metrics, createMetrics } from '../../service/metrics.js';
import { createMemoryStore } from '../../service/store/memory-store.js';
import type { MessageStore } from '../../service/store/message-store.js';

export interface TestApp {
  url: string;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  metrics: Metrics;
  lifecycle: Lifecycle;
  close(): Promise<void>;
}

/**
 * Builds the real app (createApp, as main.ts does) on a store of the test's choosing, listening on a free
 * loopback port, with its log lines captured. Settings come from env-style strings through loadConfig.
 * `metrics` are those the store was built with, when it registers its own (as a Redis store does).
 */
export async function startApp(
  options: { store?: MessageStore; env?: Record<string, string>; metrics?: Metrics } = {},
): Promise<TestApp> {
  const config = loadConfig({ PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'info', ...options.env });
  const logs: Record<string, unknown>[] = [];
  const sink = captureLines(logs);
  const metrics = options.metrics ?? createMetrics();
  const lifecycle = createLifecycle();
  const store = options.store ?? createMemoryStore();
  const logger = createLogger(config.logLevel, sink);
  const app = await createApp({ config, store, logger, metrics, lifecycle });
  await store.connect?.();
  const server = await listen(createApiServer(app, config, logger, metrics));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    logs,
    metrics,
    lifecycle,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
    },
  };
}

/** A log destination that parses each JSON line it is given into `lines`. */
export function captureLines(lines: Record<string, unknown>[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
}

function listen(server: Server): Promise<Server> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** The value of one series of a metric, or 0 when the series does not exist yet. */
export async function metricValue(metrics: Metrics, name: string, labels: Record<string, string> = {}) {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const series = values.find((v) =>
    Object.entries(labels).every(([key, value]) => String(v.labels[key]) === value),
  );
  return series?.value ?? 0;
}
