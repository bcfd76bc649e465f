/**
 * Where messages live, keyed by their digest. Digests are content addresses: a key, once written, never
 * changes, so `put` never overwrites and a cache in front never needs invalidating.
 */
export interface MessageStore {
  /** The stored message, or null when there is none. */
  get(digest: string): Promise<string | null>;
  /** Stores the message unless the digest is already there (which is not an error). */
  put(digest: string, message: string): Promise<void>;
  /** `get` for many digests in one round trip; answers in the same order. */
  getMany(digests: string[]): Promise<(string | null)[]>;
  /** `put` for many messages in one round trip. */
  putMany(entries: [digest: string, message: string][]): Promise<void>;
  /** Resolves when the store answers a round trip, with what it can do; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<StoreStatus>;
  close(): Promise<void>;
}

/** What a store that answers can do right now. */
export interface StoreStatus {
  /**
   * Why writes are refused for now while reads still work (a full Redis, say); absent while writes succeed.
   * Every replica of the service shares the store, so this is no reason to stop taking traffic.
   */
  writesRefused?: string;
}

/** The store cannot answer now (down, too slow, failing over); the request may be retried later. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
