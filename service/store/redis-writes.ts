import type { ChainableCommander } from 'ioredis';
import { type KeyLayout, SHORT_MESSAGE_MAX_BYTES } from './redis-layout.js';

// Commands leave in pipelines (auto-pipelining, batches), which ioredis joins by appending strings; for a
// long message that means copying ever longer strings, so those go as bytes, which it joins in one copy.
const LONG_MESSAGE_CHARS = 1024;

// For each message, HSETNX in its bucket when short, else SET NX at its own key: nothing stored is ever
// replaced. KEYS come in pairs (bucket, long key), ARGV in pairs (field, message). One command for a whole
// batch; Redis runs it without interleaving other clients' commands.
const STORE_EACH_NX = `for i = 1, #KEYS / 2 do
  local message = ARGV[2 * i]
  if #message <= ${SHORT_MESSAGE_MAX_BYTES} then
    redis.call('HSETNX', KEYS[2 * i - 1], ARGV[2 * i - 1], message)
  else
    redis.call('SET', KEYS[2 * i], message, 'NX')
  end
end
return #KEYS / 2`;

/** Adds to the pipeline one command that stores each message at its digest, unless one is stored there. */
export function storeEachNx(layout: KeyLayout) {
  return (pipeline: ChainableCommander, entries: [string, string][]): void => {
    pipeline.eval(
      STORE_EACH_NX,
      entries.length * 2,
      ...entries.flatMap(([digest]) => [layout.bucket(digest), layout.long(digest)]),
      ...entries.flatMap(([digest, message]) => [layout.field(digest), wire(message)]),
    );
  };
}

/** The message as it is best sent to Redis. */
export function wire(message: string): string | Buffer {
  return message.length > LONG_MESSAGE_CHARS ? Buffer.from(message, 'utf8') : message;
}

/** Whether a message goes in its bucket (else at a key of its own). */
export function isShort(message: string): boolean {
  // A UTF-8 byte is at most one UTF-16 unit, and a unit at most 3 bytes: most messages need no count.
  if (message.length > SHORT_MESSAGE_MAX_BYTES) return false;
  if (message.length * 3 <= SHORT_MESSAGE_MAX_BYTES) return true;
  return Buffer.byteLength(message, 'utf8') <= SHORT_MESSAGE_MAX_BYTES;
}
