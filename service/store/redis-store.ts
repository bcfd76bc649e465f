import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { MessageStore } from './message-store.js';
import { createRedisClient } from './redis-client.js';
import { callDeadlineMs, type RedisConfig } from './redis-config.js';
import { withinDeadline } from './redis-deadline.js';
import { translate } from './redis-errors.js';
import { instrumentRedis } from './redis-instruments.js';
import { checkLayout } from './redis-layout-check.js';
import { keyLayout, legacyKey } from './redis-layout.js';
import { type Lookup, readOne, readWithinBudget } from './redis-lookup.js';
import { logTransitions } from './redis-outage-log.js';
import { pipelinesOf } from './redis-pipelines.js';
import { readiness } from './redis-readiness.js';
import { reconnectWhenGivenUp } from './redis-reconnect.js';
import { isShort, storeEachNx, wire } from './redis-writes.js';
import { Cluster } from 'ioredis';

export interface RedisStoreOptions extends RedisConfig {
  logger: Logger;
  /** Where the Redis metrics (connection, role, WAITs, errors by kind) are registered. */
  metrics: Metrics;
}

/**
 * The MessageStore on Redis: a short message is a field of its digest's bucket, a long one a string of its own
 * (redis-layout.ts), written with HSETNX or SET NX so that nothing stored is ever replaced. Messages stored
 * before buckets, at `<prefix><digest>`, are still read. With `minReplicaAcks` a write counts only once that
 * many replicas confirm it (WAIT).
 */
export function createRedisStore(options: RedisStoreOptions): MessageStore {
  const { logger, minReplicaAcks } = options;
  const client = createRedisClient(options);
  let closing = false;
  logTransitions(client, logger);
  reconnectWhenGivenUp(client, logger, () => closing);
  const instruments = instrumentRedis(client, options.metrics);
  const inPipelines = pipelinesOf(client, options.keyPrefix, options.replicaAckTimeoutMs, instruments);
  const deadlineMs = callDeadlineMs(options);
  const layout = keyLayout(options.bucketBits);
  const current: Lookup['first'] = {
    count: 2,
    keys: (digest) => [layout.bucket(digest), layout.long(digest)],
    slotKey: layout.bucket,
    field: layout.field,
  };
  // A single Redis looks in the old layout in the same script; a Cluster keeps it on another slot, so only the
  // digests not found in the new layout are looked for there, in a second round trip.
  const lookup: Lookup =
    client instanceof Cluster
      ? { first: current, then: { count: 1, keys: (digest) => [legacyKey(digest)], slotKey: legacyKey } }
      : { first: { ...current, count: 3, keys: (digest) => [...current.keys(digest), legacyKey(digest)] } };
  const layoutChecked = checkLayout(client, layout.marker);
  const getOne = readOne(client, lookup);

  /** The layout is checked before the first command of each connection; readiness asks Redis's role first. */
  const checked =
    <T>(command: () => Promise<T>) =>
    () =>
      layoutChecked().then(command);

  /** Every call answers within its deadline, and fails only with errors fit to leave the adapter. */
  async function run<T>(command: () => Promise<T>): Promise<T> {
    try {
      const answer = await withinDeadline(command(), deadlineMs);
      instruments.succeeded();
      return answer;
    } catch (error) {
      instruments.failed(error);
      throw translate(error);
    }
  }

  const putMany = (entries: [string, string][]) =>
    inPipelines(entries, ([digest]) => layout.bucket(digest), storeEachNx(layout), minReplicaAcks);
  const getMany = (digests: string[], maxBytes: number) =>
    readWithinBudget(inPipelines, (read) => run(checked(read)), lookup, digests, maxBytes);

  return {
    get: (digest) => run(checked(() => getOne(digest))),
    async put(digest, message) {
      if (minReplicaAcks > 0) await run(checked(() => putMany([[digest, message]])));
      else if (isShort(message))
        await run(checked(() => client.hsetnx(layout.bucket(digest), layout.field(digest), message)));
      else await run(checked(() => client.set(layout.long(digest), wire(message), 'NX')));
    },
    getMany,
    async putMany(entries) {
      await run(checked(() => putMany(entries)));
    },
    ping: () =>
      run(async () => {
        const status = await readiness(client, minReplicaAcks, instruments);
        await layoutChecked();
        return status;
      }),
    async connect() {
      // A failure is logged (logTransitions) and retried with backoff, as when ioredis connects by itself. The
      // first try is waited for at most a connection's and a call's time: against a Redis or sentinel that
      // accepts and never answers, ioredis's own promise took over 15 s.
      await withinDeadline(client.connect(), options.connectTimeoutMs + deadlineMs).catch(() => undefined);
    },
    async close() {
      closing = true;
      await client.quit().catch(() => undefined);
      // quit() leaves the Sentinel failover detector's own connections open; disconnect() closes them too.
      client.disconnect();
    },
  };
}
