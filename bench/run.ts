import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '../tools/stack/redis-server.js';
import { prepareFixtures } from './fixtures.js';
import { measure, type Measurement } from './load.js';
import { measureMemory, type MemoryResult } from './memory.js';
import { startBaseline, startService, type Target } from './servers.js';
import { type BenchResults, cpu, markdown, summarise, type ScenarioResult } from './report.js';
import { batchPosts, SCENARIOS, type ServiceKind } from './scenarios.js';
import { chart } from './svg.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/** Full mode measures for the README; smoke mode (CI) only proves every scenario runs without errors. */
const SMOKE = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
const MODE = SMOKE
  ? { durationSec: 1, warmupSec: 0.5, rounds: 1, connections: [4], stored: 1_000, big: 50 }
  : { durationSec: 10, warmupSec: 2, rounds: 2, connections: undefined, stored: 10_000, big: 1_000 };
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
  const began = performance.now();
  const log = (text: string) =>
    process.stdout.write(`[${((performance.now() - began) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);
  // A fresh Redis of the bench's own; no persistence, so disk writes do not skew either server.
  const redis = await RedisServer.start(['--appendonly', 'no']);
  const redisPid = redis.pid ?? NaN;
  const targets: Target[] = [];
  try {
    const starting = await Promise.allSettled([
      startService('service', redis.url),
      startService('service-nocache', redis.url, { CACHE_MAX_BYTES: '0' }),
      startBaseline(redis.url),
    ]);
    // The ones that did start are stopped below even when another did not; left running, they keep the
    // bench from exiting.
    const started = starting.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    targets.push(...started);
    const failed = starting.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    const [service, serviceNoCache, baseline] = started as [Target, Target, Target];
    const services: Record<ServiceKind, Target> = { service, 'service-nocache': serviceNoCache };
    const fixtures = await prepareFixtures(service.url, MODE.stored, MODE.big);
    log(`${SMOKE ? 'smoke' : 'full'} mode; ${MODE.stored} stored messages`);

    const scenarios: ScenarioResult[] = [];
    for (const scenario of SCENARIOS.filter((s) => selected(s.id))) {
      const pair = [services[scenario.service], baseline] as const;
      const run = (target: Target, connections: number, durationSec: number) =>
        measure({
          url: target.url,
          connections,
          durationSec,
          expected: scenario.expected,
          requests: scenario.requests(fixtures, randomBytes(6).toString('hex')),
          pids: { server: target.pid, redis: redisPid },
        });
      // Warm-up: JIT, keep-alive sockets, and for the warm-cache scenario every stored digest in the cache.
      for (const target of pair) await run(target, 50, MODE.warmupSec);
      for (const connections of MODE.connections ?? scenario.connections) {
        const runs: Record<'service' | 'baseline', Measurement[]> = { service: [], baseline: [] };
        // A B A B: each service run sits next to a baseline run, so slow drift of the shared machine cancels.
        for (let round = 0; round < MODE.rounds; round++) {
          runs.service.push(await run(pair[0], connections, MODE.durationSec));
          runs.baseline.push(await run(pair[1], connections, MODE.durationSec));
        }
        const result = summarise(scenario, connections, runs.service, runs.baseline);
        scenarios.push(result);
        log(
          `${scenario.id} c=${connections}: ${result.service.requestsPerSec.toFixed(0)} vs ` +
            `${result.baseline.requestsPerSec.toFixed(0)} req/s, ratio ${result.ratio.toFixed(2)}, ` +
            `CPU µs/req ${cpu(result.service)} vs ${cpu(result.baseline)}, ` +
            `errors ${result.service.errors}/${result.baseline.errors}`,
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
      const fresh = await startService('service-memory', redis.url);
      targets.push(fresh);
      memory = await measureMemory(fresh, MEMORY_MESSAGES, BATCH_SIZE, limitBytes);
      log(
        `memory: ${memory.messages} messages in ${memory.seconds.toFixed(0)} s, peak RSS ` +
          `${(memory.peakRssBytes / 2 ** 20).toFixed(0)} MiB (limit ${(limitBytes / 2 ** 20).toFixed(0)} MiB), ` +
          `errors ${memory.load.errors}`,
      );
    }
    // A partial run (--only) prints what it measured and leaves the committed results alone.
    if (ONLY || !memory) return;

    const results: BenchResults = {
      mode: SMOKE ? 'smoke' : 'full',
      date: new Date().toISOString(),
      machine: {
        nproc: cpus().length,
        cpu: cpus()[0]?.model ?? 'unknown',
        node: process.version,
      },
      settings: { ...MODE, batchSize: BATCH_SIZE, batchConnections },
      scenarios,
      batch: { size: BATCH_SIZE, connections: batchConnections, runs: batchRuns },
      memory,
      seconds: (performance.now() - began) / 1000,
    };
    const table = markdown(results);
    process.stdout.write(`\n${table}\n`);
    if (!SMOKE) {
      mkdirSync(`${ROOT}/bench/results`, { recursive: true });
      writeFileSync(`${ROOT}/bench/results/latest.json`, `${JSON.stringify(results, null, 2)}\n`);
      writeFileSync(`${ROOT}/bench/results/latest.md`, table);
      mkdirSync(`${ROOT}/docs`, { recursive: true });
      writeFileSync(`${ROOT}/docs/bench.svg`, chart(results));
    }
    const errors =
      scenarios.reduce((sum, s) => sum + s.service.errors + s.baseline.errors, 0) +
      batchRuns.reduce((sum, r) => sum + r.errors, 0) +
      memory.load.errors;
    const empty = scenarios.filter((s) => s.service.requests === 0 || s.baseline.requests === 0);
    if (errors > 0 || empty.length > 0 || batchRuns.some((r) => r.requests === 0)) {
      process.stderr.write(`bench: ${errors} errors; scenarios with no answered request: ${empty.length}\n`);
      process.exitCode = 1;
    } else {
      log(`bench: every scenario ran without errors`);
    }
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
    await redis.destroy();
  }
}

/** POSTs of batches of BATCH_SIZE new messages: the warm-up, then the alternation's number of rounds. */
async function measureBatch(service: Target, connections: number): Promise<Measurement[]> {
  // A fresh run id per call: every batch message is new, as in the single POST scenario it is compared with.
  const batch = (durationSec: number) => {
    const run = randomBytes(6).toString('hex');
    const requests = batchPosts(BATCH_SIZE, (n) => `batch ${run} message number ${n}: the quick brown fox`);
    return measure({ url: service.url, connections, durationSec, expected: [201], requests });
  };
  await batch(MODE.warmupSec);
  const runs: Measurement[] = [];
  for (let round = 0; round < MODE.rounds; round++) runs.push(await batch(MODE.durationSec));
  return runs;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
