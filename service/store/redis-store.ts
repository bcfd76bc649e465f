import { Redis, ReplyError } from 'ioredis';
import type { Logger } from 'pino';
import { type MessageStore, StoreUnavailableError } from './message-store.js';

export interface RedisStoreOptions {
  url: string;
  password: string | undefined;
  keyPrefix: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  logger: Logger;
}

// Reply errors that mean "not now" rather than "wrong request": the same command may succeed later.
const TRANSIENT_REPLIES = new Set([
  'LOADING',
  'READONLY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'NOREPLICAS',
  'BUSY',
  'NOAUTH',
  'WRONGPASS',
  // A full Redis (maxmemory with noeviction) or one that cannot write its AOF refuses writes until an operator
  // acts; that is the store being unavailable, not a bug, so it must be 503 rather than 500.
  'OOM',
  'MISCONF',
]);

const MAX_RECONNECT_DELAY_MS = 2000;

/** The only module that knows ioredis: maps the MessageStore contract onto Redis strings with SET NX. */
export function createRedisStore(options: RedisStoreOptions): MessageStore {
  const { logger } = options;
  const client = new Redis(options.url, {
    ...(options.password === undefined ? {} : { password: options.password }),
    keyPrefix: options.keyPrefix,
    // Fail fast: while disconnected a command errors at once instead of waiting in an unbounded queue,
    // and a command on a connection that stalls gives up after the timeout.
    enableOfflineQueue: false,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: options.connectTimeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
  });

  // Log transitions, not every failed reconnect attempt, so an outage is a few lines rather than a flood.
  let healthy = true;
  client.on('ready', () => {
    if (!healthy) logger.info('redis connection ready again');
    healthy = true;
  });
  client.on('error', (error: Error) => {
    if (healthy) logger.warn({ err: error }, 'redis connection failed; requests get 503 until it returns');
    healthy = false;
  });

  async function run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw translate(error);
    }
  }

  return {
    get: (digest) => run(() => client.get(digest)),
    async put(digest, message) {
      await run(() => client.set(digest, message, 'NX'));
    },
    async ping() {
      await run(() => client.ping());
    },
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
  };
}

function translate(error: unknown): unknown {
  if (error instanceof ReplyError) {
    const code = String((error as Error).message).split(' ', 1)[0] ?? '';
    if (!TRANSIENT_REPLIES.has(code)) return error;
  }
  // Connection closed, offline, timed out, or a transient reply: the caller may retry later.
  return new StoreUnavailableError(`Redis is unavailable: ${(error as Error).message}`, { cause: error });
}
