import { Cluster, type Redis, ReplyError } from 'ioredis';
import type { Metrics } from '../metrics.js';
import type { RedisRole } from '../redis-metrics.js';
import { ERROR_KINDS, errorKind } from './redis-errors.js';

/** What the adapter reports to the Redis metrics as it works. */
export interface RedisInstruments {
  /** A call was answered: Redis responds (again). */
  succeeded(): void;
  /** A call failed with `error` (counted by kind; a READONLY reply also says the node is a replica). */
  failed(error: unknown): void;
  /** Redis's ROLE answered `role` (the readiness probe asks it anyway). */
  sawRole(role: string): void;
  /** The readiness probe's write check was refused (full, cannot persist, too few replicas) or not. */
  sawWriteCheck(refused: boolean): void;
  /** Redis answered a pipeline that ended in a WAIT for replicas. */
  waiting(): void;
  /** That WAIT answered that `acknowledged` replicas have the write. */
  waited(acknowledged: number, wanted: number): void;
}

// Failures that say nothing answers: a client whose latest call ended so is not counted as connected.
const UNANSWERED = new Set(['timeout', 'connection']);

/**
 * Installs the Redis metrics for `client`. Connected means the client is ready and its latest call (a request
 * or the readiness probe) was answered, not timed out or cut off: a Redis frozen behind an open socket keeps
 * the client ready while nothing answers. The role of the node written to is learnt without a round trip of
 * its own on any request's path: one ROLE each time a connection becomes ready, then the ROLE the readiness
 * probe sends every few seconds, and a READONLY reply (a primary demoted by a failover) at once; it is unknown
 * while not connected. A Cluster client sends every command to the primary of its slot, so there it is
 * `master` whenever connected.
 */
export function instrumentRedis(client: Redis | Cluster, metrics: Metrics): RedisInstruments {
  let role: RedisRole = 'unknown';
  // Counts connections, so that a ROLE answered by a connection since closed does not set the role.
  let connection = 0;
  let answering = true;
  let writesRefused = false;
  // The kind of the reply that failed the latest connection's handshake (WRONGPASS, NOAUTH: ioredis emits it
  // as an 'error' event); until a connection is ready, commands fail offline and are counted as that kind
  // rather than as `connection`, so that a wrong password is told apart from a Redis that is down.
  let handshakeRefusal: string | undefined;
  const connected = () => client.status === 'ready' && answering;
  const learn = (reply: string) =>
    (role = reply === 'master' ? 'master' : reply === 'slave' ? 'replica' : 'unknown');

  client.on('error', (error: unknown) => {
    if (error instanceof ReplyError) handshakeRefusal = errorKind(error);
  });
  client.on('ready', () => {
    handshakeRefusal = undefined;
    answering = true;
  });
  if (!(client instanceof Cluster)) {
    client.on('close', () => {
      connection++;
      role = 'unknown';
    });
    client.on('ready', () => {
      const asked = connection;
      client.role().then(
        (reply) => asked === connection && learn(String((reply as unknown[])[0])),
        () => undefined,
      );
    });
  }
  const { replicaAcksWaits, replicaAcksMissed, commandErrors } = metrics.measureRedis(
    () => ({
      connected: connected(),
      role: !connected() ? 'unknown' : client instanceof Cluster ? 'master' : role,
      writesRefused,
    }),
    ERROR_KINDS,
  );

  return {
    succeeded() {
      answering = true;
    },
    failed(error) {
      let kind = errorKind(error);
      if (kind === 'connection' && client.status !== 'ready' && handshakeRefusal) kind = handshakeRefusal;
      // Any reply, even a refusal, is an answer.
      answering = kind === undefined || !UNANSWERED.has(kind);
      if (kind === undefined) return;
      commandErrors.inc({ kind });
      if (kind === 'READONLY') role = 'replica';
    },
    sawRole: learn,
    sawWriteCheck(refused) {
      writesRefused = refused;
    },
    waiting: () => replicaAcksWaits.inc(),
    waited(acknowledged, wanted) {
      if (acknowledged < wanted) replicaAcksMissed.inc();
    },
  };
}
