import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Ajv, type ErrorObject } from 'ajv';
import { type ReadFile, type RedisConfig, redisConfig, withoutPassword } from './config-redis.js';

const HOST_PORT = '(\\[[0-9A-Fa-f:.]+\\]|[^\\s,:=\\[\\]]+):[0-9]{1,5}';
const HOST_PORT_LIST = `^${HOST_PORT}(,${HOST_PORT})*$`;

/**
 * Every setting the service reads, as a JSON schema over the environment. The schema is the one source for
 * names, types, defaults and documentation (the README table mirrors it; a test keeps the two in step).
 */
export const configSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 8080, description: 'API port.' },
    HOST: {
      type: 'string',
      default: '',
      description: 'Address to bind; empty means every interface (IPv4 and IPv6).',
    },
    METRICS_PORT: {
      type: 'integer',
      minimum: 0,
      maximum: 65535,
      default: 9464,
      description: 'Port of `GET /metrics`, kept off the API port so an ingress never exposes it.',
    },
    REDIS_URL: {
      type: 'string',
      pattern: '^rediss?://',
      description:
        '`redis://` or `rediss://` (TLS) URL, with password and db if needed. Unset: embedded store.',
    },
    REDIS_SENTINELS: {
      type: 'string',
      pattern: HOST_PORT_LIST,
      description: 'Sentinel topology: comma-separated `host:port` of the sentinels.',
    },
    REDIS_SENTINEL_MASTER: {
      type: 'string',
      description: 'Sentinel topology: the name of the master the sentinels watch.',
    },
    REDIS_SENTINEL_PASSWORD: {
      type: 'string',
      description: 'Sentinel topology: password of the sentinels themselves, if they have one.',
    },
    REDIS_CLUSTER_NODES: {
      type: 'string',
      pattern: HOST_PORT_LIST,
      description: 'Cluster topology: comma-separated seed `host:port`; the rest is discovered.',
    },
    REDIS_CLUSTER_NAT_MAP: {
      type: 'string',
      pattern: `^${HOST_PORT}=${HOST_PORT}(,${HOST_PORT}=${HOST_PORT})*$`,
      description:
        'Cluster topology: `announced=reachable` address pairs, for nodes that announce addresses this process cannot reach.',
    },
    REDIS_USERNAME: {
      type: 'string',
      description: 'ACL user name (Redis 6+); unset means the default user.',
    },
    REDIS_PASSWORD: {
      type: 'string',
      description: 'Redis password, kept out of the URL (for a Kubernetes Secret). Overrides the URL one.',
    },
    REDIS_PASSWORD_FILE: {
      type: 'string',
      description: 'File holding the Redis password (a mounted Secret); a trailing newline is ignored.',
    },
    REDIS_TLS: {
      type: 'boolean',
      default: false,
      description: 'TLS to Sentinel or Cluster nodes (with `REDIS_URL`, use `rediss://` instead).',
    },
    REDIS_TLS_CA_FILE: {
      type: 'string',
      description: 'PEM file of the CA that signed the Redis certificates, when it is not a public one.',
    },
    REDIS_MIN_REPLICA_ACKS: {
      type: 'integer',
      minimum: 0,
      default: 0,
      description: 'A POST answers 201 only once this many replicas confirm the write (`WAIT`); else 503.',
    },
    REDIS_REPLICA_ACK_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1,
      default: 200,
      description: 'How long a POST waits for those replica confirmations; below the command timeout.',
    },
    REDIS_KEY_PREFIX: {
      type: 'string',
      default: 'shaservice:',
      description: 'Prefix of every Redis key, so several services can share one Redis.',
    },
    REDIS_COMMAND_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1,
      default: 500,
      description: 'A Redis command that takes longer fails and the request gets 503.',
    },
    REDIS_CONNECT_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1,
      default: 2000,
      description: 'Time allowed to open a connection to Redis before trying again.',
    },
    CACHE_MAX_BYTES: {
      type: 'integer',
      minimum: 0,
      default: 64 * 1024 * 1024,
      description:
        'Size of the in-process LRU cache of messages read; 0 turns it off. Must fit in the heap NODE_OPTIONS gives.',
    },
    MAX_BODY_BYTES: {
      type: 'integer',
      minimum: 2,
      default: 1024 * 1024,
      description: 'Largest request body accepted; larger ones get 413.',
    },
    LOOKUP_MAX_BYTES: {
      type: 'integer',
      minimum: 2,
      description:
        'Most bytes of messages (as JSON text) in one `POST /digests/lookup` answer; more get 422. ' +
        'Unset: 4 MiB, or MAX_BODY_BYTES when that is larger; never below MAX_BODY_BYTES.',
    },
    BATCH_MAX_ITEMS: {
      type: 'integer',
      minimum: 1,
      default: 1000,
      description: 'Most messages in `POST /messages/batch`, or digests in `POST /digests/lookup`.',
    },
    LOG_LEVEL: {
      type: 'string',
      enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
      default: 'info',
      description: 'pino log level; `info` logs one line per request.',
    },
    REQUEST_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1000,
      default: 30000,
      description: 'Time a client has to send a whole request; slower ones are cut off.',
    },
    KEEP_ALIVE_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1000,
      default: 65000,
      description:
        'Idle keep-alive time; above the 60 s nginx keeps upstream sockets, so nginx closes first.',
    },
    SHUTDOWN_DELAY_MS: {
      type: 'integer',
      minimum: 0,
      default: 2000,
      description: 'After SIGTERM: time spent unready but still serving, so load balancers stop sending.',
    },
    SHUTDOWN_TIMEOUT_MS: {
      type: 'integer',
      minimum: 0,
      default: 10000,
      description: 'After the delay: time in-flight requests get to finish before connections are cut.',
    },
  },
} as const;

