import type { MemoryResult } from './memory.js';
import type { FloorKind } from '../tools/stack/server-program.js';
import type { Scenario } from './scenarios.js';
import type { Measurement } from './wrk.js';

/** The servers of one alternation: shaservice and the two floors. */
export type Contender = 'shaservice' | FloorKind;
export const CONTENDERS: Contender[] = ['shaservice', 'koa-floor', 'node-http'];

/** One scenario at one connection count: medians of each server's runs, and ratios of same-round runs. */
export interface ScenarioResult {
  id: string;
  title: string;
  connections: number;
  medians: Record<Contender, Measurement>;
  /** Median over the rounds of shaservice req/s ÷ the floor's (above 1: faster than the floor). */
  ratio: Record<FloorKind, number>;
  /** Median over the rounds of shaservice p99 ÷ the floor's (above 1: slower tail). */
  p99Ratio: Record<FloorKind, number>;
  runs: Record<Contender, Measurement[]>;
}

export interface BenchResults {
  mode: 'smoke' | 'full';
  date: string;
  machine: { nproc: number; cpu: string; node: string; wrk: string };
  /** Which CPUs each process was allowed, as the kernel reported them after pinning. */
  pinning: { plan: Record<string, string> | 'none (one CPU)'; observed: Record<string, string> };
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

/** Requests/s targets of issue 15, as ratios to the Koa floor at 50 connections. */
export const RATIO_TARGETS: Record<string, number> = {
  'get-cold': 0.9,
  'get-warm': 1.1,
  'get-unknown': 0.9,
  'post-new': 0.9,
  'post-stored': 0.9,
  'mix-90-10': 0.9,
  'post-64k': 0.9,
};
const P99_TARGET = 1.3;
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
  const sum = (pick: (r: Measurement) => number) => runs.reduce((total, r) => total + pick(r), 0);
  const mid = (pick: (r: Measurement) => number) => median(runs.map(pick));
  return {
    requestsPerSec: mid((r) => r.requestsPerSec),
    p50Ms: mid((r) => r.p50Ms),
    p99Ms: mid((r) => r.p99Ms),
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    errorsByKind: {
      connect: sum((r) => r.errorsByKind.connect),
      read: sum((r) => r.errorsByKind.read),
      write: sum((r) => r.errorsByKind.write),
      timeout: sum((r) => r.errorsByKind.timeout),
      status: sum((r) => r.errorsByKind.status),
    },
    serverCpuUs: mid((r) => r.serverCpuUs),
    redisCpuUs: mid((r) => r.redisCpuUs),
  };
}

export function summarise(
  scenario: Scenario,
  connections: number,
  runs: Record<Contender, Measurement[]>,
): ScenarioResult {
  const perRound = (floor: FloorKind, pick: (m: Measurement) => number) =>
    median(runs.shaservice.map((s, i) => pick(s) / pick(runs[floor][i] as Measurement)));
  const floors = (pick: (m: Measurement) => number) => ({
    'koa-floor': perRound('koa-floor', pick),
    'node-http': perRound('node-http', pick),
  });
  return {
    id: scenario.id,
    title: scenario.title,
    connections,
    medians: {
      shaservice: medianOf(runs.shaservice),
      'koa-floor': medianOf(runs['koa-floor']),
      'node-http': medianOf(runs['node-http']),
    },
    ratio: floors((m) => m.requestsPerSec),
    p99Ratio: floors((m) => m.p99Ms),
    runs,
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
  const singleRate = single?.medians.shaservice.requestsPerSec ?? NaN;
  return { single: singleRate, batch, speedup: batch / singleRate };
}

/** Every target of issue 15 against the Koa floor, then memory and batch; node:http has no target. */
export function targets(results: BenchResults): Target[] {
  const atFewest = atTargetConnections(results);
  const list: Target[] = atFewest
    .filter((s) => RATIO_TARGETS[s.id] !== undefined)
    .map((s) => {
      const wanted = RATIO_TARGETS[s.id] as number;
      const ratio = s.ratio['koa-floor'];
      return {
        name: `${s.title}, req/s vs Koa floor`,
        wanted: `>= ${wanted.toFixed(2)}x`,
        value: `${ratio.toFixed(2)}x`,
        met: ratio >= wanted,
      };
    });
  const worst = atFewest.reduce<ScenarioResult | undefined>(
    (w, s) => (w && w.p99Ratio['koa-floor'] >= s.p99Ratio['koa-floor'] ? w : s),
    undefined,
  );
  list.push({
    name: `p99 vs Koa floor at ${worst?.connections} connections, worst scenario (${worst?.title})`,
    wanted: `<= ${P99_TARGET.toFixed(1)}x`,
    value: `${worst?.p99Ratio['koa-floor'].toFixed(2)}x`,
    met: worst !== undefined && worst.p99Ratio['koa-floor'] <= P99_TARGET,
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
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(1));
const each = (s: ScenarioResult, show: (m: Measurement) => string) =>
  CONTENDERS.map((c) => show(s.medians[c])).join(' / ');

/** Pass or fail per target, printed; a missed target never fails the run (the machine decides too much). */
export function targetLines(results: BenchResults): string[] {
  return targets(results).map((t) => `${t.met ? 'PASS' : 'FAIL'} ${t.name}: ${t.value} (wanted ${t.wanted})`);
}

/** One row per scenario and connection count: every server's figures, and both ratios. */
export function scenarioTable(scenarios: ScenarioResult[]): string {
  const rows = scenarios.map((s) =>
    [
      s.title,
      String(s.connections),
      each(s, (m) => num(m.requestsPerSec)),
      `**${s.ratio['koa-floor'].toFixed(2)}x**`,
      `${s.ratio['node-http'].toFixed(2)}x`,
      each(s, (m) => ms(m.p50Ms)),
      each(s, (m) => ms(m.p99Ms)),
      `${s.p99Ratio['koa-floor'].toFixed(2)}x`,
      each(s, cpu),
      each(s, (m) => String(m.errors)),
    ].join(' | '),
  );
  return [
    '| Scenario | Conns | req/s (shaservice / Koa floor / node:http) | vs Koa floor | vs node:http | p50 ms (shaservice / Koa floor / node:http) | p99 ms (shaservice / Koa floor / node:http) | p99 vs Koa floor | CPU µs/req, server + Redis (shaservice / Koa floor / node:http) | Errors (shaservice / Koa floor / node:http) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

export function markdown(results: BenchResults): string {
  const { single, batch, speedup } = batchSpeedup(results);
  const { memory, pinning, machine } = results;
  const plan =
    typeof pinning.plan === 'string'
      ? pinning.plan
      : Object.entries(pinning.plan)
          .map(([name, cpus]) => `${name} on CPU ${cpus}`)
          .join(', ');
  return [
    scenarioTable(results.scenarios),
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
    `${results.mode} run of ${results.date}, ${results.seconds.toFixed(0)} s; ${machine.nproc} × ${machine.cpu}, ` +
      `Node ${machine.node}, ${machine.wrk} (one thread). Pinning: ${plan}. Ratios are medians over ` +
      'alternated rounds.',
    '',
  ].join('\n');
}
