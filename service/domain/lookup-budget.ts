import type { Fetched } from '../store/message-store.js';

/** A lookup whose found messages would make too large an answer; the digests before `index` fit in one. */
export class LookupTooLargeError extends Error {
  override name = 'LookupTooLargeError';

  constructor(
    readonly index: number,
    readonly maxBytes: number,
  ) {
    super(
      index === 0
        ? `The message of digests[0] alone is more than ${maxBytes} bytes of JSON (LOOKUP_MAX_BYTES); ` +
            'read it with GET /messages/{digest}'
        : `The messages found total more than ${maxBytes} bytes of JSON (LOOKUP_MAX_BYTES); the digests ` +
            `before index ${index} fit in one answer: look those up, then the rest, or read messages one at ` +
            'a time with GET /messages/{digest}',
    );
  }
}

// What JSON writes other than as the character's own UTF-8: control characters, quote and backslash escaped,
// a lone surrogate as \udXXX. Pairs match too; they only send a message down the exact (slower) path.
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const ESCAPED = /[\u0000-\u001f"\\\ud800-\udfff]/;
// No UTF-16 code unit takes more than this in JSON (\u0001 is 6 bytes); and the quotes around the string.
const MAX_JSON_BYTES_PER_UNIT = 6;

/** The bytes of the message as a JSON string in an answer, quotes included. */
export function jsonStringBytes(message: string): number {
  return ESCAPED.test(message)
    ? Buffer.byteLength(JSON.stringify(message), 'utf8')
    : Buffer.byteLength(message, 'utf8') + 2;
}

/** Where the answer stops fitting (`index`), and the messages before it that must be read to know. */
export interface Overrun {
  /** The first position whose message does not fit after those before it; undefined when all fit. */
  index: number | undefined;
  /** Digests left unread before `index`, which may still fit. */
  unread: string[];
}

/**
 * Walks the answer in the order asked, each message counted every time it is asked for (each time it is in the
 * answer), against `maxBytes`. A message left unread counts for its size plus quotes, the least its JSON can
 * be; `unreadFits` says whether such a one may be read to find out (false once reading has been tried).
 */
export function overrun(
  digests: (string | null)[],
  fetched: Map<string, Fetched>,
  maxBytes: number,
  unreadFits: boolean,
): Overrun {
  if (fitsSurely(digests, fetched, maxBytes)) return { index: undefined, unread: [] };
  const unread = new Set<string>();
  let used = 0;
  for (const [index, digest] of digests.entries()) {
    const found = digest === null ? null : (fetched.get(digest) ?? null);
    if (digest === null || found === null) continue;
    const isUnread = typeof found !== 'string';
    used += isUnread ? found.unreadBytes + 2 : jsonStringBytes(found);
    if (used > maxBytes || (isUnread && !unreadFits)) return { index, unread: [...unread] };
    if (isUnread) unread.add(digest);
  }
  return { index: undefined, unread: [...unread] };
}

/** The common case, decided without a pass over any message: all were read, and even at worst they fit. */
function fitsSurely(digests: (string | null)[], fetched: Map<string, Fetched>, maxBytes: number): boolean {
  let most = 0;
  for (const digest of digests) {
    const found = digest === null ? null : (fetched.get(digest) ?? null);
    if (found === null) continue;
    if (typeof found !== 'string') return false;
    most += found.length * MAX_JSON_BYTES_PER_UNIT + 2;
    if (most > maxBytes) return false;
  }
  return true;
}
