import { Cluster, type Redis } from 'ioredis';
import { type StoreStatus, StoreUnavailableError } from './message-store.js';
import { errorKind, writeRefusal } from './redis-errors.js';
import type { RedisInstruments } from './redis-instruments.js';

// A script with a shebang and no flags counts as one that may write: Redis refuses it as it would refuse a
// write (OOM when full, ...), yet it writes nothing. The service needs EVAL anyway, for batches.
const WRITE_PROBE = '#!lua\nreturn 1';

/**
 * Ready means a cluster with every slot served, or a primary (not a replica left behind by a failover) with
 * enough replicas connected for the acknowledgement setting. A primary that refuses writes for now (full,
 * say) leaves the service ready: every replica shares it and reads still work; the status says why.
 * In a Cluster each primary has its own memory, and only the writes to a full one are refused (503).
 * The role it reads and whether its write check was refused go to the metrics too (`sawRole`, `sawWriteCheck`):
 * probes come every few seconds, so the metrics follow them without asking Redis themselves. A replica's
 * READONLY to the write check is no command error: the role already says why the service is not ready.
 */
export async function readiness(
  client: Redis | Cluster,
  minReplicaAcks: number,
  { sawRole, sawWriteCheck }: Pick<RedisInstruments, 'sawRole' | 'sawWriteCheck'>,
): Promise<StoreStatus> {
  if (client instanceof Cluster) {
    const info = String(await client.cluster('INFO'));
    if (!/cluster_state:ok/.test(info))
      throw new StoreUnavailableError('Redis Cluster is not serving every slot');
    return {};
  }
  // Issued together, the two leave in one auto-pipeline: one round trip.
  const [roleReply, writesRefused] = await Promise.all([
    client.role(),
    client.eval(WRITE_PROBE, 0).then(
      () => {
        sawWriteCheck(false);
        return undefined;
      },
      (error: unknown) => {
        const refusal = writeRefusal(error);
        sawWriteCheck(refusal !== undefined);
        if (refusal !== undefined || errorKind(error) === 'READONLY') return refusal;
        return Promise.reject(error);
      },
    ),
  ]);
  const [role, , replicas] = roleReply as [string, number, unknown[]?];
  sawRole(role);
  if (role !== 'master') throw new StoreUnavailableError(`Redis is a ${role}, not a primary`);
  if ((replicas?.length ?? 0) < minReplicaAcks) {
    throw new StoreUnavailableError(
      `Redis has ${replicas?.length ?? 0} replicas connected, ${minReplicaAcks} needed`,
    );
  }
  return writesRefused ? { writesRefused } : {};
}
