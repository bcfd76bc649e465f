import { readFileSync } from 'node:fs';
import { measure, type Measurement } from './load.js';
import type { Target } from './servers.js';
import { batchPostsAndLookups } from './scenarios.js';

export interface MemoryResult {
  messages: number;
  perRequest: number;
  seconds: number;
  load: Measurement;
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
    const load = await measure({
      url: target.url,
      connections: 8,
      durationSec: 0,
      // A post and a lookup per batch.
      amount: 2 * Math.ceil(total / perRequest),
      expected: [200, 201],
      // ~100-byte messages, all distinct, so every one lands in Redis and, read back, in the cache.
      requests: batchPostsAndLookups(perRequest, (n) => `memory scenario message ${n} `.padEnd(100, '.')),
    });
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