export interface Config {
  port: number;
  host: string | undefined;
  metricsPort: number;
  /** Unset: the embedded store. */
  redis: RedisConfig | undefined;
  cacheMaxBytes: number;
  maxBodyBytes: number;
  /** Most bytes of found messages, as JSON strings, in one lookup answer. */
  lookupMaxBytes: number;
  batchMaxItems: number;
  logLevel: string;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
}

type Env = Record<string, string | undefined>;
type SettingName = keyof typeof configSchema.properties;
export type Settings = Record<SettingName, string | number | boolean | undefined>;

/** What the heap needs besides the cache: the service's own ~16 MiB live, requests in flight, V8's slack. */
export const HEAP_HEADROOM_BYTES = 96 * 2 ** 20;

/** LOOKUP_MAX_BYTES when unset, unless MAX_BODY_BYTES is larger. */
export const DEFAULT_LOOKUP_MAX_BYTES = 4 * 2 ** 20;

/**
 * What one lookup at its budget may hold on the heap, per byte of budget: the messages read (up to twice the
 * budget when a second read completes them, and a string may take two bytes a character where UTF-8 took one)
 * and the answer's JSON text.
 */
export const LOOKUP_HEAP_FACTOR = 4;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const validate = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true }).compile<Settings>(
  configSchema,
);

/**
 * Reads and checks every setting; throws a ConfigError that lists all problems at once. Files named by
 * settings (secrets mounted by Kubernetes) are read here too, so a missing one stops start-up.
 */
export function loadConfig(
  env: Env,
  readFile: ReadFile = (path) => readFileSync(path, 'utf8'),
  heapLimitBytes = getHeapStatistics().heap_size_limit,
): Config {
  const settings: Record<string, string | number | boolean> = {};
  for (const name of Object.keys(configSchema.properties)) {
    const value = env[name];
    // An empty variable is how shells and manifests say "unset".
    if (value !== undefined && value !== '') settings[name] = value;
  }
  const problems = validate(settings) ? [] : (validate.errors ?? []).map((e) => describe(e, env));
  if (settings.PORT === settings.METRICS_PORT && settings.PORT !== 0) {
    problems.push(`PORT and METRICS_PORT must differ (both are ${settings.PORT})`);
  }
  // A cache the heap cannot hold ends with V8 out of memory under load; better to refuse at start.
  const cacheBytes = Number(settings.CACHE_MAX_BYTES ?? 0);
  if (cacheBytes + HEAP_HEADROOM_BYTES > heapLimitBytes) {
    const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20);
    problems.push(
      `CACHE_MAX_BYTES=${cacheBytes} needs a heap of ${mib(cacheBytes + HEAP_HEADROOM_BYTES)} MiB, but Node's ` +
        `is limited to ${mib(heapLimitBytes)} MiB: raise --max-old-space-size in NODE_OPTIONS ` +
        `(the chart's nodeOptions) or lower CACHE_MAX_BYTES`,
    );
  }
  if (problems.length === 0) problems.push(...lookupProblems(settings, heapLimitBytes));
  if (problems.length > 0) throw new ConfigError(problems);
  const { redis, problems: redisProblems } = redisConfig(settings as Settings, readFile);
  if (redisProblems.length > 0) throw new ConfigError(redisProblems);
  return toConfig(settings as Settings, redis);
}

