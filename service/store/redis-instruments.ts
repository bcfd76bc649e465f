import { Cluster, type Redis } from 'ioredis';
import type { Metrics } from '../metrics.js';
import type { RedisRole } from '../redis-metrics.js';
import { ERROR_KINDS, errorKind } from './redis-errors.js';

/** What the adapter reports to the Redis metrics as it works. */
export interface RedisInstruments {
  /** A call failed with `error` (counted by kind; a READONLY reply also says the node is a replica). */
  failed(error: unknown): void;
  /** Redis's ROLE answered `role` (the readiness probe asks it anyway). */
  sawRole(role: string): void;
  /** Redis answered a pipeline that ended in a WAIT for replicas. */
  waiting(): void;
  /** That WAIT answered that `acknowledged` replicas have the write. */
  waited(acknowledged: number, wanted: number): void;
}

/**
 * Installs the Redis metrics for `client`. Whether it is ready is read from the client when scraped. The role
 * of the node written to is learnt without a round trip of its own on any request's path: one ROLE each time a
 * connection becomes ready, then the ROLE the readiness probe sends every few seconds, and a READONLY reply
 * (a primary demoted by a failover) at once; it is unknown while no connection is ready. A Cluster client
 * sends every command to the primary of its slot, so there it is `master` whenever the cluster client is ready.
 */
export function instrumentRedis(client: Redis | Cluster, metrics: Metrics): RedisInstruments {
  let role: RedisRole = 'unknown';
  // Counts connections, so that a ROLE answered by a connection since closed does not set the role.
  let connection = 0;
  const ready = () => client.status === 'ready';
  const learn = (reply: string) =>
    (role = reply === 'master' ? 'master' : reply === 'slave' ? 'replica' : 'unknown');

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
      connected: ready(),
      role: !ready() ? 'unknown' : client instanceof Cluster ? 'master' : role,
    }),
    ERROR_KINDS,
  );

  return {
    failed(error) {
      const kind = errorKind(error);
      if (kind === undefined) return;
      commandErrors.inc({ kind });
      if (kind === 'READONLY') role = 'replica';
    },
    sawRole: learn,
    waiting: () => replicaAcksWaits.inc(),
    waited(acknowledged, wanted) {
      if (acknowledged < wanted) replicaAcksMissed.inc();
    },
  };
}
