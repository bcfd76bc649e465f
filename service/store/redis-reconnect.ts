import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

const MAX_RECONNECT_DELAY_MS = 2000;

/** Exponential backoff from 100 ms, capped, so a long outage costs one attempt every two seconds. */
export function reconnectDelay(attempt: number): number {
  return Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS);
}

/**
 * ioredis gives up for good (status "end") when its Sentinel failover detector cuts short a reconnect that is
 * still asking the sentinels for the primary (redis/ioredis#1683): every command then fails with "Connection
 * is closed." and the pod stays unready until restarted. Unless the store is closing, connect again.
 */
export function reconnectWhenGivenUp(client: Redis | Cluster, logger: Logger, closing: () => boolean): void {
  client.on('end', () => {
    if (closing()) return;
    logger.warn('redis client gave up reconnecting; starting over');
    const retry = () => closing() || client.connect().catch(() => undefined);
    setTimeout(retry, reconnectDelay(1)).unref();
  });
}
