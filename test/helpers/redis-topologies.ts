import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import getPort, { portNumbers } from 'get-port';
import { Redis } from 'ioredis';
import { pollUntil } from '../../tools/stack/poll.js';
import { RedisServer } from '../../tools/stack/redis-server.js';

const run = promisify(execFile);

/** Sends one command to one node with a short-lived client of the test's own, and answers the reply. */
export async function ask(
  port: number,
  ...command: [string, ...(string | number | Buffer)[]]
): Promise<unknown> {
  const client = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    return await client.call(...command);
  } finally {
    client.disconnect();
  }
}

async function answers(port: number, ...command: [string, ...(string | number)[]]): Promise<string> {
  return String(await ask(port, ...command).catch((error: Error) => `error: ${error.message}`));
}

/**
 * Starts servers side by side; if any fails, stops the ones that started (and `alsoStop`) before rethrowing,
 * so that a failed set-up leaves no process that would keep mocha from exiting.
 */
async function startAll(
  starts: (() => Promise<RedisServer>)[],
  alsoStop: RedisServer[] = [],
): Promise<RedisServer[]> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) {
    await Promise.all([...started, ...alsoStop].map((server) => server.destroy()));
    throw failure.reason;
  }
  return started;
}

async function destroyOnFailure(
  topology: { destroy(): Promise<void> },
  setUp: () => Promise<void>,
): Promise<void> {
  try {
    await setUp();
  } catch (error) {
    await topology.destroy();
    throw error;
  }
}

/**
 * A free port for a cluster node whose bus port (port + 10000) is free too. An ephemeral port from the OS
 * can be above 55535, where the bus port does not exist and redis-server exits at once.
 */
async function clusterPort(taken: number[]): Promise<number> {
  const avoid = [...taken];
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = await getPort({ host: '127.0.0.1', port: portNumbers(20000, 45000), exclude: avoid });
    if ((await getPort({ host: '127.0.0.1', port: port + 10000 })) === port + 10000) return port;
    avoid.push(port);
  }
  throw new Error('no free pair of cluster and bus ports between 20000 and 55000');
}

/** A primary, two replicas and three sentinels, all real processes on free loopback ports. */
export class SentinelGroup {
  private constructor(
    readonly masterName: string,
    readonly primary: RedisServer,
    readonly replicas: RedisServer[],
    readonly sentinels: RedisServer[],
  ) {}

  static async start(masterName = 'shaservice'): Promise<SentinelGroup> {
    const [primary] = await startAll([() => RedisServer.start()]);
    const replicaOf = ['--replicaof', '127.0.0.1', String(primary!.port)];
    const others = await startAll(
      [
        ...[0, 1].map(() => () => RedisServer.start(replicaOf)),
        ...[0, 1, 2].map(() => () => RedisServer.startSentinel(masterName, primary!.port)),
      ],
      [primary!],
    );
    const group = new SentinelGroup(masterName, primary!, others.slice(0, 2), others.slice(2));
    await destroyOnFailure(group, () =>
      pollUntil('the replicas to sync and every sentinel to see them', () => group.settled(), 20_000, 100),
    );
    return group;
  }

  /** Settings for the service: the sentinels and the master's name. */
  get env(): Record<string, string> {
    return {
      REDIS_SENTINELS: this.sentinels.map((s) => s.address).join(','),
      REDIS_SENTINEL_MASTER: this.masterName,
    };
  }

  get dataNodes(): RedisServer[] {
    return [this.primary, ...this.replicas];
  }

  /** The data node the sentinels currently name as primary. */
  async currentPrimary(): Promise<RedisServer> {
    const reply = (await ask(
      this.sentinels[0]!.port,
      'SENTINEL',
      'get-master-addr-by-name',
      this.masterName,
    )) as string[];
    const node = this.dataNodes.find((server) => String(server.port) === reply[1]);
    if (!node) throw new Error(`sentinels name an unknown primary ${reply.join(':')}`);
    return node;
  }

