import calculateSlot from 'cluster-key-slot';
import { type ChainableCommander, Cluster, type Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisConfig } from './redis-config.js';
import { type Fetched, type MessageStore, type StoreStatus, StoreUnavailableError } from './message-store.js';
import { createRedisClient, reconnectDelay } from './redis-client.js';
import { redact, translate, writeRefusal } from './redis-errors.js';

export interface RedisStoreOptions extends RedisConfig {
  logger: Logger;
}

/**
 * The MessageStore on Redis: a message is a string at `<prefix><digest>`, written with SET NX so that
 * nothing stored is ever replaced. With `minReplicaAcks` a write counts only once that many replicas
 * confirm it (WAIT).
 */
export function createRedisStore(options: RedisStoreOptions): MessageStore {
  const { logger, minReplicaAcks, replicaAckTimeoutMs } = options;
  const client = createRedisClient(options);
  let closing = false;
  logTransitions(client, logger);
  reconnectWhenGivenUp(client, logger, () => closing);

  // Every call gets an answer within the command timeout, measured from the call. ioredis starts a command's
  // timeout only when it writes the command, and with auto-pipelining a command waits unwritten while the
  // pipeline before it is in flight: behind a hung Redis, callers waited up to two timeouts under load.
  // A Cluster client also follows redirects and retries through a failover by itself, for as long as the
  // failover lasts (requests waited up to 2.8 s in the failover test), so there a caller may also wait for a
  // node to be reached. Either way the command itself goes on, and a write may still land (SET NX: a retry
  // is safe).
  const deadlineMs = options.commandTimeoutMs + (client instanceof Cluster ? options.connectTimeoutMs : 0);

  async function run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await withinDeadline(command(), deadlineMs);
    } catch (error) {
      throw translate(error);
    }
  }

  /**
   * Sends one pipeline per primary that owns some of the keys (a single Redis: one pipeline), holding one
   * command per slot (a single Redis: one command for all), so a batch costs one round trip per node and a
   * few commands rather than one per item: per command, ioredis builds objects, a promise and a timer, which
   * were most of a batch's time. `add` puts the command for a group in the pipeline; `onReply` gets its
   * reply. With replica acks, each pipeline ends in WAIT, which then runs on the connection that wrote, right
   * after the writes; a WAIT sent on its own after a reconnect would see no writes of its own and confirm
   * nothing.
   */
  async function inPipelines<T>(
    items: T[],
    keyOf: (item: T) => string,
    add: (pipeline: ChainableCommander, group: T[]) => void,
    acks: number,
    onReply: (group: T[], reply: unknown) => void = () => undefined,
  ): Promise<void> {
    await Promise.all(
      groupBySlot(client, options.keyPrefix, items, keyOf).map(async (slots) => {
        const pipeline = client.pipeline();
        for (const group of slots) add(pipeline, group);
        if (acks > 0) pipeline.wait(acks, replicaAckTimeoutMs);
        const replies = (await pipeline.exec()) ?? [];
        for (const [error] of replies) {
          if (!error) continue;
          // ioredis follows a redirect inside a pipeline only when every command in it was redirected, and
          // WAIT (keyless) never is; so the write is answered 503 and the slot map refreshed for the retry.
          if (client instanceof Cluster && /^(MOVED|ASK) /.test(error.message)) client.refreshSlotsCache();
          throw error;
        }
        if (acks > 0) assertAcknowledged(Number(replies.pop()?.[1] ?? 0), acks, replicaAckTimeoutMs);
        slots.forEach((group, i) => onReply(group, replies[i]?.[1]));
      }),
    );
  }

  /** Reads the messages of `wanted` into `found` at their indexes, each command within `budgetOf` its group. */
  const readWithin = (wanted: Wanted[], budgetOf: (group: Wanted[]) => number, found: Fetched[]) =>
    inPipelines(
      wanted,
      ({ digest }) => digest,
      (pipeline, group) =>
        pipeline.eval(GET_WITHIN, group.length, ...group.map(({ digest }) => digest), budgetOf(group)),
      0,
      (group, reply) =>
        group.forEach(({ index }, i) => (found[index] = fetched((reply as (string | number | null)[])[i]))),
    );

  const putMany = (entries: [string, string][]) =>
    inPipelines(
      entries,
      ([digest]) => digest,
      (pipeline, group) =>
        pipeline.eval(
          SET_EACH_NX,
          group.length,
          ...group.map(([digest]) => digest),
          ...group.map(([, message]) => wire(message)),
        ),
      minReplicaAcks,
    );

  return {
    get: (digest) => run(() => client.get(digest)),
    async put(digest, message) {
      if (minReplicaAcks > 0) await run(() => putMany([[digest, message]]));
      else await run(() => client.set(digest, wire(message), 'NX'));
    },
    async getMany(digests, maxBytes) {
      const found = new Array<Fetched>(digests.length).fill(null);
      const wanted = digests.map((digest, index) => ({ digest, index, bytes: 0 }));
      // Each command reads its share of the budget, in proportion to its keys: one command for a single Redis,
      // one per slot in a Cluster, whose nodes cannot share a running count.
      await run(() => readWithin(wanted, (group) => share(maxBytes, group.length, digests.length), found));
      // A share may have left unread messages that fit in what the others left over: read those, each
      // command exactly its messages' sizes. For a single Redis there are none (it read until nothing fit).
      const more = fitting(wanted, found, maxBytes);
      if (more.length > 0) {
        await run(() => readWithin(more, (group) => group.reduce((sum, { bytes }) => sum + bytes, 0), found));
      }
      return found;
    },
    async putMany(entries) {
      await run(() => putMany(entries));
    },
    ping: () => run(() => readiness(client, minReplicaAcks)),
    async close() {
      closing = true;
      await client.quit().catch(() => undefined);
      // quit() leaves the Sentinel failover detector's own connections open; disconnect() closes them too.
      client.disconnect();
    },
  };
}

