import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Target } from './servers.js';

export interface MemoryResult {
  messages: number;
  perRequest: number;
  seconds: number;
  load: { requests: number; errors: number };
  startRssBytes: number;
  peakRssBytes: number;
  limitBytes: number;
}

/**
 * Posts `total` distinct messages (through the batch endpoint, `perRequest` at a time, to keep it short)
 * to a fresh service, reading each batch back, and samples its resident size every 100 ms from /proc,
 * keeping the peak.
 */
export async function measureMemory(
  target: Target,
  total: number,
  perRequest: number,
  limitBytes: number,
): Promise<MemoryResult> {
  const startRssBytes = rssBytes(target.pid);
  let peakRssBytes = startRssBytes;
  const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, rssBytes(target.pid))), 100);
  const started = performance.now();
  try {
    const load = await postAndReadBack(target.url, Math.ceil(total / perRequest), perRequest);
    peakRssBytes = Math.max(peakRssBytes, rssBytes(target.pid));
    return {
      messages: total,
      perRequest,
      seconds: (performance.now() - started) / 1000,
      load,
      startRssBytes,
      peakRssBytes,
      limitBytes,
    };
  } finally {
    clearInterval(sampler);
  }
}

// Requests in flight: enough to keep the service busy; it is the service's memory, not its speed, measured.
const CONNECTIONS = 8;
// How many batches a lookup trails the newest post by: more than the requests in flight, so that the batch
// it reads back has been answered.
const LOOKUP_LAG = 16;

/**
 * Posts `batches` batches of new ~100-byte messages, each followed by a POST /digests/lookup of an earlier
 * batch, so every message lands in Redis and, read back, in the cache (which fills on reads). A fixed amount of
 * work, which wrk cannot do; fetch in this process is light enough at a few hundred requests per second.
 */
async function postAndReadBack(url: string, batches: number, size: number) {
  const messages = (batch: number) =>
    Array.from({ length: size }, (_, i) => `memory scenario message ${batch * size + i} `.padEnd(100, '.'));
  const send = async (path: string, body: unknown, status: number) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    }).catch(() => undefined);
    await response?.arrayBuffer();
    return response?.status === status ? 0 : 1;
  };
  let next = 0;
  let errors = 0;
  const worker = async () => {
    for (let batch = next++; batch < batches; batch = next++) {
      errors += await send('/messages/batch', { messages: messages(batch) }, 201);
      const digests = messages(Math.max(0, batch - LOOKUP_LAG)).map((text) =>
        createHash('sha256').update(text, 'utf8').digest('hex'),
      );
      errors += await send('/digests/lookup', { digests }, 200);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return { requests: 2 * batches, errors };
}

/** Resident set size of a process in bytes, from /proc (Linux); 0 once the process is gone. */
function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