  async destroy(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.dataNodes].map((server) => server.destroy()));
  }

  private async settled(): Promise<boolean> {
    const primary = await this.currentPrimary().catch(() => undefined);
    if (!primary) return false;
    const info = await answers(primary.port, 'INFO', 'replication');
    if (!/connected_slaves:2/.test(info)) return false;
    for (const sentinel of this.sentinels) {
      const replicas = await answers(sentinel.port, 'SENTINEL', 'replicas', this.masterName);
      if ((replicas.match(/127\.0\.0\.1/g) ?? []).length < 2) return false;
      const known = await answers(sentinel.port, 'SENTINEL', 'sentinels', this.masterName);
      if ((known.match(/127\.0\.0\.1/g) ?? []).length < 2) return false;
    }
    return true;
  }
}

export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'slave';
  /** For a replica, the id of its primary. */
  primaryId: string | undefined;
  failed: boolean;
}

/** Six redis-server nodes made into a Cluster of three primaries with a replica each by redis-cli. */
export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  static async start(nodeTimeoutMs = 1000): Promise<RedisCluster> {
    const args = [
      ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
      ...['--cluster-node-timeout', String(nodeTimeoutMs)],
      // A replica otherwise refuses to take over when its last contact with the primary looks too old,
      // which a cluster made seconds ago can report; the tests are about the failover happening.
      ...['--cluster-replica-validity-factor', '0'],
    ];
    const ports: number[] = [];
    for (let i = 0; i < 6; i++) ports.push(await clusterPort(ports));
    const nodes = await startAll(ports.map((port) => () => RedisServer.start({ port, extraArgs: args })));
    const cluster = new RedisCluster(nodes);
    await destroyOnFailure(cluster, async () => {
      const addresses = nodes.map((n) => n.address);
      await run('redis-cli', [
        '--cluster',
        'create',
        ...addresses,
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ]);
      await pollUntil('every node to report cluster_state:ok', () => cluster.healthy(), 20_000, 100);
      await pollUntil('every replica to finish its first sync', () => cluster.replicasInSync(), 20_000, 100);
    });
    return cluster;
  }

  /** Settings for the service: three seed nodes; the rest it discovers. */
  get env(): Record<string, string> {
    return {
      REDIS_CLUSTER_NODES: this.nodes
        .slice(0, 3)
        .map((n) => n.address)
        .join(','),
    };
  }

  server(port: number): RedisServer {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on port ${port}`);
    return node;
  }

  /** The cluster's view of itself, as one live node reports it. */
  async topology(): Promise<ClusterNode[]> {
    for (const node of this.nodes) {
      const text = await answers(node.port, 'CLUSTER', 'NODES');
      if (text.startsWith('error:')) continue;
      return text
        .trim()
        .split('\n')
        .map((line) => {
          const [id, address, flags, primaryId] = line.split(' ');
          return {
            id: id!,
            port: Number(address!.split('@')[0]!.split(':')[1]),
            role: flags!.includes('master') ? 'master' : 'slave',
            primaryId: primaryId === '-' ? undefined : primaryId,
            failed: /fail/.test(flags!),
          } as ClusterNode;
        });
    }
    throw new Error('no cluster node answers');
  }

  /** Every node that answers says the cluster serves all slots. */
  async healthy(): Promise<boolean> {
    for (const node of this.nodes) {
      const info = await answers(node.port, 'CLUSTER', 'INFO');
      if (info.startsWith('error:')) continue;
      if (!/cluster_state:ok/.test(info)) return false;
    }
    return true;
  }

  private async replicasInSync(): Promise<boolean> {
    const infos = await Promise.all(this.nodes.map((node) => answers(node.port, 'INFO', 'replication')));
    const replicas = infos.filter((info) => info.includes('role:slave'));
    return replicas.length === 3 && replicas.every((info) => info.includes('master_link_status:up'));
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.destroy()));
  }
}
