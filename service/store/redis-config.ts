import { quoted, shown } from '../config-quote.js';
import type { Accepted, SettingName, Settings } from '../config-schema.js';

export interface HostPort {
  host: string;
  port: number;
}

/** The three ways to reach Redis; exactly one may be configured. */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; masterName: string; sentinelPassword: string | undefined }
  | { kind: 'cluster'; nodes: HostPort[]; natMap: Record<string, HostPort> };

export interface RedisConfig {
  topology: RedisTopology;
  username: string | undefined;
  password: string | undefined;
  tls: boolean;
  /** PEM text of a private CA, read from REDIS_TLS_CA_FILE. */
  tlsCa: string | undefined;
  keyPrefix: string;
  /** Short messages share 2^bucketBits hashes (redis-layout.ts). */
  bucketBits: number;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  minReplicaAcks: number;
  replicaAckTimeoutMs: number;
}

export type ReadFile = (path: string) => string;

/**
 * How long a caller waits for a call to Redis, from the call: the command timeout, and in a Cluster the
 * connect timeout too. A Cluster client follows redirects and retries through a failover by itself, for as
 * long as the failover lasts (requests waited up to 2.8 s in the failover test), so there a caller may also
 * wait for a node to be reached. Either way, once the deadline passes the command itself goes on, and a write
 * may still land (SET NX: a retry is safe).
 */
export function callDeadlineMs({ topology, commandTimeoutMs, connectTimeoutMs }: RedisConfig): number {
  return commandTimeoutMs + (topology.kind === 'cluster' ? connectTimeoutMs : 0);
}

const TOPOLOGY_SETTINGS = ['REDIS_URL', 'REDIS_SENTINELS', 'REDIS_CLUSTER_NODES'] as const;

/**
 * Derives the Redis connection from the settings, and lists what does not fit together (two topologies, a
 * Sentinel without its master name, an unreadable secret file, ...). A setting the schema refused counts as
 * given but its value is not read; the connection is derived only when the schema accepted every setting.
 */
export function redisConfig(
  s: Settings,
  accepted: Accepted,
  readFile: ReadFile,
): { redis?: RedisConfig; problems: string[] } {
  const problems: string[] = [];
  const str = (name: keyof Settings) => s[name] as string | undefined;
  const int = (name: keyof Settings) => s[name] as number;
  const chosen = TOPOLOGY_SETTINGS.filter((name) => str(name) !== undefined);

  if (chosen.length > 1) {
    problems.push(`Set only one Redis topology: ${chosen.join(' and ')} are both set`);
  }
  if (str('REDIS_SENTINELS') !== undefined && str('REDIS_SENTINEL_MASTER') === undefined) {
    problems.push('REDIS_SENTINELS needs REDIS_SENTINEL_MASTER, the name of the master the sentinels watch');
  }
  if (str('REDIS_PASSWORD') !== undefined && str('REDIS_PASSWORD_FILE') !== undefined) {
    problems.push('Set REDIS_PASSWORD or REDIS_PASSWORD_FILE, not both');
  }
  const url = str('REDIS_URL');
  const urlProblem = url !== undefined && accepted('REDIS_URL') ? redisUrlProblem(url) : undefined;
  if (urlProblem !== undefined) problems.push(urlProblem);
  if (s.REDIS_TLS === true && str('REDIS_URL')?.startsWith('redis://')) {
    problems.push('REDIS_TLS is set but REDIS_URL is redis://; use a rediss:// URL for TLS');
  }
  const acks = int('REDIS_MIN_REPLICA_ACKS');
  const acksReadable = accepted(
    'REDIS_MIN_REPLICA_ACKS',
    'REDIS_REPLICA_ACK_TIMEOUT_MS',
    'REDIS_COMMAND_TIMEOUT_MS',
  );
  if (acksReadable && acks > 0 && int('REDIS_REPLICA_ACK_TIMEOUT_MS') >= int('REDIS_COMMAND_TIMEOUT_MS')) {
    problems.push(
      `REDIS_REPLICA_ACK_TIMEOUT_MS (${s.REDIS_REPLICA_ACK_TIMEOUT_MS}) must be below ` +
        `REDIS_COMMAND_TIMEOUT_MS (${s.REDIS_COMMAND_TIMEOUT_MS}), or every acknowledged write would time out`,
    );
  }
  if (chosen.length === 0) {
    const stray = Object.keys(s).filter((name) => name.startsWith('REDIS_') && isRedisOnly(name, s));
    if (stray.length > 0) {
      problems.push(
        `${stray.join(', ')}: no effect without REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES`,
      );
    }
  } else {
    requireWith(s, 'REDIS_SENTINELS', ['REDIS_SENTINEL_MASTER', 'REDIS_SENTINEL_PASSWORD'], problems);
    requireWith(s, 'REDIS_CLUSTER_NODES', ['REDIS_CLUSTER_NAT_MAP'], problems);
  }

  // Secret files usually end with a newline that is not part of the password.
  const fromFile = readSecret('REDIS_PASSWORD_FILE', str('REDIS_PASSWORD_FILE'), readFile, problems);
  const password = str('REDIS_PASSWORD') ?? fromFile?.replace(/\r?\n$/, '');
  const tlsCa = readSecret('REDIS_TLS_CA_FILE', str('REDIS_TLS_CA_FILE'), readFile, problems);
  const allAccepted = accepted(...(Object.keys(s) as SettingName[]));
  if (problems.length > 0 || !allAccepted || chosen.length === 0) return { problems };

  return {
    problems,
    redis: {
      topology: topology(s),
      username: str('REDIS_USERNAME'),
      password,
      tls: s.REDIS_TLS === true || str('REDIS_URL')?.startsWith('rediss://') === true,
      tlsCa,
      keyPrefix: str('REDIS_KEY_PREFIX') ?? '',
      bucketBits: int('REDIS_BUCKET_BITS'),
      commandTimeoutMs: int('REDIS_COMMAND_TIMEOUT_MS'),
      connectTimeoutMs: int('REDIS_CONNECT_TIMEOUT_MS'),
      minReplicaAcks: acks,
      replicaAckTimeoutMs: int('REDIS_REPLICA_ACK_TIMEOUT_MS'),
    },
  };
}

