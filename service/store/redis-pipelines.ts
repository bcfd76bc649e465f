import calculateSlot from 'cluster-key-slot';
import { type ChainableCommander, Cluster, type Redis } from 'ioredis';
import { StoreUnavailableError } from './message-store.js';
import type { RedisInstruments } from './redis-instruments.js';

/**
 * Sends `items` in one pipeline per primary that owns some of their keys (a single Redis: one pipeline),
 * holding one command per slot (a single Redis: one command for all). `add` puts the command for a group in
 * the pipeline; `onReply` gets its reply. With `acks`, each pipeline ends in WAIT for that many replicas.
 */
export type InPipelines = <T>(
  items: T[],
  keyOf: (item: T) => string,
  add: (pipeline: ChainableCommander, group: T[]) => void,
  acks: number,
  onReply?: (group: T[], reply: unknown) => void,
) => Promise<void>;

/**
 * Batches cost one round trip per node and a few commands rather than one per item: per command, ioredis
 * builds objects, a promise and a timer, which were most of a batch's time. A WAIT ends the pipeline it
 * confirms, so it runs on the connection that wrote, right after the writes; a WAIT sent on its own after a
 * reconnect would see no writes of its own and confirm nothing.
 */
export function pipelinesOf(
  client: Redis | Cluster,
  keyPrefix: string,
  replicaAckTimeoutMs: number,
  instruments: Pick<RedisInstruments, 'waiting' | 'waited'>,
): InPipelines {
  return async (items, keyOf, add, acks, onReply = () => undefined) => {
    await Promise.all(
      groupBySlot(client, keyPrefix, items, keyOf).map(async (slots) => {
        const pipeline = client.pipeline();
        for (const group of slots) add(pipeline, group);
        if (acks > 0) pipeline.wait(acks, replicaAckTimeoutMs);
        const replies = (await pipeline.exec()) ?? [];
        // Counted once Redis has answered the pipeline, so that every WAIT counted has run (and a missed one
        // is always among them); one whose connection failed first counts as a connection error instead.
        if (acks > 0) instruments.waiting();
        for (const [error] of replies) {
          if (!error) continue;
          // ioredis follows a redirect inside a pipeline only when every command in it was redirected, and
          // WAIT (keyless) never is; so the write is answered 503 and the slot map refreshed for the retry.
          if (client instanceof Cluster && /^(MOVED|ASK) /.test(error.message)) client.refreshSlotsCache();
          throw error;
        }
        if (acks > 0) {
          const acknowledged = Number(replies.pop()?.[1] ?? 0);
          instruments.waited(acknowledged, acks);
          assertAcknowledged(acknowledged, acks, replicaAckTimeoutMs);
        }
        slots.forEach((group, i) => onReply(group, replies[i]?.[1]));
      }),
    );
  };
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
