import { type MessageStore, byteBudget } from './message-store.js';

/** The embedded store for a laptop: nothing persists and nothing is shared between processes. */
export function createMemoryStore(): MessageStore {
  const messages = new Map<string, string>();
  return {
    async get(digest) {
      return messages.get(digest) ?? null;
    },
    async put(digest, message) {
      if (!messages.has(digest)) messages.set(digest, message);
    },
    async getMany(digests, maxBytes) {
      const budget = byteBudget(maxBytes);
      return digests.map((digest) => {
        const message = messages.get(digest);
        return message === undefined ? null : budget.take(message);
      });
    },
    async putMany(entries) {
      for (const [digest, message] of entries) if (!messages.has(digest)) messages.set(digest, message);
    },
    async ping() {
      return {};
    },
    async close() {},
  };
}
