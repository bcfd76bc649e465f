import type { Fetched } from './message-store.js';
import type { InPipelines } from './redis-pipelines.js';

// GET of each key in order while the messages read stay within ARGV[1] bytes; a message that would pass them
// is answered by its length instead (an integer reply). After the first such one, each key's length is asked
// first (STRLEN), so a message that does not fit is never copied, only measured. Reads only: it runs on a full
// Redis too.
const GET_WITHIN = `#!lua flags=no-writes
local left = tonumber(ARGV[1])
local answer = {}
local measure = false
for i = 1, #KEYS do
  if measure then
    local size = redis.call('STRLEN', KEYS[i])
    if size > left then
      answer[i] = size
    else
      answer[i] = redis.call('GET', KEYS[i])
      left = left - size
    end
  else
    local message = redis.call('GET', KEYS[i])
    if message and #message > left then
      answer[i] = #message
      measure = true
    else
      answer[i] = message
      if message then left = left - #message end
    end
  end
end
return answer`;

/** A message of a lookup: its digest, its position in the answer, and its size once known to be unread. */
interface Wanted {
  digest: string;
  index: number;
  bytes: number;
}

/**
 * `getMany` on Redis: reads the messages of `digests` within `maxBytes`, in one read or two, each of which
 * `run` bounds in time.
 */
export async function readWithinBudget(
  inPipelines: InPipelines,
  run: (read: () => Promise<void>) => Promise<void>,
  digests: string[],
  maxBytes: number,
): Promise<Fetched[]> {
  const found = new Array<Fetched>(digests.length).fill(null);
  /** Reads the messages of `wanted` into `found` at their indexes, each command within `budgetOf` its group. */
  const readWithin = (wanted: Wanted[], budgetOf: (group: Wanted[]) => number) =>
    inPipelines(
      wanted,
      ({ digest }) => digest,
      (pipeline, group) =>
        pipeline.eval(GET_WITHIN, group.length, ...group.map(({ digest }) => digest), budgetOf(group)),
      0,
      (group, reply) =>
        group.forEach(({ index }, i) => (found[index] = fetched((reply as (string | number | null)[])[i]))),
    );

  const wanted = digests.map((digest, index) => ({ digest, index, bytes: 0 }));
  // Each command reads its share of the budget, in proportion to its keys: one command for a single Redis,
  // one per slot in a Cluster, whose nodes cannot share a running count.
  await run(() => readWithin(wanted, (group) => share(maxBytes, group.length, digests.length)));
  // A share may have left unread messages that fit in what the others left over: read those, each
  // command exactly its messages' sizes. For a single Redis there are none (it read until nothing fit).
  const more = fitting(wanted, found, maxBytes);
  if (more.length > 0) {
    await run(() => readWithin(more, (group) => group.reduce((sum, { bytes }) => sum + bytes, 0)));
  }
  return found;
}

function fetched(reply: string | number | null | undefined): Fetched {
  return typeof reply === 'number' ? { unreadBytes: reply } : (reply ?? null);
}

/** A group's part of the budget, in proportion to its keys; the parts never add up to more than the whole. */
function share(maxBytes: number, keys: number, allKeys: number): number {
  return keys === allKeys ? maxBytes : Math.floor((maxBytes * keys) / allKeys);
}

/** The unread messages, in order, that fit in what the ones read left of the budget. */
function fitting(wanted: Wanted[], found: Fetched[], maxBytes: number): Wanted[] {
  if (!found.some((message) => message !== null && typeof message !== 'string')) return [];
  let left = maxBytes;
  for (const message of found) if (typeof message === 'string') left -= Buffer.byteLength(message, 'utf8');
  const more: Wanted[] = [];
  wanted.forEach(({ digest, index }) => {
    const message = found[index] ?? null;
    if (message === null || typeof message === 'string' || message.unreadBytes > left) return;
    left -= message.unreadBytes;
    more.push({ digest, index, bytes: message.unreadBytes });
  });
  return more;
}
