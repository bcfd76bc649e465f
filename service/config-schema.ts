const HOST_PORT = '(\\[[0-9A-Fa-f:.]+\\]|[^\\s,:=\\[\\]]+):[0-9]{1,5}';
const HOST_PORT_LIST = `^${HOST_PORT}(,${HOST_PORT})*$`;
/** The longest delay Node's timers take: a longer one fires after 1 ms instead. */
const MAX_MS = 2 ** 31 - 1;
/** The largest integer a number holds exactly; the bound of the settings that count bytes or items. */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;

/**
 * Every setting the service reads, as a JSON schema over the environment. The schema is the one source for
 * names, types, defaults and documentation (the README table mirrors it; a test keeps the two in step). It
 * imports nothing of ours, so the loader, the Redis adapter and the tools all read it without a cycle.
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
      maximum: MAX_COUNT,
      default: 0,
      description: 'A POST answers 201 only once this many replicas confirm the write (`WAIT`); else 503.',
    },
    REDIS_REPLICA_ACK_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_MS,
      default: 200,
      description: 'How long a POST waits for those replica confirmations; below the command timeout.',
    },
    REDIS_KEY_PREFIX: {
      type: 'string',
      default: 'shaservice:',
      description: 'Prefix of every Redis key, so several services can share one Redis.',
    },
    REDIS_BUCKET_BITS: {
      type: 'integer',
      minimum: 8,
      maximum: 26,
      default: 16,
      description:
        'Short messages share 2^bits hashes in Redis; size it from the expected message count (README: Key layout). Fixed once a store holds messages.',
    },
    REDIS_COMMAND_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_MS,
      default: 500,
      description: 'A Redis command that takes longer fails and the request gets 503.',
    },
    REDIS_CONNECT_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_MS,
      default: 2000,
      description: 'Time allowed to open a connection to Redis before trying again.',
    },
    CACHE_MAX_BYTES: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_COUNT,
      default: 64 * 1024 * 1024,
      description:
        'Size of the in-process LRU cache of messages read; 0 turns it off. Must fit in the heap NODE_OPTIONS gives.',
    },
    MAX_BODY_BYTES: {
      type: 'integer',
      minimum: 2,
      maximum: MAX_COUNT,
      default: 1024 * 1024,
      description: 'Largest request body accepted; larger ones get 413.',
    },
    LOOKUP_MAX_BYTES: {
      type: 'integer',
      minimum: 2,
      maximum: MAX_COUNT,
      description:
        'Most bytes of messages (as JSON text) in one `POST /digests/lookup` answer; more get 422. ' +
        'Unset: 4 MiB, or MAX_BODY_BYTES when that is larger; never below MAX_BODY_BYTES.',
    },
    BATCH_MAX_ITEMS: {
      type: 'integer',
      minimum: 1,
      maximum: MAX_COUNT,
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
      maximum: MAX_MS,
      default: 30000,
      description: 'Time a client has to send a whole request; slower ones are cut off.',
    },
    KEEP_ALIVE_TIMEOUT_MS: {
      type: 'integer',
      minimum: 1000,
      maximum: MAX_MS,
      default: 65000,
      description:
        'Idle keep-alive time; above the 60 s nginx keeps upstream sockets, so nginx closes first.',
    },
    SHUTDOWN_DELAY_MS: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_MS,
      default: 2000,
      description: 'After SIGTERM: time spent unready but still serving, so load balancers stop sending.',
    },
    SHUTDOWN_TIMEOUT_MS: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_MS,
      default: 10000,
      description: 'After the delay: time in-flight requests get to finish before connections are cut.',
    },
  },
} as const;

export type SettingName = keyof typeof configSchema.properties;
/** The settings given; once the schema has passed them, numbers and booleans are converted and defaults filled. */
export type Settings = Record<SettingName, string | number | boolean | undefined>;
/** Whether the schema accepted every one of these settings; rules read only those, the others' problems being listed. */
export type Accepted = (...names: SettingName[]) => boolean;
