import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '../tools/stack/redis-server.js';
import { prepareFixtures, type TargetFixtures } from './fixtures.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { allowedCpus, pin, PIN_PLAN } from './pinning.js';
import {
  type BenchResults,
  type Contender,
  CONTENDERS,
  cpu,
  markdown,
  scenarioTable,
  summarise,
  type ScenarioResult,
  targetLines,
} from './report.js';
import { SCENARIOS, type ServiceKind } from './scenarios.js';
import { startFloor, startService, type Target } from './servers.js';
import { chart } from './svg.js';
import { type Measurement, runWrk, wrkVersion } from './wrk.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Full mode measures for the README: 10 measurements of 6 alternated rounds of 2 s per server, after a 1 s
 * warm-up each, then the batch and memory scenarios; about 8 minutes. Smoke mode (CI) only proves every
 * scenario runs without errors against every server: 1 s each, no warm-up, about half a minute.
 */
const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
const MODE = SMOKE
  ? { durationSec: 1, warmupSec: 0, rounds: 1, connections: [4], stored: 200, big: 50 }
  : { durationSec: 2, warmupSec: 1, rounds: 6, connections: undefined, stored: 10_000, big: 1_000 };
/** `--only=get-cold,batch,memory` measures just those parts (ids of SCENARIOS, `batch`, `memory`). */
const ONLY = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const selected = (id: string) => ONLY === undefined || ONLY.includes(id);
// 100 per request: at the default limit of 1000, 21 of the batch requests of one full run failed (cause not yet
// found; see the issue 6 notes).
const BATCH_SIZE = 100;
const MEMORY_MESSAGES = SMOKE ? 20_000 : 1_000_000;

