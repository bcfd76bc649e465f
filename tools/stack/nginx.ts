import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Certificates } from './certificates.js';
import { Child } from './child.js';
import { errorPages } from './nginx-errors.js';

export interface NginxOptions {
  /** nginx's prefix: config, pid, logs and temp files all live here. */
  dir: string;
  httpsPort: number;
  httpPort: number;
  /** API ports of the replicas, all on 127.0.0.1. */
  upstreamPorts: number[];
  maxBodyBytes: number;
  certificates: Certificates;
  limits: ProxyLimits;
  /** Default INGRESS_NGINX_TUNING. */
  tuning?: ProxyTuning;
}

/** What a client may hold of the proxy: the settings that keep slow or greedy clients from locking others out. */
export interface ProxyLimits {
  /** client_header_timeout and client_body_timeout. */
  clientTimeoutSeconds: number;
  /** limit_conn per client address: requests in progress at once (nginx counts a request once its header is read). */
  connectionsPerClient: number;
}

export const DEFAULT_PROXY_LIMITS: ProxyLimits = { clientTimeoutSeconds: 10, connectionsPerClient: 100 };

/**
 * What makes the proxy fast rather than what it answers: the settings ingress-nginx sets by default beyond
 * nginx's own (its `NewDefault()` configuration, internal/ingress/controller/config/config.go).
 */
export interface ProxyTuning {
  /** `keepalive` of the upstream: idle connections to the replicas each worker keeps for the next request. */
  upstreamKeepalive: number;
  /** `keepalive_requests` of the upstream: requests over one replica connection before nginx closes it. */
  upstreamKeepaliveRequests: number;
  /** `ssl_session_cache shared:SSL:10m` (and a 10 min `ssl_session_timeout`): resumption across workers. */
  sslSessionCache: boolean;
  /** `ssl_buffer_size`: the TLS record size nginx fills before it sends. */
  sslBufferSize: '4k' | '16k';
  /** `reuseport`: a listening socket per worker, the kernel spreading new connections over them. */
  reusePort: boolean;
  /** `multi_accept`: a worker accepts every pending connection at once, not one per event. */
  multiAccept: boolean;
}

/**
 * ingress-nginx's defaults: upstream-keepalive-connections 320, upstream-keepalive-requests 10000, ssl-session-cache
 * (10m), ssl-buffer-size 4k, reuse-port, enable-multi-accept. Its ssl-session-tickets is false, and so is ours:
 * nginx's ticket key is made once at start and never rotated, so one stolen key decrypts every recorded session
 * of the process's lifetime; the shared cache resumes sessions without it (TLS 1.3 included, with stateful tickets).
 */
export const INGRESS_NGINX_TUNING: ProxyTuning = {
  upstreamKeepalive: 320,
  upstreamKeepaliveRequests: 10_000,
  sslSessionCache: true,
  sslBufferSize: '4k',
  reusePort: true,
  multiAccept: true,
};

/**
 * nginx's own defaults, with the 32 idle upstream connections the stack had: its config before it was tuned, kept
 * so that `npm run bench:stack -- --before` can measure what the tuning is worth, side by side.
 */
export const NGINX_DEFAULT_TUNING: ProxyTuning = {
  upstreamKeepalive: 32,
  upstreamKeepaliveRequests: 1000,
  sslSessionCache: false,
  sslBufferSize: '16k',
  reusePort: false,
  multiAccept: false,
};

// ingress-nginx's default HSTS header; `always` puts it on error answers too.
const HSTS = 'add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;';

// A client that comes back (a browser, a pool that reconnects) resumes its TLS session in any worker, skipping
// the key exchange and the certificate; ingress-nginx's 10 MB hold about 40,000 sessions, for 10 minutes.
const sessionCache = `    ssl_session_cache shared:SSL:10m;
    ssl_session_timeout 10m;
    ssl_session_tickets off;`;

/**
 * The config of nginx as the chart's ingress sets up ingress-nginx: TLS termination, redirect from plain
 * HTTP (308), HSTS, HTTP/1.1 keep-alive to the upstreams, a body limit equal to the service's, request ids
 * passed through or made, JSON bodies for nginx's own errors, and retries on the next replica.
 */