/** LOOKUP_MAX_BYTES: unset, the default or MAX_BODY_BYTES, whichever is larger. */
function lookupMaxBytes(settings: Record<string, unknown>): number {
  const maxBody = Number(settings.MAX_BODY_BYTES);
  return settings.LOOKUP_MAX_BYTES === undefined
    ? Math.max(DEFAULT_LOOKUP_MAX_BYTES, maxBody)
    : Number(settings.LOOKUP_MAX_BYTES);
}

/**
 * Any message a client could store must be answerable by a lookup of its digest alone; and a lookup at its
 * budget must fit in the heap beside the cache, or one request could run it out.
 */
function lookupProblems(settings: Record<string, unknown>, heapLimitBytes: number): string[] {
  const lookupBytes = lookupMaxBytes(settings);
  const maxBody = Number(settings.MAX_BODY_BYTES);
  if (lookupBytes < maxBody) {
    return [
      `LOOKUP_MAX_BYTES=${lookupBytes} is below MAX_BODY_BYTES=${maxBody}: a message as large as a body ` +
        `allows could never be looked up; set it to at least ${maxBody}`,
    ];
  }
  const cacheBytes = Number(settings.CACHE_MAX_BYTES ?? 0);
  const needed = cacheBytes + HEAP_HEADROOM_BYTES + LOOKUP_HEAP_FACTOR * lookupBytes;
  if (needed <= heapLimitBytes) return [];
  const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20);
  return [
    `LOOKUP_MAX_BYTES=${lookupBytes} needs up to ${mib(LOOKUP_HEAP_FACTOR * lookupBytes)} MiB of heap for a ` +
      `lookup, beside the cache and ${mib(HEAP_HEADROOM_BYTES)} MiB: a heap of ${mib(needed)} MiB, but Node's ` +
      `is limited to ${mib(heapLimitBytes)} MiB: raise --max-old-space-size in NODE_OPTIONS (the chart's ` +
      `nodeOptions) or lower LOOKUP_MAX_BYTES (or CACHE_MAX_BYTES)`,
  ];
}

function describe(error: ErrorObject, env: Env): string {
  const name = error.instancePath.slice(1);
  const value = JSON.stringify(env[name]);
  if (error.keyword === 'pattern' && name === 'REDIS_URL') {
    return `REDIS_URL must start with redis:// or rediss:// (got ${JSON.stringify(withoutPassword(env[name] ?? ''))})`;
  }
  if (error.keyword === 'enum') {
    return `${name} must be one of ${error.params.allowedValues.join(', ')} (got ${value})`;
  }
  return `${name} ${error.message} (got ${value})`;
}

function toConfig(s: Settings, redis: RedisConfig | undefined): Config {
  const int = (name: SettingName) => s[name] as number;
  const str = (name: SettingName) => s[name] as string | undefined;
  return {
    port: int('PORT'),
    host: str('HOST') || undefined,
    metricsPort: int('METRICS_PORT'),
    redis,
    cacheMaxBytes: int('CACHE_MAX_BYTES'),
    maxBodyBytes: int('MAX_BODY_BYTES'),
    lookupMaxBytes: lookupMaxBytes(s),
    batchMaxItems: int('BATCH_MAX_ITEMS'),
    logLevel: str('LOG_LEVEL') ?? 'info',
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS'),
    keepAliveTimeoutMs: int('KEEP_ALIVE_TIMEOUT_MS'),
    shutdownDelayMs: int('SHUTDOWN_DELAY_MS'),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS'),
  };
}
