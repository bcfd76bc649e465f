import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { Ajv, type ErrorObject } from 'ajv';
import { type Accepted, configSchema, type SettingName, type Settings } from './config-schema.js';
import { type ReadFile, type RedisConfig, redisConfig, withoutPassword } from './store/redis-config.js';

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
  /** Time a client has to send a request's headers: derived from requestTimeoutMs. */
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

/** What the heap needs besides the cache: the service's own ~16 MiB live, requests in flight, V8's slack. */
const HEAP_HEADROOM_BYTES = 96 * 2 ** 20;

/** LOOKUP_MAX_BYTES when unset, unless MAX_BODY_BYTES is larger. */
const DEFAULT_LOOKUP_MAX_BYTES = 4 * 2 ** 20;

/**
 * What one lookup at its budget may hold on the heap, per byte of budget: the messages read (up to twice the
 * budget when a second read completes them, and a string may take two bytes a character where UTF-8 took one)
 * and the answer's JSON text.
 */
const LOOKUP_HEAP_FACTOR = 4;

/** Node's own headers timeout, kept while REQUEST_TIMEOUT_MS allows: Node refuses one above the request timeout. */
const NODE_HEADERS_TIMEOUT_MS = 60_000;

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
 * Reads and checks every setting; throws a ConfigError that lists all problems at once, so that fixing one
 * never reveals the next. Files named by settings (secrets mounted by Kubernetes) are read here too, so a
 * missing one stops start-up.
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
  const errors = validate(settings) ? [] : (validate.errors ?? []);
  // A rule across settings skips those whose value the schema refused: that problem is listed already.
  const refused = new Set(errors.map((error) => error.instancePath.slice(1)));
  const accepted: Accepted = (...names) => names.every((name) => !refused.has(name));
  const s = settings as Settings;
  const { redis, problems: redisProblems } = redisConfig(s, accepted, readFile);
  const problems = [
    ...errors.map((error) => describe(error, env)),
    ...(accepted('PORT', 'METRICS_PORT') ? portProblems(s) : []),
    ...(accepted('CACHE_MAX_BYTES') ? cacheProblems(s, heapLimitBytes) : []),
    ...(accepted('MAX_BODY_BYTES', 'LOOKUP_MAX_BYTES') ? lookupBudgetProblems(s) : []),
    ...(accepted('CACHE_MAX_BYTES', 'MAX_BODY_BYTES', 'LOOKUP_MAX_BYTES')
      ? lookupHeapProblems(s, heapLimitBytes)
      : []),
    ...redisProblems,
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return toConfig(s, redis);
}

function portProblems(s: Settings): string[] {
  return s.PORT === s.METRICS_PORT && s.PORT !== 0
    ? [`PORT and METRICS_PORT must differ (both are ${s.PORT})`]
    : [];
}

/** LOOKUP_MAX_BYTES: unset, the default or MAX_BODY_BYTES, whichever is larger. */
function lookupMaxBytes(s: Settings): number {
  const maxBody = Number(s.MAX_BODY_BYTES);
  return s.LOOKUP_MAX_BYTES === undefined
    ? Math.max(DEFAULT_LOOKUP_MAX_BYTES, maxBody)
    : Number(s.LOOKUP_MAX_BYTES);
}

const mib = (bytes: number) => Math.ceil(bytes / 2 ** 20);

/** A cache the heap cannot hold ends with V8 out of memory under load; better to refuse at start. */
function cacheProblems(s: Settings, heapLimitBytes: number): string[] {
  const cacheBytes = Number(s.CACHE_MAX_BYTES);
  if (cacheBytes + HEAP_HEADROOM_BYTES <= heapLimitBytes) return [];
  return [
    `CACHE_MAX_BYTES=${cacheBytes} needs a heap of ${mib(cacheBytes + HEAP_HEADROOM_BYTES)} MiB, but Node's ` +
      `is limited to ${mib(heapLimitBytes)} MiB: raise --max-old-space-size in NODE_OPTIONS ` +
      `(the chart's nodeOptions) or lower CACHE_MAX_BYTES`,
  ];
}

/** Any message a client could store must be answerable by a lookup of its digest alone. */
function lookupBudgetProblems(s: Settings): string[] {
  const lookupBytes = lookupMaxBytes(s);
  const maxBody = Number(s.MAX_BODY_BYTES);
  if (lookupBytes >= maxBody) return [];
  return [
    `LOOKUP_MAX_BYTES=${lookupBytes} is below MAX_BODY_BYTES=${maxBody}: a message as large as a body ` +
      `allows could never be looked up; set it to at least ${maxBody}`,
  ];
}

/**
 * A lookup at its budget must fit in the heap beside the cache, or one request could run it out. Judged only
 * once the cache fits and the budget is large enough: otherwise the problems above already say what to change.
 */
function lookupHeapProblems(s: Settings, heapLimitBytes: number): string[] {
  const lookupBytes = lookupMaxBytes(s);
  const cacheBytes = Number(s.CACHE_MAX_BYTES);
  const needed = cacheBytes + HEAP_HEADROOM_BYTES + LOOKUP_HEAP_FACTOR * lookupBytes;
  const judged = cacheProblems(s, heapLimitBytes).length === 0 && lookupBudgetProblems(s).length === 0;
  if (!judged || needed <= heapLimitBytes) return [];
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
    headersTimeoutMs: Math.min(int('REQUEST_TIMEOUT_MS'), NODE_HEADERS_TIMEOUT_MS),
    keepAliveTimeoutMs: int('KEEP_ALIVE_TIMEOUT_MS'),
    shutdownDelayMs: int('SHUTDOWN_DELAY_MS'),
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS'),
  };
}
