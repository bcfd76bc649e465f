import { LRUCache } from 'lru-cache';
import type { Metrics } from '../metrics.js';
import { type Fetched, type MessageStore, byteBudget } from './message-store.js';

// What a cached entry costs beyond its UTF-16 text: the 64-char key, the entry's bookkeeping in lru-cache.
const ENTRY_OVERHEAD_BYTES = 200;

/**
 * A per-process LRU cache in front of a store, bounded in bytes. A digest names its message forever, so
 * entries are never invalidated; only found messages are cached, since an unknown digest may be stored later
 * through another replica. It fills on reads only: a bulk of writes (an import, a batch) would otherwise
 * push out the messages being read, for entries that another replica may be the one asked for, and keep
 * V8 collecting evicted entries from its old generation.
 */
export function createCachedStore(store: MessageStore, maxBytes: number, metrics: Metrics): MessageStore {
  const cache = new LRUCache<string, string>({
    maxSize: maxBytes,
    sizeCalculation: (message) => message.length * 2 + ENTRY_OVERHEAD_BYTES,
  });
  metrics.measureCache(() => ({ bytes: cache.calculatedSize, entries: cache.size }));
  const remember = (digest: string, message: string) => cache.set(digest, message);

  return {
    async get(digest) {
      const cached = cache.get(digest);
      if (cached !== undefined) {
        metrics.cacheHits.inc();
        return cached;
      }
      metrics.cacheMisses.inc();
      const message = await store.get(digest);
      if (message !== null) remember(digest, message);
      return message;
    },
    put: (digest, message) => store.put(digest, message),
    async getMany(digests, maxBytes) {
      // Cached messages count against the budget as read ones do: the budget bounds what one lookup holds.
      const budget = byteBudget(maxBytes);
      const found = digests.map((digest): Fetched | undefined => {
        const cached = cache.get(digest);
        return cached === undefined ? undefined : budget.take(cached);
      });
      const missing = digests.filter((_, i) => found[i] === undefined);
      metrics.cacheHits.inc(digests.length - missing.length);
      metrics.cacheMisses.inc(missing.length);
      if (missing.length === 0) return found as Fetched[];
      const fetched = await store.getMany(missing, budget.left);
      let next = 0;
      return digests.map((digest, i) => {
        const cached = found[i];
        if (cached !== undefined) return cached;
        const fromStore = fetched[next++] ?? null;
        if (typeof fromStore === 'string') remember(digest, fromStore);
        return fromStore;
      });
    },
    putMany: (entries) => store.putMany(entries),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
