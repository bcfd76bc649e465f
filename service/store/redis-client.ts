import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from './redis-config.js';
import { reconnectDelay } from './redis-reconnect.js';

/**
 * One ioredis client for the configured topology, set up to fail fast: no offline queue (a command while
 * disconnected errors at once), no retries of a failed command, a timeout on every command, reconnection
 * with backoff. Reads and writes go to primaries only, so a read never misses a write that was acknowledged.
 * It connects when told to (`connect()`), not when made (see MessageStore's `connect`).
 */
export function createRedisClient(config: RedisConfig): Redis | Cluster {
  const connection: RedisOptions = {
    username: config.username,
    password: config.password,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: config.connectTimeoutMs,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    // Commands issued in the same turn of the event loop (one per concurrent request) leave in one write
    // and their replies come back in one read: fewer system calls for us and for Redis under load.
    enableAutoPipelining: true,
    ...(config.tls ? { tls: config.tlsCa ? { ca: config.tlsCa } : {} } : {}),
    // After a failover the old primary comes back as a replica and answers writes with READONLY: drop the
    // connection so that the client finds the new primary (through the sentinels, or the cluster's slots).
    reconnectOnError: (error) => (error.message.startsWith('READONLY') ? 1 : false),
  };
  const { topology } = config;
  switch (topology.kind) {
    case 'standalone':
      return new Redis(topology.url, {
        ...connection,
        keyPrefix: config.keyPrefix,
        enableOfflineQueue: false,
        retryStrategy: reconnectDelay,
      });
    case 'sentinel':
      return new Redis({
        ...connection,
        keyPrefix: config.keyPrefix,
        enableOfflineQueue: false,
        retryStrategy: reconnectDelay,
        sentinels: topology.sentinels,
        name: topology.masterName,
        role: 'master',
        sentinelPassword: topology.sentinelPassword,
        enableTLSForSentinelMode: config.tls,
        ...(config.tls ? { sentinelTLS: connection.tls } : {}),
        // Sentinels announce a switch of master at once; without this the client notices only when its
        // connection to the old master fails.
        failoverDetector: true,
      });
    case 'cluster': {
      const options: ClusterOptions = {
        keyPrefix: config.keyPrefix,
        lazyConnect: true,
        enableOfflineQueue: false,
        enableAutoPipelining: true,
        scaleReads: 'master',
        natMap: topology.natMap,
        clusterRetryStrategy: reconnectDelay,
        slotsRefreshTimeout: config.connectTimeoutMs,
        // After a failover the slots of the dead primary answer 503 until the slot map is refreshed; once a
        // second (instead of five) keeps that short, for one CLUSTER SLOTS a second.
        slotsRefreshInterval: 1000,
        redisOptions: connection,
      };
      return new Cluster(topology.nodes, options);
    }
  }
}
