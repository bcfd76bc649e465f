// `npm run stack`: the production topology on this machine, until Ctrl-C.
import { parseArgs } from 'node:util';
import { parentPid } from './process-cpu.js';
import { REPLICA_KINDS, type ReplicaKind } from './server-program.js';
import { startStack } from './stack.js';

const USAGE = `Usage: npm run stack -- [--https-port 5000] [--http-port N] [--prometheus-port N] [--replicas 3] [--keep]
                        [--connections-per-client 100] [--client-timeout 10] [--replica service|koa-floor|node-http]
Starts Redis (AOF), the API replicas, nginx with TLS and Prometheus on 127.0.0.1; Ctrl-C stops them all.
--replica koa-floor or node-http runs that floor of bench/baseline/ as each replica instead of the
service (no /metrics, /readyz or /docs then), to compare what the proxy and TLS cost each.
A replica that dies is started again after 1 s (doubling while it keeps failing), as Kubernetes restarts a pod.
Ports not given are chosen free. --keep leaves the temporary directory (logs, data, certificates) behind.
--connections-per-client: requests one client address may have in progress at once in nginx (raise it to
load the stack from one machine with more connections); --client-timeout: seconds nginx gives a client to
send a request header, or between two reads of its body.`;

function port(value: string | undefined, name: string): number | undefined {
  return integer(value, name, 65535);
}

function replicaKind(value: string | undefined): ReplicaKind | undefined {
  if (value === undefined) return undefined;
  if (!(REPLICA_KINDS as string[]).includes(value))
    throw new Error(`--replica must be one of ${REPLICA_KINDS.join(', ')}`);
  return value as ReplicaKind;
}

function integer(value: string | undefined, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max)
    throw new Error(`--${name} must be a whole number from 1 to ${max}`);
  return number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'https-port': { type: 'string', default: '5000' },
      'http-port': { type: 'string' },
      'prometheus-port': { type: 'string' },
      replicas: { type: 'string', default: '3' },
      replica: { type: 'string' },
      'connections-per-client': { type: 'string' },
      'client-timeout': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const stack = await startStack({
    httpsPort: port(values['https-port'], 'https-port'),
    httpPort: port(values['http-port'], 'http-port'),
    prometheusPort: port(values['prometheus-port'], 'prometheus-port'),
    replicas: Number(values.replicas),
    replica: replicaKind(values.replica),
    proxyLimits: {
      connectionsPerClient: integer(values['connections-per-client'], 'connections-per-client'),
      clientTimeoutSeconds: integer(values['client-timeout'], 'client-timeout'),
    },
    keepDir: values.keep,
    onReplicaRestart: (line) => console.log(line),
    // The chart's probes.readiness.periodSeconds.
    readinessProbeMs: 5_000,
  });
  // Whatever ends this process, no server of ours outlives it (short of SIGKILL, which nothing can catch).
  process.on('exit', () => stack.killNow());

  console.log(`shaservice stack is up:
  API (HTTPS)   ${stack.httpsUrl}${values.replica && values.replica !== 'service' ? '' : `   (Swagger UI: ${stack.httpsUrl}/docs/)`}
  CA cert       ${stack.certificates.caFile}
  Prometheus    ${stack.prometheusUrl}
  plain HTTP    ${stack.httpUrl}   (redirects to HTTPS)
  replicas      ${stack.replicas.map((replica) => replica.url).join('  ')}${values.replica ? `   (${values.replica})` : ''}
  Redis         ${stack.redis.url}   (AOF in ${stack.redis.dir})
  logs          ${stack.dir}
Try: curl --cacert ${stack.certificates.caFile} ${stack.httpsUrl}/messages -H 'Content-Type: application/json' -d '{"message":"foo"}'
Ctrl-C stops everything.`);

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${why}: stopping nginx, the replicas, Prometheus and Redis...`);
    stack.stop().then(
      () => {
        console.log('stopped; nothing is left running.');
        process.exitCode = 0;
      },
      (error: unknown) => {
        console.error('stopping failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // npm does not pass a SIGTERM on to the script it runs (nor does the shell or tsx between them): after
  // `kill <npm's pid>` this process would run on, orphaned. It stops the stack once any of them is gone.
  const launchers = ancestors();
  setInterval(() => launchers.some((pid) => !alive(pid)) && stop('launcher exited'), 1000).unref();
}

/** The processes this one was started through (tsx, sh, npm, the shell ...), below pid 1. */
function ancestors(): number[] {
  const pids: number[] = [];
  for (let pid = process.ppid; pid > 1; pid = parentPid(pid)) pids.push(pid);
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

main().catch((error: unknown) => {
  console.error(`stack: ${(error as Error).message ?? String(error)}`);
  process.exit(1);
});
