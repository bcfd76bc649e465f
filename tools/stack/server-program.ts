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
}

// The floors have no health route. An unknown digest is a Redis GET answered 404, so that status says the
// process listens and its Redis answers, as /readyz does for the service.
const UNKNOWN_DIGEST = `/messages/${'0'.repeat(64)}`;

export const SERVER_PROGRAMS = {
  /** `node dist/main.js`, as the image runs it. */
  service: { args: ['dist/main.js'], readyPath: '/readyz', readyStatus: 200 },
  /** The service from its sources through tsx: no build needed (the tests). */
  'service-sources': { args: ['--import', 'tsx', 'service/main.ts'], readyPath: '/readyz', readyStatus: 200 },
  /** The bare node:http + ioredis floor (PORT, REDIS_URL). */
  baseline: {
    args: ['--import', 'tsx', 'bench/baseline/server.ts'],
    readyPath: UNKNOWN_DIGEST,
    readyStatus: 404,
  },
} satisfies Record<string, ServerProgram>;

export type ServerKind = keyof typeof SERVER_PROGRAMS;

/** What a stack replica may run: everything but the sources, which a stack does not need. */
export const REPLICA_KINDS = Object.keys(SERVER_PROGRAMS).filter(
  (kind) => kind !== 'service-sources',
) as Exclude<ServerKind, 'service-sources'>[];
export type ReplicaKind = (typeof REPLICA_KINDS)[number];
