import type { MessageStore } from '../store/message-store.js';
import { parseDigest, sha256Hex } from './digest.js';

/** A message the service refuses to store, with a sentence the client can act on. */
export class InvalidMessageError extends Error {
  override name = 'InvalidMessageError';
}

export interface Messages {
  /** Stores the message (idempotently) and answers its digest. */
  save(message: string): Promise<string>;
  /** The message stored under the digest, or null when there is none or the text is no digest. */
  find(digestText: string): Promise<{ digest: string; message: string } | null>;
}

export function createMessages(store: MessageStore): Messages {
  return {
    async save(message) {
      assertRoundTrips(message);
      const digest = sha256Hex(message);
      await store.put(digest, message);
      return digest;
    },
    async find(digestText) {
      const digest = parseDigest(digestText);
      if (digest === null) return null;
      const message = await store.get(digest);
      return message === null ? null : { digest, message };
    },
  };
}

/**
 * A lone UTF-16 surrogate (JSON allows "\ud800") has no UTF-8 encoding: it would be stored as U+FFFD and
 * read back as a different message than the digest was promised for. Refuse it instead.
 */
function assertRoundTrips(message: string): void {
  if (!message.isWellFormed()) {
    const index = [...message].findIndex((ch) => !ch.isWellFormed());
    throw new InvalidMessageError(
      `message contains an unpaired UTF-16 surrogate at character ${index}; ` +
        'it has no UTF-8 form, so it could not be read back unchanged',
    );
  }
}
