import type { Cluster, Redis } from 'ioredis';
import type { Fetched } from './message-store.js';
import type { InPipelines } from './redis-pipelines.js';

// The message of each digest in order while the messages read stay within ARGV[1] bytes; a message that would
// pass them is answered by its length instead (an integer reply). After the first such one, each message's length
// is asked first (HSTRLEN, STRLEN), so a message that does not fit is never copied, only measured. Each digest has
// ARGV[2] keys, tried in order until one holds its message: with ARGV[3] = 1 the first is its bucket (a hash, whose
// field is ARGV[3 + i]), the others are strings. A length of 0 is also what a missing key or field measures, so
// those are read. Reads only: it runs on a full Redis too.
const GET_WITHIN = `#!lua flags=no-writes
local left = tonumber(ARGV[1])
local per = tonumber(ARGV[2])
local hashFirst = ARGV[3] == '1'
local answer = {}
local measure = false
local function size(key, field)
  if field then return redis.call('HSTRLEN', key, field) end
  return redis.call('STRLEN', key)
end
local function read(key, field)
  if field then return redis.call('HGET', key, field) end
  return redis.call('GET', key)
end
for i = 1, #KEYS / per do
  answer[i] = false
  for j = 1, per do
    local key = KEYS[(i - 1) * per + j]
    local field = (hashFirst and j == 1) and ARGV[3 + i] or nil
    local bytes = measure and size(key, field) or 0
    if bytes > left then
      answer[i] = bytes
      break
    end
    local message = read(key, field)
    if message then
      if #message > left then
        answer[i] = #message
        measure = true
      else
        answer[i] = message
        left = left - #message
      end
      break
    end
  end
end
return answer`;

/**
 * `get` on Redis: the message of one digest, or null. Plain commands, not the budgeted script, which a GET does
 * not need and which, sent whole by EVAL and read through the batch machinery, cost a cold GET twice the CPU
 * of a plain GET. First the field of the digest's bucket, where short messages are; on a miss, its other keys
 * (its long-message key, the old layout's) at once: one round trip for most messages, two for the rest.
 */
export function readOne(client: Redis | Cluster, lookup: Lookup): (digest: string) => Promise<string | null> {
  const { first, then } = lookup;
  return async (digest) => {
    // The other keys (the long one is a Buffer.concat) are made only on a miss.
    const short = await client.hget(first.slotKey(digest), first.field(digest));
    if (short !== null) return short;
    const others = [...first.keys(digest).slice(1), ...(then?.keys(digest) ?? [])];
    const found = await Promise.all(others.map((key) => client.get(key)));
    return found.find((message) => message !== null) ?? null;
  };
}

/** Where a lookup looks for a digest's message: its keys in order, the first a hash when `field` is given. */
export interface Places {
  /** How many keys each digest has. */
  count: number;
  keys(digest: string): (string | Buffer)[];
  /** A key whose slot all the digest's keys share. */
  slotKey(digest: string): string;
  field?: (digest: string) => Buffer;
}

/**
 * Where to look: `first` for every digest, then `then` (another slot, in a Cluster) for those `first` did not
 * find, with what the budget has left.
 */
export interface Lookup {
  /** Its first key, and its slot key, is the digest's bucket: a hash, whose field is `field`. */
  first: Places & Required<Pick<Places, 'field'>>;
  then?: Places;
}

/** A message of a lookup: its digest, its position in the answer, and its size once known to be unread. */
interface Wanted {
  digest: string;
  index: number;
  bytes: number;
  places: Places;
}

/**
 * `getMany` on Redis: reads the messages of `digests` within `maxBytes`, in one read or a few, each of which
 * `run` bounds in time.
 */
export async function readWithinBudget(
  inPipelines: InPipelines,
  run: (read: () => Promise<void>) => Promise<void>,
  lookup: Lookup,
  digests: string[],
  maxBytes: number,
): Promise<Fetched[]> {
  const found = new Array<Fetched>(digests.length).fill(null);
  /** Reads the messages of `wanted` into `found` at their indexes, each command within `budgetOf` its group. */
  const readWithin = (wanted: Wanted[], places: Places, budgetOf: (group: Wanted[]) => number) =>
    inPipelines(
      wanted,
      ({ digest }) => places.slotKey(digest),
      (pipeline, group) =>
        pipeline.eval(
          GET_WITHIN,
          group.length * places.count,
          ...group.flatMap(({ digest }) => places.keys(digest)),
          budgetOf(group),
          places.count,
          places.field ? 1 : 0,
          ...group.map(({ digest }) => places.field?.(digest) ?? ''),
        ),
      0,
      (group, reply) =>
        group.forEach(({ index }, i) => (found[index] = fetched((reply as (string | number | null)[])[i]))),
    );

  const wanted: Wanted[] = digests.map((digest, index) => ({
    digest,
    index,
    bytes: 0,
    places: lookup.first,
  }));
  // Each command reads its share of the budget, in proportion to its keys: one command for a single Redis,
  // one per slot in a Cluster, whose nodes cannot share a running count.
  await run(() => readWithin(wanted, lookup.first, (group) => share(maxBytes, group.length, digests.length)));
  const { then } = lookup;
  const missing = then ? wanted.filter(({ index }) => found[index] === null) : [];
  if (then && missing.length > 0) {
    missing.forEach((item) => (item.places = then));
    const left = Math.max(0, maxBytes - bytesRead(found));
    await run(() => readWithin(missing, then, (group) => share(left, group.length, missing.length)));
  }
  // A share may have left unread messages that fit in what the others left over: read those, each
  // command exactly its messages' sizes. For a single Redis there are none (it read until nothing fit).
  const more = fitting(wanted, found, maxBytes);
  for (const places of new Set(more.map((item) => item.places))) {
    const these = more.filter((item) => item.places === places);
    await run(() => readWithin(these, places, (group) => group.reduce((sum, { bytes }) => sum + bytes, 0)));
  }
  return found;
}

function bytesRead(found: Fetched[]): number {
  let bytes = 0;
  for (const message of found) if (typeof message === 'string') bytes += Buffer.byteLength(message, 'utf8');
  return bytes;
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
  let left = maxBytes - bytesRead(found);
  const more: Wanted[] = [];
  wanted.forEach(({ digest, index, places }) => {
    const message = found[index] ?? null;
    if (message === null || typeof message === 'string' || message.unreadBytes > left) return;
    left -= message.unreadBytes;
    more.push({ digest, index, bytes: message.unreadBytes, places });
  });
  return more;
}