function topology(s: Settings): RedisTopology {
  if (s.REDIS_URL !== undefined) return { kind: 'standalone', url: s.REDIS_URL as string };
  if (s.REDIS_SENTINELS !== undefined) {
    return {
      kind: 'sentinel',
      sentinels: hostPorts(s.REDIS_SENTINELS as string),
      masterName: s.REDIS_SENTINEL_MASTER as string,
      sentinelPassword: s.REDIS_SENTINEL_PASSWORD as string | undefined,
    };
  }
  const pairs = ((s.REDIS_CLUSTER_NAT_MAP as string | undefined) ?? '').split(',').filter(Boolean);
  return {
    kind: 'cluster',
    nodes: hostPorts(s.REDIS_CLUSTER_NODES as string),
    natMap: Object.fromEntries(
      pairs.map((pair) => pair.split('=') as [string, string]).map(([from, to]) => [from, hostPort(to)]),
    ),
  };
}

function hostPorts(list: string): HostPort[] {
  return list.split(',').map(hostPort);
}

function hostPort(text: string): HostPort {
  const at = text.lastIndexOf(':');
  return { host: text.slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(text.slice(at + 1)) };
}

/** Settings that only mean something once a topology is chosen (those with defaults always have a value). */
function isRedisOnly(name: string, s: Settings): boolean {
  if (name === 'REDIS_MIN_REPLICA_ACKS') return (s.REDIS_MIN_REPLICA_ACKS as number) > 0;
  if (name === 'REDIS_TLS') return s.REDIS_TLS === true;
  return ![
    'REDIS_KEY_PREFIX',
    'REDIS_BUCKET_BITS',
    'REDIS_COMMAND_TIMEOUT_MS',
    'REDIS_CONNECT_TIMEOUT_MS',
    'REDIS_REPLICA_ACK_TIMEOUT_MS',
  ].includes(name);
}

function requireWith(s: Settings, base: keyof Settings, dependents: (keyof Settings)[], problems: string[]) {
  if (s[base] !== undefined) return;
  for (const name of dependents)
    if (s[name] !== undefined) problems.push(`${name} has no effect without ${base}`);
}

function readSecret(name: string, path: string | undefined, readFile: ReadFile, problems: string[]) {
  if (path === undefined) return undefined;
  try {
    return readFile(path);
  } catch (error) {
    // The error repeats the path: shown as the rest of the message shows it.
    const reason = (error as Error).message.replaceAll(path, shown(path));
    problems.push(`${name} ${shown(path)} cannot be read: ${reason}`);
    return undefined;
  }
}

/**
 * What keeps ioredis from reading the URL as meant, if anything: the WHATWG parser must take it and its user
 * and password decode; without a host ioredis would quietly connect to localhost; and the path names the
 * database, which ioredis SELECTs as given ("/abc" selects NaN). Only Redis knows how many databases it has.
 */
function redisUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    return `REDIS_URL is not a valid URL (got ${quoted(url)}); percent-encode its password`;
  }
  if (parsed.hostname === '') return `REDIS_URL names no host (got ${quoted(url)})`;
  if (!/^(\/[0-9]*)?$/.test(parsed.pathname)) {
    return (
      `REDIS_URL's path must be a database number, /0 up to the server's \`databases\` less one ` +
      `(got ${quoted(url)})`
    );
  }
  return undefined;
}
