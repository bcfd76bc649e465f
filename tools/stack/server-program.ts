/**
 * What a server process runs, and how to tell that it is ready: the service as the image runs it, or one of the
 * floors of bench/baseline/ that the bench and the stack compare it with. Adding a floor is one entry below.
 */
export interface ServerProgram {
  /** Node's arguments after the caller's node options: what to load and run. */
  args: string[];
  /** A GET that answers `readyStatus` only once the process serves and its Redis round trip works. */
  readyPath: string;
  readyStatus: number;
  /** Environment it needs over the service's (serviceEnvironment). */
  env?: Record<string, string>;
}

// The floors run with Node's own defaults, not the image's heap cap (NODE_OPTIONS), as a service written by
// hand would: the cap makes V8 collect more often, which the service offsets (service/heap.ts) and they do not.
const NODE_DEFAULTS = { NODE_OPTIONS: '' };

// The floors have no health route. An unknown digest is a Redis GET answered 404, so that status says the
// process listens and its Redis answers, as /readyz does for the service.
const UNKNOWN_DIGEST = `/messages/${'0'.repeat(64)}`;

export const SERVER_PROGRAMS = {
  /** `node dist/main.js`, as the image runs it. */
  service: { args: ['dist/main.js'], readyPath: '/readyz', readyStatus: 200 },
  /** The service from its sources through tsx: no build needed (the tests). */
  'service-sources': { args: ['--import', 'tsx', 'service/main.ts'], readyPath: '/readyz', readyStatus: 200 },
  /** The floor of a hand-written Koa service: koa, @koa/router, koa-bodyparser, ioredis (PORT, REDIS_URL, KEY_PREFIX). */
  'koa-floor': {
    args: ['--import', 'tsx', 'bench/baseline/koa-floor.ts'],
    readyPath: UNKNOWN_DIGEST,
    readyStatus: 404,
    env: NODE_DEFAULTS,
  },
  /** The bare node:http + ioredis floor (PORT, REDIS_URL, KEY_PREFIX). */
  'node-http': {
    args: ['--import', 'tsx', 'bench/baseline/server.ts'],
    readyPath: UNKNOWN_DIGEST,
    readyStatus: 404,
    env: NODE_DEFAULTS,
  },
} satisfies Record<string, ServerProgram>;

export type ServerKind = keyof typeof SERVER_PROGRAMS;

/** The floors shaservice is compared with, in bench/baseline/. */
export const FLOOR_KINDS = ['koa-floor', 'node-http'] as const satisfies ServerKind[];
export type FloorKind = (typeof FLOOR_KINDS)[number];

/** What a stack replica may run: everything but the sources, which a stack does not need. */
export const REPLICA_KINDS = Object.keys(SERVER_PROGRAMS).filter(
  (kind) => kind !== 'service-sources',
) as Exclude<ServerKind, 'service-sources'>[];
export type ReplicaKind = (typeof REPLICA_KINDS)[number];
