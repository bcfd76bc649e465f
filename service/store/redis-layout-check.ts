import type { Cluster, Redis } from 'ioredis';
import { StoreUnavailableError } from './message-store.js';
import { errorKind } from './redis-errors.js';
import { LAYOUT_KEY } from './redis-layout.js';

// Records the layout unless one is recorded, and answers the recorded one. Allowed on a full Redis: a few bytes,
// once, and the check must not wait for room.
const RECORD_LAYOUT = `#!lua flags=allow-oom
local recorded = redis.call('GET', KEYS[1])
if recorded then return recorded end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]`;

/**
 * The store was filled with another bucket setting: its messages are where this process would not look. Every
 * call fails with it (503, readiness false, the reason logged) until the setting is put back.
 */
export class LayoutMismatchError extends StoreUnavailableError {
  override name = 'LayoutMismatchError';
}

/**
 * A check, run before the first command of each connection and remembered while it lasts once it passed (or
 * found another layout): the bucket setting is part of every key, so a process with another one would miss every
 * stored message and store copies beside them. A Redis that comes back empty (restarted without persistence)
 * has lost the record, so each new connection asks again. A failure to ask (Redis down) is forgotten, so the
 * next command asks again.
 */
export function checkLayout(client: Redis | Cluster, marker: string): () => Promise<void> {
  let checked: Promise<void> | undefined;
  client.on('ready', () => {
    checked = undefined;
  });
  return () => {
    checked ??= client.eval(RECORD_LAYOUT, 1, LAYOUT_KEY, marker).then(
      (recorded) => {
        if (String(recorded) !== marker) throw mismatch(String(recorded), marker);
      },
      (error: unknown) => {
        checked = undefined;
        // A Redis that refuses the check itself (an ACL without SET, say) is let through: the commands that
        // follow then fail with their own error, which says more than this check could.
        if (errorKind(error) !== 'other') throw error;
      },
    );
    return checked;
  };
}

function mismatch(recorded: string, marker: string): LayoutMismatchError {
  const bits = (text: string) => text.replace(/^buckets:/, '');
  return new LayoutMismatchError(
    `This Redis holds messages stored with REDIS_BUCKET_BITS=${bits(recorded)}, and this service has ` +
      `REDIS_BUCKET_BITS=${bits(marker)}: set it back to ${bits(recorded)} (README: Key layout)`,
  );
}
