import type { Measurement } from './load.js';
import type { MemoryResult } from './memory.js';
import type { Scenario } from './scenarios.js';

/** One scenario at one connection count: medians of each server's runs, and ratios of adjacent pairs. */
export interface ScenarioResult {
  id: string;
  title: string;
  connections: number;
  service: Measurement;
  baseline: Measurement;
  /** Median over the A B pairs of service req/s ÷ baseline req/s (above 1: faster than the baseline). */
  ratio: number;
  /** Median over the pairs of service p99 ÷ baseline p99 (above 1: slower tail). */
  p99Ratio: number;
  runs: { service: Measurement[]; baseline: Measurement[] };
}

export interface BenchResults {
  mode: 'smoke' | 'full';
  date: string;
  machine: { nproc: number; cpu: string; node: string };
  settings: Record<string, unknown>;
  scenarios: ScenarioResult[];
  batch: { size: number; connections: number; runs: Measurement[] };
  memory: MemoryResult;
  seconds: number;
}

export interface Target {
  name: string;
  wanted: string;
  value: string;
  met: boolean;
}

/** Requests/s targets of issue 6, as ratios to the baseline at 50 connections. */
export const RATIO_TARGETS: Record<string, number> = {
  'get-cold': 0.8,
  'get-warm': 1.0,
  'get-unknown': 0.8,
  'post-new': 0.75,
};
const P99_TARGET = 1.5;
const BATCH_TARGET = 10;

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  if (sorted.length === 0) return NaN;
  return Number.isInteger(middle)
    ? ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
    : (sorted[Math.floor(middle)] as number);
}

