import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { type Certificates, makeCertificates } from './certificates.js';
import type { Child } from './child.js';
import { DEFAULT_PROXY_LIMITS, type ProxyLimits, type ProxyTuning, startNginx } from './nginx.js';
import { startPrometheus } from './prometheus.js';
import { ReadinessProber } from './readiness-prober.js';
import { RedisServer } from './redis-server.js';
import { Replica } from './replica.js';
import { type ReplicaKind, SERVER_PROGRAMS } from './server-program.js';

export interface StackOptions {
  /** Ports on 127.0.0.1; each defaults to a free one. */
  httpsPort?: number;
  httpPort?: number;
  prometheusPort?: number;
  /** Number of API processes; default 3. */
  replicas?: number;
  /**
   * What each replica runs: `service` (default, `node dist/main.js`), or a floor of bench/baseline/ (`koa-floor`,
   * `node-http`), on the same ports with the same environment, to measure what the proxy and TLS cost a floor
   * against what they cost the service.
   */
  replica?: ReplicaKind;
  /** The service's MAX_BODY_BYTES, and nginx's client_max_body_size; default 1 MiB, as the service's. */
  maxBodyBytes?: number;
  /** Limits on what one client may hold of nginx; each one not given (or undefined) is DEFAULT_PROXY_LIMITS'. */
  proxyLimits?: Partial<ProxyLimits>;
  /** nginx's performance settings; default INGRESS_NGINX_TUNING (NGINX_DEFAULT_TUNING measures the difference). */
  proxyTuning?: ProxyTuning;
  /** Further service settings for every replica (LOG_LEVEL, SHUTDOWN_DELAY_MS, ...). */
  serviceEnv?: Record<string, string>;
  /** Where certificates, configs, data and logs go; default a new temporary directory. */
  dir?: string;
  /** Keep `dir` after `stop` (to read the logs); default false. */
  keepDir?: boolean;
  /**
   * Start a replica again when it dies, as Kubernetes restarts a pod, reporting each restart here; default off,
   * so that tests which kill a replica decide themselves when it comes back.
   */
  onReplicaRestart?: (line: string) => void;
  /**
   * GET /readyz on every replica this often, as the kubelet's readiness probe does (the readiness alert counts
   * these probes); default none, so that tests counting requests see only their own.
   */
  readinessProbeMs?: number;
}

export interface Stack {
  /** https://localhost:<port>: the name the certificate is for. */
  httpsUrl: string;
  /** Plain HTTP on nginx, which only redirects to httpsUrl. */
  httpUrl: string;
  prometheusUrl: string;
  certificates: Certificates;
  dir: string;
  redis: RedisServer;
  replicas: Replica[];
  nginx: Child;
  proxyLimits: ProxyLimits;
  /** One line per request, with the replica(s) it went to: `upstream=127.0.0.1:A, 127.0.0.1:B` when retried. */
  nginxAccessLog: string;
  prometheus: Child;
  /** Stops everything in order (proxy first, store last) and waits until every process has exited. */
  stop(): Promise<void>;
  /** SIGKILLs whatever still runs, synchronously: for a process 'exit' handler, which cannot wait. */
  killNow(): void;
}

