/**
 * Where messages live, keyed by their digest. Digests are content addresses: a key, once written, never
 * changes, so `put` never overwrites and a cache in front never needs invalidating.
 */
export interface MessageStore {
  /** The stored message, or null when there is none. */
  get(digest: string): Promise<string | null>;
  /** Stores the message unless the digest is already there (which is not an error). */
  put(digest: string, message: string): Promise<void>;
  /**
   * `get` for many digests in one round trip (per node), in the same order, reading at most `maxBytes` bytes
   * (UTF-8) of messages: a message that would pass them is left unread and answered by its size. When all the
   * messages fit in `maxBytes` together, all are read. Which ones are left unread otherwise is the store's
   * choice; it prefers to read the earlier ones.
   */
  getMany(digests: string[], maxBytes: number): Promise<Fetched[]>;
  /** `put` for many messages in one round trip. */
  putMany(entries: [digest: string, message: string][]): Promise<void>;
  /** Resolves when the store answers a round trip, with what it can do; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<StoreStatus>;
  /**
   * Opens the store's connections, for a store that has any, and resolves once the first try has ended, connected
   * or not (a store that cannot connect yet still serves, with 503s until it can). Not done when the store is
   * made: building the app blocks the event loop for about half a second (compiling openapi.yaml's validators),
   * and a reply that arrived meanwhile was read past the command timeout; so main.ts connects once the app is
   * built, and listens once the first try has ended, so that the first readiness probe finds it done.
   */
  connect?(): Promise<void>;
  close(): Promise<void>;
}

/** A stored message that was left unread, since reading it would have passed the byte budget. */
export interface Unread {
  unreadBytes: number;
}

/** One answer of `getMany`: the message, null when none is stored, or the size of one left unread. */
export type Fetched = string | null | Unread;

/** A byte budget spent message by message, for stores that already hold their messages in memory. */
export interface ByteBudget {
  /** The message while it fits in what is left (which it then uses up), else its size. */
  take(message: string): string | Unread;
  /** Bytes not used up yet. */
  readonly left: number;
}

export function byteBudget(maxBytes: number): ByteBudget {
  let left = maxBytes;
  return {
    take(message) {
      const bytes = Buffer.byteLength(message, 'utf8');
      if (bytes > left) return { unreadBytes: bytes };
      left -= bytes;
      return message;
    },
    get left() {
      return left;
    },
  };
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
