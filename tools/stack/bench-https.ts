// `npm run bench:stack`: HTTPS through the stack's nginx, the stack serving shaservice replicas against the same
// stack serving each floor of bench/baseline/ (Koa, node:http), wrk pinned to its own core, alternated rounds;
// prints the table.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { send } from '../client/http.js';
import { cpuMicros, withChildren } from './process-cpu.js';
import { INGRESS_NGINX_TUNING, NGINX_DEFAULT_TUNING, type ProxyTuning } from './nginx.js';
import { FLOOR_KINDS, type FloorKind, type ReplicaKind } from './server-program.js';
import { type Stack, startStack } from './stack.js';
import { runWrk, type WrkResult } from './wrk.js';

/** A run of wrk and what it cost the stack: CPU µs per request of nginx (all workers), the replicas and Redis. */
interface Run extends WrkResult {
  nginxMicrosPerRequest: number;
  replicasMicrosPerRequest: number;
}

const USAGE = `Usage: npm run bench:stack -- [--rounds 3] [--duration 10] [--connections 50] [--before]
Starts the stack three times (shaservice replicas, then the Koa floor's, then node:http's; with --before also
each with nginx's defaults, the stack's config before it was tuned as ingress-nginx), then GETs a stored digest and POSTs new messages
through each over HTTPS with wrk pinned to CPU 1 (keep-alive), alternating the stacks round by round.
The stacks' processes are not pinned: nginx runs a worker per core, as on a node. Default about 3.5 minutes,
7 with --before.`;

// wrk on the second core; nginx, the replicas and Redis wherever the kernel puts them.
const WRK_CPUS = '1';

// A new message per request: a counter behind a prefix that differs per run, so no round posts a stored one.
const POST_SCRIPT = `local prefix = "m"
local counter = 0
function init(args) prefix = args[1] end
function request()
  counter = counter + 1
  return wrk.format("POST", "/messages", { ["Content-Type"] = "application/json" },
    '{"message":"' .. prefix .. "-" .. counter .. '"}')
end
`;

interface Target {
  replica: ReplicaKind;
  tuningName: 'tuned' | 'before';
  stack: Stack;
  /** A digest stored through this stack, for the GET scenario. */
  digest: string;
}

type Scenario = 'GET stored' | 'POST new';
const SCENARIOS: Scenario[] = ['GET stored', 'POST new'];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      duration: { type: 'string', default: '10' },
      connections: { type: 'string', default: '50' },
      before: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(USAGE);
  const rounds = Number(values.rounds);
  const durationSeconds = Number(values.duration);
  const connections = Number(values.connections);
  for (const command of ['wrk', 'taskset', 'nginx', 'redis-server', 'prometheus'])
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });

  const tunings: [Target['tuningName'], ProxyTuning][] = [['tuned', INGRESS_NGINX_TUNING]];
  if (values.before) tunings.push(['before', NGINX_DEFAULT_TUNING]);
  const targets: Target[] = [];
  process.on('exit', () => targets.forEach((target) => target.stack.killNow()));
  try {
    for (const [tuningName, tuning] of tunings)
      for (const replica of ['service', ...FLOOR_KINDS] as const)
        targets.push(await startTarget(replica, tuningName, tuning, connections));
    const script = join(targets[0]?.stack.dir ?? '.', 'post.lua');
    writeFileSync(script, POST_SCRIPT);

    const results = new Map<string, Run[]>();
    const measure = async (target: Target, scenario: Scenario, seconds: number, round: number) => {
      const url = new URL(target.stack.httpsUrl);
      url.hostname = '127.0.0.1';
      const post = scenario === 'POST new';
      url.pathname = post ? '/messages' : `/messages/${target.digest}`;
      const { stack } = target;
      const nginxPids = withChildren(stack.nginx.pid ?? 0);
      const replicaPids = [...stack.replicas.map((r) => r.pid ?? 0), stack.redis.pid ?? 0];
      const cpu = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
      const [nginxFrom, replicasFrom] = [cpu(nginxPids), cpu(replicaPids)];
      const result = await runWrk({
        url: url.href,
        connections,
        durationSeconds: seconds,
        cpus: WRK_CPUS,
        script: post ? script : undefined,
        scriptArgs: post ? [`${target.replica}-${target.tuningName}-${round}-${process.pid}`] : [],
      });
      return {
        ...result,
        nginxMicrosPerRequest: (cpu(nginxPids) - nginxFrom) / result.requests,
        replicasMicrosPerRequest: (cpu(replicaPids) - replicasFrom) / result.requests,
      };
    };
    // Warm-up: each stack's TLS sessions, upstream connections, JIT and caches, not measured.
    for (const target of targets) for (const scenario of SCENARIOS) await measure(target, scenario, 2, -1);
    for (let round = 0; round < rounds; round++) {
      // The order reversed every other round, so drift of the shared machine does not favour one stack.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const scenario of SCENARIOS)
        for (const target of order) {
          const result = await measure(target, scenario, durationSeconds, round);
          const key = `${scenario}|${target.replica}|${target.tuningName}`;
          results.set(key, [...(results.get(key) ?? []), result]);
          console.error(
            `round ${round + 1}/${rounds} ${scenario.padEnd(10)} ${target.replica.padEnd(8)} ${target.tuningName.padEnd(6)} ` +
              `${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms, errors ${result.errors}, ` +
              `CPU µs/req nginx ${Math.round(result.nginxMicrosPerRequest)} replicas+Redis ${Math.round(result.replicasMicrosPerRequest)}`,
          );
        }
    }
    console.log(
      table(
        results,
        tunings.map(([name]) => name),
        rounds,
        durationSeconds,
        connections,
      ),
    );
  } finally {
    await Promise.all(targets.map((target) => target.stack.stop()));
  }
}