export function nginxConfig(options: NginxOptions): string {
  const { dir, httpsPort, httpPort, upstreamPorts, maxBodyBytes, certificates, limits } = options;
  const tuning = options.tuning ?? INGRESS_NGINX_TUNING;
  const listen = (port: number) => `127.0.0.1:${port}${tuning.reusePort ? ' reuseport' : ''}`;
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'];
  return `# Written by tools/stack/nginx.ts for this run; edits are lost.
${process.getuid?.() === 0 ? 'user root;  # workers must read the keys in our private temp directory' : ''}
# A worker per core, each with room for thousands of clients, as ingress-nginx runs (max-worker-connections):
# with one worker of 1,024 connections, a thousand clients sending half a header locked everyone out.
worker_processes auto;
# multi_accept: under a burst of new clients (a thousand TLS handshakes) a worker takes them all in one wake-up.
events {
  worker_connections 16384;
  multi_accept ${tuning.multiAccept ? 'on' : 'off'};
}
worker_rlimit_nofile 32768;  # each proxied request holds two descriptors: the client's and the replica's
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;  # also where to look when nginx does not start

http {
  ${temp.map((name) => `${name}_temp_path ${join(dir, 'temp', name)};`).join('\n  ')}
  log_format upstream '$remote_addr [$time_local] "$request" $status $body_bytes_sent '
                      'rid=$req_id upstream=$upstream_addr upstream_status=$upstream_status rt=$request_time';
  access_log ${join(dir, 'access.log')} upstream;
  server_tokens off;

  # Slow clients: the TLS handshake and the whole request header must arrive within the timeout (a header sent
  # a byte at a time does not restart it), the body without a pause that long; then nginx resets the
  # connection without an answer, freeing its memory at once. Idle keep-alive connections go after 30 s.
  client_header_timeout ${limits.clientTimeoutSeconds}s;
  client_body_timeout ${limits.clientTimeoutSeconds}s;
  reset_timedout_connection on;
  keepalive_timeout 30s;

  # Greedy clients: requests in progress at once per client address, over which nginx answers 429. nginx
  # counts a request once its header is read, so this bounds slow bodies and floods of requests, not
  # half-header connections (the timeouts and the connection room above do).
  limit_conn_zone $binary_remote_addr zone=per_client:10m;
  limit_conn per_client ${limits.connectionsPerClient};
  limit_conn_status 429;
  # Each refusal is a 429 in the access log already; at warn it was also a line of error.log, and a flood
  # wrote 181 MB of them in 35 s. At info, below error_log's level, nginx does not write them.
  limit_conn_log_level info;

  # ingress-nginx: the client's X-Request-Id if it sent one, otherwise a fresh one.
  map $http_x_request_id $req_id {
    default $http_x_request_id;
    "" $request_id;
  }

  # A replica that refused a connection is skipped for 2 s and then tried again: about the time the stack
  # takes to restart one, so a restarted replica gets traffic again soon.
  upstream shaservice {
${upstreamPorts.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=2s;`).join('\n')}
    # Idle HTTP/1.1 connections kept to the replicas; they keep theirs longer (KEEP_ALIVE_TIMEOUT_MS 65 s),
    # so it is always nginx that closes an idle one and never sends on a socket being closed. Room for every
    # connection a burst opens (ingress-nginx keeps 320 per worker): one not kept is closed after its answer,
    # and the next request pays a new TCP connection and a new socket on the replica. keepalive_requests:
    # nginx's 1,000 closed each connection every fraction of a second under load.
    keepalive ${tuning.upstreamKeepalive};
    keepalive_requests ${tuning.upstreamKeepaliveRequests};
    keepalive_timeout 60s;
  }

  server {
    listen ${listen(httpPort)};
    server_name localhost;
    location / {
      return 308 https://$host:${httpsPort}$request_uri;
    }
${errorPages(maxBodyBytes, [])}
  }

  server {
    # reuseport: a listening socket per worker, so the kernel spreads new connections evenly over the workers
    # (without it, whichever worker wakes first takes a burst of them, and one core serves most clients).
    listen ${listen(httpsPort)} ssl http2;
    server_name localhost;
    ssl_certificate ${certificates.serverCertFile};
    ssl_certificate_key ${certificates.serverKeyFile};
    ssl_protocols TLSv1.2 TLSv1.3;
${tuning.sslSessionCache ? sessionCache : ''}
    # 4 KB TLS records (ingress-nginx's ssl-buffer-size) rather than 16 KB: a client can decrypt the first
    # record of an answer as soon as it arrives instead of waiting for 16 KB of it.
    ssl_buffer_size ${tuning.sslBufferSize};
    ${HSTS}

    # Equal to the service's MAX_BODY_BYTES: the proxy refuses what the service would refuse anyway,
    # before buffering it.
    client_max_body_size ${maxBodyBytes};

    location / {
      proxy_pass http://shaservice;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-Id $req_id;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_connect_timeout 5s;
      proxy_read_timeout 60s;
      proxy_send_timeout 60s;

      # Retries (README, "What the proxy answers and retries"): a request that could not be sent to a
      # replica (connection refused or timed out: it crashed or is restarting) goes to the next one, whatever
      # its method. Once sent, only GET and HEAD are sent again, if the connection breaks before an answer:
      # they carry no body the service reads. A POST never is (no non_idempotent): nginx cannot tell a replica
      # killed by the request it holds from one that died for another reason, and replaying a request that
      # kills replicas would take down each one in turn. At most 2 tries: enough to step over the one
      # replica a restart or a crash takes away. Not http_503: a 503 means the store is down, which another
      # replica cannot fix; retrying it would mark every replica failed and turn the 503 with Retry-After
      # into nginx's 502.
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
      proxy_next_upstream_timeout 10s;
    }
${errorPages(maxBodyBytes, [HSTS])}
  }
}
`;
}

/** Writes the config and starts nginx in the foreground (as a child), answering once it accepts TLS. */
export async function startNginx(options: NginxOptions): Promise<Child> {
  mkdirSync(join(options.dir, 'temp'), { recursive: true });
  const configFile = join(options.dir, 'nginx.conf');
  writeFileSync(configFile, nginxConfig(options));
  const nginx = Child.spawn('nginx', 'nginx', ['-c', configFile, '-p', options.dir, '-g', 'daemon off;'], {
    logFile: join(options.dir, 'nginx.out'),
    detached: true,
  });
  // Our own redirect answering on the HTTP port shows it is this nginx that listens (nginx binds every port
  // before it serves), not whatever else held a port.
  const answers = () => redirectsTo(options.httpPort, options.httpsPort);
  await nginx.waitUntil('nginx to answer', answers, 10_000, 25);
  return nginx;
}

async function redirectsTo(httpPort: number, httpsPort: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${httpPort}/`, {
      redirect: 'manual',
      signal: AbortSignal.timeout(1_000),
    });
    await response.arrayBuffer();
    return response.status === 308 && response.headers.get('location') === `https://127.0.0.1:${httpsPort}/`;
  } catch {
    return false;
  }
}