/** Median of each field over the runs; errors are summed (one error anywhere is one too many). */
function medianOf(runs: Measurement[]): Measurement {
  return {
    requestsPerSec: median(runs.map((r) => r.requestsPerSec)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    timeouts: runs.reduce((sum, r) => sum + r.timeouts, 0),
    serverCpuUs: median(runs.map((r) => r.serverCpuUs)),
    redisCpuUs: median(runs.map((r) => r.redisCpuUs)),
  };
}

export function summarise(
  scenario: Scenario,
  connections: number,
  service: Measurement[],
  baseline: Measurement[],
): ScenarioResult {
  const pairs = service.map((s, i) => [s, baseline[i] as Measurement] as const);
  return {
    id: scenario.id,
    title: scenario.title,
    connections,
    service: medianOf(service),
    baseline: medianOf(baseline),
    ratio: median(pairs.map(([s, b]) => s.requestsPerSec / b.requestsPerSec)),
    // Latency below 1 ms rounds to 0 or 1 in autocannon's histogram; never divide by zero.
    p99Ratio: median(pairs.map(([s, b]) => s.p99Ms / Math.max(b.p99Ms, 1))),
    runs: { service, baseline },
  };
}

/** Targets hold at the fewest connections measured: 50 in full mode, the smoke mode's few otherwise. */
function atTargetConnections(results: BenchResults): ScenarioResult[] {
  const fewest = Math.min(...results.scenarios.map((s) => s.connections));
  return results.scenarios.filter((s) => s.connections === fewest);
}

export function batchSpeedup(results: BenchResults): { single: number; batch: number; speedup: number } {
  const single = atTargetConnections(results).find((s) => s.id === 'post-new');
  const batch = median(results.batch.runs.map((r) => r.requestsPerSec)) * results.batch.size;
  const singleRate = single?.service.requestsPerSec ?? NaN;
  return { single: singleRate, batch, speedup: batch / singleRate };
}

export function targets(results: BenchResults): Target[] {
  const at50 = atTargetConnections(results);
  const list: Target[] = Object.entries(RATIO_TARGETS).map(([id, wanted]) => {
    const found = at50.find((s) => s.id === id);
    const ratio = found?.ratio ?? NaN;
    return {
      name: `${found?.title ?? id}, req/s`,
      wanted: `>= ${wanted.toFixed(2)}x`,
      value: `${ratio.toFixed(2)}x`,
      met: ratio >= wanted,
    };
  });
  const worstP99 = at50.reduce<ScenarioResult | undefined>(
    (worst, s) => (worst && worst.p99Ratio >= s.p99Ratio ? worst : s),
    undefined,
  );
  list.push({
    name: `p99 at ${worstP99?.connections} connections, worst scenario (${worstP99?.title})`,
    wanted: `<= ${P99_TARGET.toFixed(1)}x`,
    value: `${worstP99?.p99Ratio.toFixed(2)}x`,
    met: worstP99 !== undefined && worstP99.p99Ratio <= P99_TARGET,
  });
  const { memory } = results;
  list.push({
    name: `peak RSS, ${memory.messages.toLocaleString('en')} messages posted`,
    wanted: `< ${mib(memory.limitBytes)} (cache + 150 MiB)`,
    value: mib(memory.peakRssBytes),
    met: memory.peakRssBytes < memory.limitBytes,
  });
  const { speedup } = batchSpeedup(results);
  list.push({
    name: `batch of ${results.batch.size} vs single POST, messages/s`,
    wanted: `>= ${BATCH_TARGET}x`,
    value: `${speedup.toFixed(1)}x`,
    met: speedup >= BATCH_TARGET,
  });
  return list;
}

/** A server's CPU per request, and Redis's on top: "92 + 25". */
export const cpu = (m: Measurement) => `${m.serverCpuUs.toFixed(0)} + ${m.redisCpuUs.toFixed(0)}`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const num = (n: number) => Math.round(n).toLocaleString('en');

export function markdown(results: BenchResults): string {
  const rows = results.scenarios.map((s) =>
    [
      s.title,
      String(s.connections),
      num(s.service.requestsPerSec),
      num(s.baseline.requestsPerSec),
      `**${s.ratio.toFixed(2)}x**`,
      `${s.service.p50Ms} / ${s.service.p99Ms}`,
      `${s.baseline.p50Ms} / ${s.baseline.p99Ms}`,
      `${s.p99Ratio.toFixed(2)}x`,
      `${cpu(s.service)} / ${cpu(s.baseline)}`,
      `${s.service.errors} / ${s.baseline.errors}`,
    ].join(' | '),
  );
  const { single, batch, speedup } = batchSpeedup(results);
  const { memory } = results;
  return [
    '| Scenario | Conns | shaservice req/s | baseline req/s | Ratio | shaservice p50 / p99 ms | baseline p50 / p99 ms | p99 ratio | CPU µs/req, server + Redis (svc / base) | Errors (svc / base) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row} |`),
    '',
    `Batch: ${num(batch)} messages/s through \`POST /messages/batch\` (${results.batch.size} per request, ` +
      `${results.batch.connections} connections) vs ${num(single)} messages/s of single \`POST /messages\`: ` +
      `**${speedup.toFixed(1)}x**.`,
    '',
    `Memory: ${memory.messages.toLocaleString('en')} distinct messages posted in ${memory.seconds.toFixed(0)} s; ` +
      `RSS ${mib(memory.startRssBytes)} at start, peak **${mib(memory.peakRssBytes)}** ` +
      `(limit ${mib(memory.limitBytes)}); ${memory.load.errors} errors.`,
    '',
    '| Target | Wanted | Measured | Met |',
    '| --- | --- | --- | --- |',
    ...targets(results).map((t) => `| ${t.name} | ${t.wanted} | ${t.value} | ${t.met ? 'yes' : '**no**'} |`),
    '',
    `${results.mode} run of ${results.date}, ${results.seconds.toFixed(0)} s; ${results.machine.nproc} × ` +
      `${results.machine.cpu}, Node ${results.machine.node}. Ratios are medians over alternated runs.`,
    '',
  ].join('\n');
}