interface Stoppable {
  stop(): Promise<unknown>;
  signal(signal: NodeJS.Signals): void;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/**
 * What the chart gives its Redis by default: 70% of the 512Mi memory limit. With noeviction a full Redis
 * refuses writes (POST 503) and keeps serving reads, instead of growing until something kills it.
 */
const REDIS_MAXMEMORY_BYTES = Math.floor(512 * 1024 * 1024 * 0.7);

/**
 * The Kubernetes topology on loopback: Redis with AOF; API replicas; nginx terminating TLS in front of
 * them as ingress-nginx does; Prometheus scraping every replica each second. Answers once all are ready.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'shaservice-stack-'));
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limit = <Name extends keyof ProxyLimits>(name: Name) =>
    options.proxyLimits?.[name] ?? DEFAULT_PROXY_LIMITS[name];
  const proxyLimits: ProxyLimits = {
    clientTimeoutSeconds: limit('clientTimeoutSeconds'),
    connectionsPerClient: limit('connectionsPerClient'),
  };
  const ports = await choosePorts(options);
  const sub = (name: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    return join(dir, name);
  };

  // In start order, in tiers whose members start and stop together.
  const started: Stoppable[][] = [];
  const stopAll = async () => {
    // Reverse start order: nothing is left without what it talks to while it still serves.
    for (const tier of started.reverse()) await Promise.all(tier.map((part) => part.stop()));
  };
  try {
    const certificates = makeCertificates(sub('tls'));
    const redis = await RedisServer.start({
      port: ports.redis,
      dir: sub('redis'),
      logFile: join(dir, 'redis.log'),
      extraArgs: ['--maxmemory', String(REDIS_MAXMEMORY_BYTES), '--maxmemory-policy', 'noeviction'],
    });
    started.push([redis]);
    const env = { REDIS_URL: redis.url, MAX_BODY_BYTES: String(maxBodyBytes), ...options.serviceEnv };
    const program = SERVER_PROGRAMS[options.replica ?? 'service'];
    const replicas = ports.replicas.map(
      ([port, metricsPort], index) =>
        new Replica({ index, port, metricsPort, env, program, logFile: join(dir, `replica-${index}.log`) }),
    );
    started.push(replicas);
    await Promise.all(replicas.map((replica) => replica.start()));
    const report = options.onReplicaRestart;
    if (report) for (const replica of replicas) replica.restartWhenItDies(report);
    if (options.readinessProbeMs) {
      const prober = new ReadinessProber(replicas, options.readinessProbeMs);
      prober.start();
      started.push([prober]);
    }
    const upstreamPorts = ports.replicas.map(([port]) => port);
    const nginx = await startNginx({
      ...ports,
      dir: sub('nginx'),
      upstreamPorts,
      maxBodyBytes,
      certificates,
      limits: proxyLimits,
      tuning: options.proxyTuning,
    });
    started.push([nginx]);
    const targetPorts = ports.replicas.map(([, metricsPort]) => metricsPort);
    const prometheus = await startPrometheus({ dir: sub('prometheus'), port: ports.prometheus, targetPorts });
    started.push([prometheus]);

    return {
      httpsUrl: `https://localhost:${ports.httpsPort}`,
      httpUrl: `http://localhost:${ports.httpPort}`,
      prometheusUrl: `http://127.0.0.1:${ports.prometheus}`,
      certificates,
      dir,
      redis,
      replicas,
      nginx,
      proxyLimits,
      nginxAccessLog: join(dir, 'nginx', 'access.log'),
      prometheus,
      async stop() {
        await stopAll();
        if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
      },
      killNow() {
        for (const part of started.flat()) part.signal('SIGKILL');
      },
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

interface Ports {
  httpsPort: number;
  httpPort: number;
  prometheus: number;
  redis: number;
  /** [API port, metrics port] of each replica. */
  replicas: [number, number][];
}

/** The ports asked for, and free loopback ports, all different, for the rest. */
async function choosePorts(options: StackOptions): Promise<Ports> {
  const taken = [options.httpsPort, options.httpPort, options.prometheusPort].filter(
    (port): port is number => port !== undefined,
  );
  const free = async () => {
    const port = await getPort({ host: '127.0.0.1', exclude: taken });
    taken.push(port);
    return port;
  };
  const replicas: [number, number][] = [];
  for (let i = 0; i < (options.replicas ?? 3); i++) replicas.push([await free(), await free()]);
  return {
    httpsPort: options.httpsPort ?? (await free()),
    httpPort: options.httpPort ?? (await free()),
    prometheus: options.prometheusPort ?? (await free()),
    redis: await free(),
    replicas,
  };
}
