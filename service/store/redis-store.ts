import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { MessageStore } from './message-store.js';
import { createRedisClient } from './redis-client.js';
import { callDeadlineMs, type RedisConfig } from './redis-config.js';
import { withinDeadline } from './redis-deadline.js';
import { translate } from './redis-errors.js';
import { instrumentRedis } from './redis-instruments.js';
import { readWithinBudget } from './redis-lookup.js';
import { logTransitions } from './redis-outage-log.js';
import { pipelinesOf } from './redis-pipelines.js';
import { readiness } from './redis-readiness.js';
import { reconnectWhenGivenUp } from './redis-reconnect.js';
import { setEachNx, wire } from './redis-writes.js';

export interface RedisStoreOptions extends RedisConfig {
  logger: Logger;
  /** Where the Redis metrics (connection, role, WAITs, errors by kind) are registered. */
  metrics: Metrics;
}

/**
 * The MessageStore on Redis: a message is a string at `<prefix><digest>`, written with SET NX so that
 * nothing stored is ever replaced. With `minReplicaAcks` a write counts only once that many replicas
 * confirm it (WAIT).
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
    inPipelines(entries, ([digest]) => digest, setEachNx, minReplicaAcks);

  return {
    get: (digest) => run(() => client.get(digest)),
    async put(digest, message) {
      if (minReplicaAcks > 0) await run(() => putMany([[digest, message]]));
      else await run(() => client.set(digest, wire(message), 'NX'));
    },
    getMany: (digests, maxBytes) => readWithinBudget(inPipelines, run, digests, maxBytes),
    async putMany(entries) {
      await run(() => putMany(entries));
    },
    ping: () => run(() => readiness(client, minReplicaAcks, instruments)),
    async close() {
      closing = true;
      await client.quit().catch(() => undefined);
      // quit() leaves the Sentinel failover detector's own connections open; disconnect() closes them too.
      client.disconnect();
    },
  };
}