// Commands leave in pipelines (auto-pipelining, batches), which ioredis joins by appending strings; for a
// long message that means copying ever longer strings, so those go as bytes, which it joins in one copy.
const LONG_MESSAGE_CHARS = 1024;

// SET NX for each key with the message at the same position: nothing stored is ever replaced. One command
// for a whole batch; Redis runs it without interleaving other clients' commands.
const SET_EACH_NX = `for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'NX') end
return #KEYS`;

// GET of each key in order while the messages read stay within ARGV[1] bytes; a message that would pass them
// is answered by its length instead (an integer reply). After the first such one, each key's length is asked
// first (STRLEN), so a message that does not fit is never copied, only measured. Reads only: it runs on a full
// Redis too.
const GET_WITHIN = `#!lua flags=no-writes
local left = tonumber(ARGV[1])
local answer = {}
local measure = false
for i = 1, #KEYS do
  if measure then
    local size = redis.call('STRLEN', KEYS[i])
    if size > left then
      answer[i] = size
    else
      answer[i] = redis.call('GET', KEYS[i])
      left = left - size
    end
  else
    local message = redis.call('GET', KEYS[i])
    if message and #message > left then
      answer[i] = #message
      measure = true
    else
      answer[i] = message
      if message then left = left - #message end
    end
  end
end
return answer`;

/** A message of a lookup: its digest, its position in the answer, and its size once known to be unread. */
interface Wanted {
  digest: string;
  index: number;
  bytes: number;
}

function fetched(reply: string | number | null | undefined): Fetched {
  return typeof reply === 'number' ? { unreadBytes: reply } : (reply ?? null);
}

/** A group's part of the budget, in proportion to its keys; the parts never add up to more than the whole. */
function share(maxBytes: number, keys: number, allKeys: number): number {
  return keys === allKeys ? maxBytes : Math.floor((maxBytes * keys) / allKeys);
}

/** The unread messages, in order, that fit in what the ones read left of the budget. */
function fitting(wanted: Wanted[], found: Fetched[], maxBytes: number): Wanted[] {
  if (!found.some((message) => message !== null && typeof message !== 'string')) return [];
  let left = maxBytes;
  for (const message of found) if (typeof message === 'string') left -= Buffer.byteLength(message, 'utf8');
  const more: Wanted[] = [];
  wanted.forEach(({ digest, index }) => {
    const message = found[index] ?? null;
    if (message === null || typeof message === 'string' || message.unreadBytes > left) return;
    left -= message.unreadBytes;
    more.push({ digest, index, bytes: message.unreadBytes });
  });
  return more;
}

function wire(message: string): string | Buffer {
  return message.length > LONG_MESSAGE_CHARS ? Buffer.from(message, 'utf8') : message;
}

function assertAcknowledged(acknowledged: number, wanted: number, timeoutMs: number): void {
  if (acknowledged < wanted) {
    throw new StoreUnavailableError(
      `only ${acknowledged} of ${wanted} replicas confirmed the write within ${timeoutMs} ms`,
    );
  }
}

