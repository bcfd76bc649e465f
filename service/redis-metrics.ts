import { Counter, Gauge, type Registry } from 'prom-client';

/** The roles `shaservice_redis_writer_role` knows; each is always a series, 1 for the current one. */
export const REDIS_ROLES = ['master', 'replica', 'unknown'] as const;
export type RedisRole = (typeof REDIS_ROLES)[number];

/** What the Redis adapter knows of its connection when Prometheus scrapes. */
export interface RedisReading {
  connected: boolean;
  role: RedisRole;
  /** Whether the readiness probe's latest write check was refused (OOM, MISCONF, NOREPLICAS). */
  writesRefused: boolean;
}

/** The Redis metrics the adapter updates itself; the gauges read a `RedisReading` at scrape time. */
export interface RedisMetrics {
  replicaAcksWaits: Counter;
  replicaAcksMissed: Counter;
  commandErrors: Counter<'kind'>;
}

/**
 * Registers the Redis metrics on `registry`. Only a Redis store calls this, so the embedded store exports
 * none of them: a `connected` of 1 there would claim a Redis that does not exist. The error kinds come from
 * the adapter (which alone knows Redis's replies) and each starts at 0, so every series exists from the
 * first scrape and `rate()` sees the first error.
 */
export function registerRedisMetrics(
  registry: Registry,
  read: () => RedisReading,
  errorKinds: readonly string[],
): RedisMetrics {
  const registers = [registry];
  new Gauge({
    name: 'shaservice_redis_connected',
    help: "1 while the service's Redis client is connected and ready (for a Cluster, the cluster client) and its latest call did not time out or lose its connection, else 0.",
    registers,
    collect() {
      this.set(read().connected ? 1 : 0);
    },
  });
  new Gauge({
    name: 'shaservice_redis_writer_role',
    help: 'Role of the Redis node the service writes to: 1 for the current role (master, replica or unknown).',
    labelNames: ['role'],
    registers,
    collect() {
      const { role: current } = read();
      for (const role of REDIS_ROLES) this.set({ role }, role === current ? 1 : 0);
    },
  });
  new Gauge({
    name: 'shaservice_redis_writes_refused',
    help: "1 while the readiness probe's latest write check was refused by Redis (OOM, MISCONF, NOREPLICAS), else 0.",
    registers,
    collect() {
      this.set(read().writesRefused ? 1 : 0);
    },
  });
  const commandErrors = new Counter({
    name: 'shaservice_redis_command_errors_total',
    help: 'Redis calls that failed, by kind: the reply code (OOM, READONLY, ...), connection, timeout or other.',
    labelNames: ['kind'],
    registers,
  });
  for (const kind of errorKinds) commandErrors.inc({ kind }, 0);
  return {
    replicaAcksWaits: new Counter({
      name: 'shaservice_redis_replica_acks_waits_total',
      help: 'WAITs for replica acknowledgements of writes (REDIS_MIN_REPLICA_ACKS above 0) that Redis answered.',
      registers,
    }),
    replicaAcksMissed: new Counter({
      name: 'shaservice_redis_replica_acks_missed_total',
      help: 'WAITs answered with fewer replicas than asked for; their writes were answered 503.',
      registers,
    }),
    commandErrors,
  };
}