async function main(): Promise<void> {
  if (!existsSync(`${ROOT}/dist/main.js`)) throw new Error('dist/main.js is missing: run `npm run build`');
  const wrk = wrkVersion();
  const began = performance.now();
  const log = (text: string) =>
    process.stdout.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);
  // A fresh Redis of the bench's own; no persistence, so disk writes do not skew any server.
  const redis = await RedisServer.start(['--appendonly', 'no']);
  const redisPid = redis.pid ?? NaN;
  const fixtureDir = mkdtempSync(`${tmpdir()}/shaservice-bench-`);
  const targets: Target[] = [];
  try {
    // One at a time: started together, two of them were once given the same free port.
    const starts = [
      () => startService('shaservice', redis.url),
      () => startService('shaservice-nocache', redis.url, { CACHE_MAX_BYTES: '0' }),
      () => startFloor('koa-floor', redis.url),
      () => startFloor('node-http', redis.url),
    ];
    // Each is stopped in `finally` as soon as it started: left running, it keeps the bench from exiting.
    for (const start of starts) targets.push(await start());
    const [service, serviceNoCache, koaFloor, nodeHttp] = targets as [Target, Target, Target, Target];
    const started = [...targets];
    const services: Record<ServiceKind, Target> = { service, 'service-nocache': serviceNoCache };
    const pinning = pinAll(started, redisPid);
    log(`pinning: ${JSON.stringify(pinning.observed)}`);
    const fixtures = new Map<Target, TargetFixtures>();
    for (const target of started)
      fixtures.set(target, await prepareFixtures(target, MODE.stored, fixtureDir));
    log(`${SMOKE ? 'smoke' : 'full'} mode; ${MODE.stored} stored messages per server`);

    const scenarios: ScenarioResult[] = [];
    for (const scenario of SCENARIOS.filter((s) => selected(s.id))) {
      const contenders: Record<Contender, Target> = {
        shaservice: services[scenario.service],
        'koa-floor': koaFloor,
        'node-http': nodeHttp,
      };
      const context = { run: randomBytes(6).toString('hex'), bigPool: MODE.big };
      const run = (target: Target, connections: number, durationSec: number) =>
        runWrk({
          url: target.url,
          script: scenario.script,
          args: scenario.args(fixtures.get(target) as TargetFixtures, context),
          connections,
          durationSec,
          expect: scenario.expect,
          pids: { server: target.pid, redis: redisPid },
        });
      // Warm-up: JIT, keep-alive sockets, and for the warm-cache scenario every stored digest in the cache.
      if (MODE.warmupSec > 0) for (const c of CONTENDERS) await run(contenders[c], 50, MODE.warmupSec);
      for (const connections of MODE.connections ?? scenario.connections) {
        const runs: Record<Contender, Measurement[]> = { shaservice: [], 'koa-floor': [], 'node-http': [] };
        // Rounds of all three, the order reversed every other round, so that slow drift of the shared machine
        // falls on each server alike.
        for (let round = 0; round < MODE.rounds; round++) {
          const order = round % 2 === 0 ? CONTENDERS : [...CONTENDERS].reverse();
          for (const c of order) runs[c].push(await run(contenders[c], connections, MODE.durationSec));
        }
        const result = summarise(scenario, connections, runs);
        scenarios.push(result);
        const { medians: m } = result;
        log(
          `${scenario.id} c=${connections}: ${CONTENDERS.map((c) => m[c].requestsPerSec.toFixed(0)).join(' / ')} ` +
            `req/s, vs Koa floor ${result.ratio['koa-floor'].toFixed(2)}x, vs node:http ` +
            `${result.ratio['node-http'].toFixed(2)}x, CPU µs/req ${CONTENDERS.map((c) => cpu(m[c])).join(' / ')}, ` +
            `errors ${CONTENDERS.map((c) => m[c].errors).join(' / ')}`,
        );
      }
    }

    const batchConnections = SMOKE ? 4 : 50;
    const batchRuns = selected('batch') ? await measureBatch(service, batchConnections) : [];
    if (batchRuns.length) {
      log(`batch: ${batchRuns.map((r) => (r.requestsPerSec * BATCH_SIZE).toFixed(0)).join(', ')} messages/s`);
    }

    // Memory on a service of its own, so the peak is that of 1,000,000 posts and nothing before them.
    const limitBytes = DEFAULT_CACHE_BYTES + 150 * 1024 * 1024;
    let memory: MemoryResult | undefined;
    if (selected('memory')) {
      const fresh = await startService('shaservice-memory', redis.url);
      targets.push(fresh);
      if (PIN_PLAN) pin(fresh.pid, PIN_PLAN.server);
      memory = await measureMemory(fresh, MEMORY_MESSAGES, BATCH_SIZE, limitBytes);
      log(
        `memory: ${memory.messages} messages in ${memory.seconds.toFixed(0)} s, peak RSS ` +
          `${(memory.peakRssBytes / 2 ** 20).toFixed(0)} MiB (limit ${(limitBytes / 2 ** 20).toFixed(0)} MiB), ` +
          `errors ${memory.load.errors}`,
      );
    }
    const errors =
      scenarios.reduce((sum, s) => sum + CONTENDERS.reduce((n, c) => n + s.medians[c].errors, 0), 0) +
      batchRuns.reduce((sum, r) => sum + r.errors, 0) +
      (memory?.load.errors ?? 0);
    const empty = scenarios.filter((s) => CONTENDERS.some((c) => s.medians[c].requests === 0));
    if (errors > 0 || empty.length > 0 || batchRuns.some((r) => r.requests === 0)) {
      process.stderr.write(`bench: ${errors} errors; scenarios with no answered request: ${empty.length}\n`);
      process.exitCode = 1;
    }
    // A partial run (--only) prints what it measured and leaves the committed results alone.
    if (ONLY || !memory) {
      if (scenarios.length) process.stdout.write(`\n${scenarioTable(scenarios)}\n`);
      return;
    }

    const results: BenchResults = {
      mode: SMOKE ? 'smoke' : 'full',
      date: new Date().toISOString(),
      machine: { nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, wrk },
      pinning,
      settings: { ...MODE, batchSize: BATCH_SIZE, batchConnections, wrkThreads: 1 },
      scenarios,
      batch: { size: BATCH_SIZE, connections: batchConnections, runs: batchRuns },
      memory,
      seconds: (performance.now() - began) / 1000,
    };
    const table = markdown(results);
    process.stdout.write(`\n${table}\n${targetLines(results).join('\n')}\n`);
    if (!SMOKE) {
      mkdirSync(`${ROOT}/bench/results`, { recursive: true });
      writeFileSync(`${ROOT}/bench/results/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(`${ROOT}/bench/results/latest.md`, table);
      mkdirSync(`${ROOT}/docs`, { recursive: true });
      writeFileSync(`${ROOT}/docs/bench.svg`, chart(results));
    }
    if (process.exitCode !== 1) log(`bench: every scenario ran without errors`);
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
    await redis.destroy();
    rmSync(fixtureDir, { recursive: true, force: true });
  }
}

/** Servers on one core; Redis, wrk (started through taskset) and this process on the other. */
function pinAll(servers: Target[], redisPid: number): BenchResults['pinning'] {
  const observed: Record<string, string> = {};
  if (PIN_PLAN) {
    for (const server of servers) pin(server.pid, PIN_PLAN.server);
    pin(redisPid, PIN_PLAN.load);
    pin(process.pid, PIN_PLAN.load);
  }
  for (const server of servers) observed[server.name] = allowedCpus(server.pid);
  observed.redis = allowedCpus(redisPid);
  observed.bench = allowedCpus(process.pid);
  const plan = PIN_PLAN
    ? { servers: PIN_PLAN.server, wrk: PIN_PLAN.load, redis: PIN_PLAN.load, bench: PIN_PLAN.load }
    : 'none (one CPU)';
  return { plan, observed };
}

/** POSTs of batches of BATCH_SIZE new messages: the warm-up, then the alternation's number of rounds. */
async function measureBatch(service: Target, connections: number): Promise<Measurement[]> {
  // A fresh run id per call: every batch message is new, as in the single POST scenario it is compared with.
  const batch = (durationSec: number) =>
    runWrk({
      url: service.url,
      script: 'batch',
      args: [randomBytes(6).toString('hex'), String(BATCH_SIZE)],
      connections,
      durationSec,
      expect: '2xx',
    });
  if (MODE.warmupSec > 0) await batch(MODE.warmupSec);
  const runs: Measurement[] = [];
  for (let round = 0; round < MODE.rounds; round++) runs.push(await batch(MODE.durationSec));
  return runs;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