/**
 * Items grouped by the primary that owns their key's slot and, within that, by slot, since the keys of one
 * command must share a slot; for a single Redis, one group of one.
 */
function groupBySlot<T>(
  client: Redis | Cluster,
  keyPrefix: string,
  items: T[],
  keyOf: (item: T) => string,
): T[][][] {
  if (!(client instanceof Cluster)) return items.length > 0 ? [[items]] : [];
  const nodes = new Map<string, Map<number, T[]>>();
  for (const item of items) {
    const slot = calculateSlot(keyPrefix + keyOf(item));
    // An unknown slot (map not loaded yet) shares one group; ioredis then answers an error, which is a 503.
    const node = client.slots[slot]?.[0] ?? '';
    const slots = nodes.get(node) ?? new Map<number, T[]>();
    nodes.set(node, slots);
    const group = slots.get(slot);
    if (group) group.push(item);
    else slots.set(slot, [item]);
  }
  return [...nodes.values()].map((slots) => [...slots.values()]);
}

// A script with a shebang and no flags counts as one that may write: Redis refuses it as it would refuse a
// write (OOM when full, ...), yet it writes nothing. The service needs EVAL anyway, for batches.
const WRITE_PROBE = '#!lua\nreturn 1';

/**
 * Ready means a cluster with every slot served, or a primary (not a replica left behind by a failover) with
 * enough replicas connected for the acknowledgement setting. A primary that refuses writes for now (full,
 * say) leaves the service ready: every replica shares it and reads still work; the status says why.
 * In a Cluster each primary has its own memory, and only the writes to a full one are refused (503).
 */
async function readiness(client: Redis | Cluster, minReplicaAcks: number): Promise<StoreStatus> {
  if (client instanceof Cluster) {
    const info = String(await client.cluster('INFO'));
    if (!/cluster_state:ok/.test(info))
      throw new StoreUnavailableError('Redis Cluster is not serving every slot');
    return {};
  }
  // Issued together, the two leave in one auto-pipeline: one round trip.
  const [roleReply, writesRefused] = await Promise.all([
    client.role(),
    client.eval(WRITE_PROBE, 0).then(
      () => undefined,
      (error: unknown) => writeRefusal(error) ?? Promise.reject(error),
    ),
  ]);
  const [role, , replicas] = roleReply as [string, number, unknown[]?];
  if (role !== 'master') throw new StoreUnavailableError(`Redis is a ${role}, not a primary`);
  if ((replicas?.length ?? 0) < minReplicaAcks) {
    throw new StoreUnavailableError(
      `Redis has ${replicas?.length ?? 0} replicas connected, ${minReplicaAcks} needed`,
    );
  }
  return writesRefused ? { writesRefused } : {};
}

/** Logs transitions, not every failed reconnect attempt, so an outage is a few lines rather than a flood. */
function logTransitions(client: Redis | Cluster, logger: Logger): void {
  // Each node connection of a cluster reports its own errors too; the cluster's own events below already
  // cover them, and without a listener ioredis prints every failed reconnect to stderr.
  if (client instanceof Cluster) client.on('+node', (node: Redis) => node.on('error', () => undefined));
  let healthy = true;
  client.on('ready', () => {
    if (!healthy) logger.info('redis connection ready again');
    healthy = true;
  });
  client.on('error', (error: Error) => {
    if (healthy)
      logger.warn({ err: redact(error) }, 'redis connection failed; requests get 503 until it returns');
    healthy = false;
  });
}

/**
 * ioredis gives up for good (status "end") when its Sentinel failover detector cuts short a reconnect that is
 * still asking the sentinels for the primary (redis/ioredis#1683): every command then fails with "Connection
 * is closed." and the pod stays unready until restarted. Unless the store is closing, connect again.
 */
function reconnectWhenGivenUp(client: Redis | Cluster, logger: Logger, closing: () => boolean): void {
  client.on('end', () => {
    if (closing()) return;
    logger.warn('redis client gave up reconnecting; starting over');
    const retry = () => closing() || client.connect().catch(() => undefined);
    setTimeout(retry, reconnectDelay(1)).unref();
  });
}

/**
 * The work's outcome, or StoreUnavailableError once `ms` have passed without one; the work itself goes on.
 * On every command's path, so one timer and one promise: about 0.45 µs a call under load, where Promise.race
 * and finally took 1.15 µs (measured with 50 calls in flight).
 */
function withinDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StoreUnavailableError(`Redis did not answer within ${ms} ms`)),
      ms,
    );
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
