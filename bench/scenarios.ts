import { createHash, randomBytes } from 'node:crypto';
import type { Request } from 'autocannon';

/** Which shaservice process a scenario measures: the default cache, or the cache turned off. */
export type ServiceKind = 'service' | 'service-nocache';

/** Messages and digests prepared once per run and shared by both servers (they use the same keys). */
export interface Fixtures {
  storedDigests: string[];
  storedMessages: string[];
  unknownDigests: string[];
  /** A bounded pool of 64 KiB messages: distinct new ones at ~thousands/s would fill Redis by gigabytes. */
  bigMessages: string[];
}

export interface Scenario {
  id: string;
  title: string;
  service: ServiceKind;
  /** Statuses that count as success; anything else (and every timeout) is an error. */
  expected: number[];
  /** Connection counts measured in full mode; smoke mode uses its own small one. */
  connections: number[];
  /** Fresh autocannon requests for one run; `run` makes new messages unique across runs. */
  requests(fixtures: Fixtures, run: string): Request[];
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** One request template whose every send takes the next value of `make`, so each request differs. */
function each(make: (n: number) => Request): Request[] {
  let n = 0;
  return [
    {
      setupRequest: (defaults) => {
        const request = make(n++);
        // autocannon reads the headers of every request it builds; a GET has none of its own.
        return { ...defaults, ...request, headers: request.headers ?? {} };
      },
    },
  ];
}

const getOf = (digests: string[]) =>
  each((n) => ({ method: 'GET', path: `/messages/${digests[n % digests.length]}` }));

const postOf = (message: string): Request => ({
  method: 'POST',
  path: '/messages',
  headers: JSON_HEADERS,
  body: JSON.stringify({ message }),
});

const newMessage = (run: string, n: number) => `bench ${run} message number ${n}: the quick brown fox`;

/**
 * Every scenario of issue 6. 200 connections only where it tells something new (time: at least 10 s per
 * measurement, four alternated measurements each, and the whole bench under 10 minutes).
 */
export const SCENARIOS: Scenario[] = [
  {
    id: 'get-cold',
    title: 'GET stored, cache off',
    service: 'service-nocache',
    expected: [200],
    connections: [50, 200],
    requests: (f) => getOf(f.storedDigests),
  },
  {
    id: 'get-warm',
    title: 'GET stored, cache warm',
    service: 'service',
    expected: [200],
    connections: [50, 200],
    requests: (f) => getOf(f.storedDigests),
  },
  {
    id: 'get-unknown',
    title: 'GET unknown digest',
    service: 'service',
    expected: [404],
    connections: [50],
    requests: (f) => getOf(f.unknownDigests),
  },
  {
    id: 'post-new',
    title: 'POST new message',
    service: 'service',
    expected: [201],
    connections: [50, 200],
    requests: (_f, run) => each((n) => postOf(newMessage(run, n))),
  },
  {
    id: 'post-stored',
    title: 'POST stored message',
    service: 'service',
    expected: [201],
    connections: [50],
    requests: (f) => each((n) => postOf(f.storedMessages[n % f.storedMessages.length] as string)),
  },
  {
    id: 'mix-90-10',
    title: '90% GET / 10% POST',
    service: 'service',
    expected: [200, 201],
    connections: [50],
    requests: (f, run) =>
      each((n) =>
        n % 10 === 9
          ? postOf(newMessage(run, n))
          : { method: 'GET', path: `/messages/${f.storedDigests[n % f.storedDigests.length]}` },
      ),
  },
  {
    id: 'post-64k',
    title: 'POST 64 KiB message',
    service: 'service',
    expected: [201],
    connections: [50],
    requests: (f) => each((n) => postOf(f.bigMessages[n % f.bigMessages.length] as string)),
  },
];

/** A digest-shaped string that no stored message has (random 256 bits). */
export function randomDigest(): string {
  return randomBytes(32).toString('hex');
}

/** A 64 KiB message (65,536 UTF-8 bytes of ASCII), distinct per `n`. */
export function bigMessage(n: number): string {
  const head = `big message ${n} `;
  return head + 'x'.repeat(64 * 1024 - head.length);
}

const batchOf = (size: number, message: (n: number) => string, batch: number) =>
  Array.from({ length: size }, (_, i) => message(batch * size + i));

const batchPost = (messages: string[]): Request => ({
  method: 'POST',
  path: '/messages/batch',
  headers: JSON_HEADERS,
  body: JSON.stringify({ messages }),
});

/** POST /messages/batch requests of `size` distinct messages each; message number n is `message(n)`. */
export function batchPosts(size: number, message: (n: number) => string): Request[] {
  return each((batch) => batchPost(batchOf(size, message, batch)));
}

// How many batches a lookup trails the newest post by: more than the connections in flight, so that the
// batch it reads back has been answered.
const LOOKUP_LAG = 16;

/**
 * Batches of new messages as in `batchPosts`, each post followed by a POST /digests/lookup of an earlier
 * batch, so every message is both written and read (and so held by the cache, which fills on reads).
 */
export function batchPostsAndLookups(size: number, message: (n: number) => string): Request[] {
  return each((n) => {
    const batch = Math.floor(n / 2);
    if (n % 2 === 0) return batchPost(batchOf(size, message, batch));
    const digests = batchOf(size, message, Math.max(0, batch - LOOKUP_LAG)).map((text) =>
      createHash('sha256').update(text, 'utf8').digest('hex'),
    );
    return {
      method: 'POST',
      path: '/digests/lookup',
      headers: JSON_HEADERS,
      body: JSON.stringify({ digests }),
    };
  });
}