async function startTarget(
  replica: ReplicaKind,
  tuningName: Target['tuningName'],
  proxyTuning: ProxyTuning,
  connections: number,
): Promise<Target> {
  const stack = await startStack({
    replica,
    proxyTuning,
    // Room for wrk's connections, all from 127.0.0.1.
    proxyLimits: { connectionsPerClient: Math.max(100, connections * 2) },
  });
  const ca = readFileSync(stack.certificates.caFile);
  const body = JSON.stringify({ message: 'a message stored before the GETs' });
  const headers = { 'Content-Type': 'application/json' };
  const reply = await send(stack.httpsUrl, 'POST', '/messages', { ca, headers, body });
  if (reply.status !== 201) throw new Error(`seeding ${replica} answered ${reply.status}: ${reply.text}`);
  return { replica, tuningName, stack, digest: (reply.json as { digest: string }).digest };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const at = (index: number) => sorted[index] ?? Number.NaN;
  return sorted.length % 2 ? at(middle) : (at(middle - 1) + at(middle)) / 2;
}

function table(
  results: Map<string, Run[]>,
  tuningNames: string[],
  rounds: number,
  durationSeconds: number,
  connections: number,
): string {
  const rows = [
    '| Scenario | nginx | shaservice req/s | Koa floor req/s | node:http req/s | vs Koa floor | vs node:http | p50 / p99 ms (svc; Koa; node) | CPU µs/req nginx + replicas & Redis (svc; Koa; node) | Errors |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const rps = (runs: WrkResult[]) =>
    Math.round(median(runs.map((r) => r.requestsPerSecond))).toLocaleString('en');
  const ms = (values: number[]) => median(values).toFixed(1);
  const latency = (runs: WrkResult[]) => `${ms(runs.map((r) => r.p50Ms))} / ${ms(runs.map((r) => r.p99Ms))}`;
  const cpu = (runs: Run[]) =>
    `${Math.round(median(runs.map((r) => r.nginxMicrosPerRequest)))} + ${Math.round(median(runs.map((r) => r.replicasMicrosPerRequest)))}`;
  for (const scenario of SCENARIOS)
    for (const tuning of tuningNames) {
      const runsOf = (replica: ReplicaKind) => results.get(`${scenario}|${replica}|${tuning}`) ?? [];
      const service = runsOf('service');
      // Each round's ratio is to the floor measured in the same round; the median of those is reported.
      const ratio = (floor: FloorKind) => {
        const ratios = service.map(
          (s, i) => s.requestsPerSecond / (runsOf(floor)[i]?.requestsPerSecond ?? Number.NaN),
        );
        return `**${median(ratios).toFixed(2)}x** (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
      };
      const all = [service, ...FLOOR_KINDS.map(runsOf)];
      const errors = all.reduce((sum, runs) => sum + runs.reduce((n, r) => n + r.errors, 0), 0);
      rows.push(
        `| ${scenario} | ${tuning} | ${all.map(rps).join(' | ')} | ${FLOOR_KINDS.map(ratio).join(' | ')} | ` +
          `${all.map(latency).join('; ')} | ${all.map(cpu).join('; ')} | ${errors} |`,
      );
    }
  return [
    `HTTPS through the stack (nginx, 3 replicas, Redis): wrk -t1 -c${connections} -d${durationSeconds}s pinned to CPU ${WRK_CPUS}, ` +
      `stack unpinned; ${rounds} alternated rounds; medians (range of the rounds' ratios in brackets).`,
    '',
    ...rows,
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(`bench:stack: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
