import type { Metrics } from '../metrics.js';
import type { MessageStore } from './message-store.js';

/** Wraps a store so that every operation's latency and failure is counted, whatever the store is. */
export function instrumentStore(store: MessageStore, metrics: Metrics): MessageStore {
  async function timed<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const end = metrics.storeDuration.startTimer({ operation });
    try {
      return await run();
    } catch (error) {
      metrics.storeErrors.inc({ operation });
      throw error;
    } finally {
      end();
    }
  }
  return {
    get: (digest) => timed('get', () => store.get(digest)),
    put: (digest, message) => timed('put', () => store.put(digest, message)),
    getMany: (digests, maxBytes) => timed('getMany', () => store.getMany(digests, maxBytes)),
    putMany: (entries) => timed('putMany', () => store.putMany(entries)),
    ping: () => timed('ping', () => store.ping()),
    close: () => store.close(),
  };
}
