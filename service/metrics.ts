import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { type RedisMetrics, type RedisReading, registerRedisMetrics } from './redis-metrics.js';

/** Every metric the service exports, on a Registry of its own so that many apps can live in one process. */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  storeDuration: Histogram<'operation'>;
  storeErrors: Counter<'operation'>;
  cacheHits: Counter;
  cacheMisses: Counter;
  cacheBytes: Gauge;
  cacheEntries: Gauge;
  /** Where the cache gauges read their values when scraped (the cache installs itself). */
  measureCache(size: () => CacheSize): void;
  /**
   * Registers the Redis metrics (see redis-metrics.ts), reading the connection from `read` when scraped; the
   * Redis adapter calls it once, with the error kinds it counts, and updates the counters it gets back.
   */
  measureRedis(read: () => RedisReading, errorKinds: readonly string[]): RedisMetrics;
}

export interface CacheSize {
  bytes: number;
  entries: number;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  // Read at scrape time rather than set on every write: two gauge updates per cached message cost more than
  // the caching itself, and a scrape every few seconds sees the same numbers.
  let cacheSize = (): CacheSize => ({ bytes: 0, entries: 0 });
  return {
    registry,
    // Labels are the operationId (or "unmatched"), never a raw path, so cardinality stays bounded.
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route (operationId) and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from request start to response end, by method, route (operationId) and status.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    storeDuration: new Histogram({
      name: 'shaservice_store_operation_duration_seconds',
      help: 'Latency of store operations (get, put, ping), failed ones included.',
      labelNames: ['operation'],
      buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    }),
    storeErrors: new Counter({
      name: 'shaservice_store_errors_total',
      help: 'Store operations that failed, by operation.',
      labelNames: ['operation'],
      registers,
    }),
    cacheHits: new Counter({
      name: 'shaservice_cache_hits_total',
      help: 'Lookups answered from the in-process cache.',
      registers,
    }),
    cacheMisses: new Counter({
      name: 'shaservice_cache_misses_total',
      help: 'Lookups the in-process cache could not answer.',
      registers,
    }),
    cacheBytes: new Gauge({
      name: 'shaservice_cache_bytes',
      help: 'Estimated bytes held by the in-process cache.',
      registers,
      collect() {
        this.set(cacheSize().bytes);
      },
    }),
    cacheEntries: new Gauge({
      name: 'shaservice_cache_entries',
      help: 'Messages held by the in-process cache.',
      registers,
      collect() {
        this.set(cacheSize().entries);
      },
    }),
    measureCache(size) {
      cacheSize = size;
    },
    measureRedis: (read, errorKinds) => registerRedisMetrics(registry, read, errorKinds),
  };
}
