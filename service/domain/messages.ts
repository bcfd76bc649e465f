import type { MessageStore } from '../store/message-store.js';
import { parseDigest, sha256Hex } from './digest.js';

/** A message the service refuses to store, with a sentence the client can act on. */
export class InvalidMessageError extends Error {
  override name = 'InvalidMessageError';

  /** In a batch, the position of the refused message. */
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
  }
}

/** One answer of a lookup: the digest as asked, and its message or null when none is stored. */
export interface Lookup {
  digest: string;
  message: string | null;
}

export interface Messages {
  /** Stores the message (idempotently) and answers its digest. */
  save(message: string): Promise<string>;
  /** The message stored under the digest, or null when there is none or the text is no digest. */
  find(digestText: string): Promise<{ digest: string; message: string } | null>;
  /** `save` for many messages at once: all are checked before any is stored; digests in the same order. */
  saveMany(messages: string[]): Promise<string[]>;
  /** `find` for many digests at once, in the same order. */
  findMany(digestTexts: string[]): Promise<Lookup[]>;
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
    async saveMany(messages) {
      messages.forEach((message, index) => assertRoundTrips(message, index));
      const entries = messages.map((message): [string, string] => [sha256Hex(message), message]);
      await store.putMany(entries);
      return entries.map(([digest]) => digest);
    },
    async findMany(digestTexts) {
      const digests = digestTexts.map(parseDigest);
      const valid = digests.filter((digest): digest is string => digest !== null);
      const stored = await store.getMany(valid);
      const found = new Map(valid.map((digest, i) => [digest, stored[i] ?? null]));
      return digestTexts.map((text, i) => ({ digest: text, message: found.get(digests[i] ?? '') ?? null }));
    },
  };
}

/**
 * A lone UTF-16 surrogate (JSON allows "\ud800") has no UTF-8 encoding: it would be stored as U+FFFD and
 * read back as a different message than the digest was promised for. Refuse it instead.
 */
function assertRoundTrips(message: string, index?: number): void {
  if (!message.isWellFormed()) {
    const at = [...message].findIndex((ch) => !ch.isWellFormed());
    const which = index === undefined ? 'message' : `messages[${index}]`;
    throw new InvalidMessageError(
      `${which} contains an unpaired UTF-16 surrogate at character ${at}; ` +
        'it has no UTF-8 form, so it could not be read back unchanged',
      index,
    );
  }
}
