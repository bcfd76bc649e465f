import autocannon, { type Request } from 'autocannon';
import { cpuMicros } from './cpu.js';

/** What the report keeps of one autocannon run. */
export interface Measurement {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses with a status outside `expected`, plus connection errors and timeouts. */
  errors: number;
  timeouts: number;
  /** CPU µs per answered request of the server process and of Redis (NaN when not measured). */
  serverCpuUs: number;
  redisCpuUs: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  durationSec: number;
  /** Stop after this many requests instead of after `durationSec` (for a fixed amount of work). */
  amount?: number;
  requests: Request[];
  expected: number[];
  /** Processes whose CPU time to measure over the run: the server under load and its Redis. */
  pids?: { server: number; redis: number };
}

/**
 * One autocannon run against one server. No pipelining (one request in flight per connection, as real
 * clients do); a 10 s client timeout, so a stuck server shows up as timeouts rather than a hung bench.
 */
export async function measure(options: LoadOptions): Promise<Measurement> {
  const { pids } = options;
  const before = pids && { server: cpuMicros(pids.server), redis: cpuMicros(pids.redis) };
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    ...(options.amount ? { amount: options.amount } : { duration: options.durationSec }),
    timeout: 10,
    requests: options.requests,
  });
  const byStatus = result.statusCodeStats ?? {};
  let answered = 0;
  let expected = 0;
  for (const [status, { count = 0 }] of Object.entries(byStatus)) {
    answered += count;
    if (options.expected.includes(Number(status))) expected += count;
  }
  return {
    // Elapsed time as autocannon measured it, not as asked: the last second is rarely exactly full.
    requestsPerSec: answered / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: answered,
    errors: answered - expected + result.errors,
    timeouts: result.timeouts,
    serverCpuUs: pids && before ? (cpuMicros(pids.server) - before.server) / answered : NaN,
    redisCpuUs: pids && before ? (cpuMicros(pids.redis) - before.redis) / answered : NaN,
  };
}
