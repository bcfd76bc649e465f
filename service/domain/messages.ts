import type { Fetched, MessageStore, StoreStatus } from '../store/message-store.js';
import { parseDigest, sha256Hex } from './digest.js';
import { LookupTooLargeError, overrun } from './lookup-budget.js';

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
  /**
   * `find` for many digests at once, in the same order. Throws LookupTooLargeError when the messages found
   * would total more than `lookupMaxBytes` of JSON, each counted as often as it is asked for.
   */
  findMany(digestTexts: string[]): Promise<Lookup[]>;
  /**
   * Resolves once messages can be found now (the store answered a round trip), with what the store can do;
   * rejects with StoreUnavailableError when it cannot answer.
   */
  readiness(): Promise<StoreStatus>;
}

export interface MessageLimits {
  /** Most bytes of found messages, as JSON strings, in one answer of `findMany`. */
  lookupMaxBytes: number;
}

export function createMessages(store: MessageStore, { lookupMaxBytes }: MessageLimits): Messages {
  async function fetchInto(fetched: Map<string, Fetched>, digests: string[]): Promise<Map<string, Fetched>> {
    const answers = await store.getMany(digests, lookupMaxBytes);
    digests.forEach((digest, i) => fetched.set(digest, answers[i] ?? null));
    return fetched;
  }

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
      // Each message is read once however often it is asked for; the store reads at most the budget.
      const distinct = [...new Set(digests.filter((digest): digest is string => digest !== null))];
      const fetched = await fetchInto(new Map(), distinct);
      let over = overrun(digests, fetched, lookupMaxBytes, true);
      // Messages the store left unread may still fit after those before them: read them (they total at most
      // the budget, so all are read) and count again, this time exactly.
      if (over.unread.length > 0) {
        await fetchInto(fetched, over.unread);
        over = overrun(digests, fetched, lookupMaxBytes, false);
      }
      if (over.index !== undefined) throw new LookupTooLargeError(over.index, lookupMaxBytes);
      return digestTexts.map((text, i) => {
        const found = fetched.get(digests[i] ?? '') ?? null;
        return { digest: text, message: typeof found === 'string' ? found : null };
      });
    },
    readiness: () => store.ping(),
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
