import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { getMessage } from './http.js';
import { expectedDigest } from './sha256.js';

export interface Sample {
  op: 'POST' | 'GET';
  /** The base URL the request went to. */
  target: string;
  /** HTTP status, or 0 when the request failed or passed the client's timeout. */
  status: number;
  /** When the request started and how long it took, in ms since the load began. */
  at: number;
  ms: number;
}

export interface LoadResult {
  samples: Sample[];
  /** digest -> message for every POST that got a 201. */
  acknowledged: Map<string, string>;
}

export interface LoadOptions {
  durationMs: number;
  concurrency: number;
  /** A hard bound on requests, whatever the duration. */
  maxRequests?: number;
  /** Client-side timeout: a request still open after it counts as status 0 (a hang). */
  timeoutMs?: number;
}

/**
 * A steady, bounded stream of POSTs of new messages, each followed by a GET of an acknowledged one,
 * from `concurrency` workers on keep-alive connections. Every request is recorded. `url` may be a function,
 * asked before each request, to spread requests over several servers as a proxy would.
 */
export async function runLoad(url: string | (() => string), options: LoadOptions): Promise<LoadResult> {
  const { durationMs, concurrency, maxRequests = 200_000, timeoutMs = 10_000 } = options;
  const started = performance.now();
  const samples: Sample[] = [];
  const acknowledged = new Map<string, string>();
  const digests: string[] = [];

  async function request(op: Sample['op'], path: string, body?: string) {
    const at = performance.now() - started;
    const target = typeof url === 'string' ? url : url();
    const status = await fetch(`${target}${path}`, {
      method: op,
      body,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      signal: AbortSignal.timeout(timeoutMs),
    }).then(
      async (response) => (await response.arrayBuffer(), response.status),
      () => 0,
    );
    samples.push({ op, target, status, at, ms: performance.now() - started - at });
    return status;
  }

  const more = () => performance.now() - started < durationMs && samples.length < maxRequests;
  await runWorkers(concurrency, more, async (id, i) => {
    const message = `load ${id}/${i} ${randomUUID()}`;
    if ((await request('POST', '/messages', JSON.stringify({ message }))) === 201) {
      const digest = expectedDigest(message);
      acknowledged.set(digest, message);
      digests.push(digest);
    }
    const known = digests[Math.floor(Math.random() * digests.length)];
    if (known) await request('GET', `/messages/${known}`);
  });
  return { samples, acknowledged };
}

/**
 * The loop of every load the tests send: `concurrency` workers, each taking its next step only once the last
 * has been answered (as a client pool on keep-alive connections does), while `more()` says so.
 */
export async function runWorkers(
  concurrency: number,
  more: () => boolean,
  step: (worker: number, i: number) => Promise<void>,
): Promise<void> {
  const worker = async (id: number) => {
    for (let i = 0; more(); i++) await step(id, i);
  };
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id)));
}

export interface LoadSummary {
  requests: number;
  byStatus: Record<string, number>;
  longestMs: number;
  /** From the first failed request to the last one, in ms (0 when none failed). */
  errorWindowMs: number;
  /** From `since` to the first 201 that started after it. */
  firstCreatedAfterMs: number | undefined;
}

export function summarize(samples: Sample[], since: number): LoadSummary {
  const byStatus: Record<string, number> = {};
  for (const { status } of samples) byStatus[status] = (byStatus[status] ?? 0) + 1;
  const failures = samples.filter((s) => s.status >= 500 || s.status === 0);
  const firstCreated = samples
    .filter((s) => s.op === 'POST' && s.status === 201 && s.at >= since)
    .reduce((min, s) => Math.min(min, s.at + s.ms), Infinity);
  return {
    requests: samples.length,
    byStatus,
    longestMs: Math.round(Math.max(0, ...samples.map((s) => s.ms))),
    errorWindowMs: failures.length
      ? Math.round(Math.max(...failures.map((s) => s.at + s.ms)) - Math.min(...failures.map((s) => s.at)))
      : 0,
    firstCreatedAfterMs: Number.isFinite(firstCreated) ? Math.round(firstCreated - since) : undefined,
  };
}

/** The stored message, asking again while the service still answers 503 (a client's view of a retry). */
export async function readBack(url: string, digest: string): Promise<string | undefined> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const reply = await getMessage(url, digest);
    if (reply.status !== 503) return reply.status === 200 ? reply.json.message : undefined;
    await sleep(100);
  }
  throw new Error(`GET ${digest} still answers 503 after the failover`);
}

/** How many acknowledged messages do not read back byte for byte; a few reads at a time, as a client would. */
export async function countLost(
  url: string,
  acknowledged: Map<string, string>,
  concurrency = 8,
): Promise<number> {
  const entries = [...acknowledged];
  let lost = 0;
  const worker = async () => {
    for (let entry = entries.pop(); entry; entry = entries.pop()) {
      const [digest, message] = entry;
      if ((await readBack(url, digest)) !== message) lost += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return lost;
}
