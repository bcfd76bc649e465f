import { expect } from 'chai';
import fc from 'fast-check';
import { type CheckOptions, expectRulesKept } from '../helpers/answer-rules.js';
import { piecesLength } from '../helpers/byte-pieces.js';
import { nonStringBatch } from '../helpers/hostile-bodies.js';
import {
  type HostileRequest,
  requestWithHostileBody,
  requestWithHostileHeaders,
  requestWithHostileLine,
} from '../helpers/hostile-requests.js';
import { send } from '../helpers/http.js';
import { memoryOf, resetPeakRss } from '../helpers/proc-memory.js';
import { requireRedisServer } from '../helpers/require-command.js';
import { ServiceProcess } from '../helpers/service-process.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { RedisServer } from '../../tools/stack/redis-server.js';
import { expectMessagesIntact, sampleMessages, storeMessages } from '../helpers/stored-samples.js';

// The service's default body limit, set explicitly because the batch bodies below are built to fit it.
const MAX_BODY_BYTES = 1024 * 1024;
const CHECK: CheckOptions = { timeoutMs: 5_000, silenceMs: 300, lingerMs: 100 };
// Peak RSS growth allowed over the fuzzing. Measured 2026-11-30 over 1,200 of these requests: 59 MiB, most of
// it the oversized error bodies of issue 12 item 1, so a fixed service stays well below. Dying is the far end:
// the heap limit (160 MiB) is where the process aborts, and the chart's memory limit (214 MiB) sits above
// the start size (~120 MiB) plus the cache's 64 MiB, leaving about this much for everything else.
const MAX_PEAK_GROWTH_MIB = 96;

/**
 * The service as production runs it (its own process with the image's heap limit, on Redis) under arbitrary
 * bodies, headers and request lines sent as raw bytes (issue 12, "Also"). Runs are bounded; a failure prints
 * fast-check's seed and the shrunk request, and the message the exact bytes sent and received.
 */
describe('hostile input straight to the service (fuzz)', function () {
  this.timeout(60_000);
  let redis: RedisServer | undefined;
  let service: ServiceProcess;
  let sizeBeforeMiB: number;
  /** Every exit seen during the fuzzing, with the request that was running. */
  const exits: string[] = [];
  const stored = sampleMessages();

  before(async function () {
    requireRedisServer(this);
    // Redis rather than the embedded store: what was stored outlives a crash, so "stored messages read back"
    // tests what hostile traffic does to the data, not only whether the process survived.
    redis = await RedisServer.start();
    service = await startService();
    await storeMessages(service.url, stored);
    sizeBeforeMiB = memoryOf(service.pid).rssMiB;
    resetPeakRss(service.pid);
  });

  after(async () => {
    await service?.kill();
    await redis?.destroy();
  });

  async function startService(): Promise<ServiceProcess> {
    const started = await ServiceProcess.start({
      REDIS_URL: redis!.url,
      MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    });
    // Live is not ready: its Redis connection opens in the background (issue 12 item 7).
    await pollUntil(
      '/readyz to answer 200',
      async () => (await send(started.url, 'GET', '/readyz')).status === 200,
    );
    return started;
  }

  /** Restarts a service that died, so one crash does not fail every later run (and shrinking still works). */
  async function liveService(): Promise<ServiceProcess> {
    if (service.exitStatus === undefined) return service;
    service = await startService();
    return service;
  }

  /** One request, its answer checked; a process that exited while it ran is named as the failure. */
  async function exchange(request: HostileRequest, options: CheckOptions = CHECK) {
    const running = await liveService();
    try {
      return await expectRulesKept({ host: '127.0.0.1', port: running.port }, request, options);
    } catch (error) {
      // A dying process first stops answering, then exits: give it a moment to show which it is.
      await Promise.race([running.exited, new Promise((resolve) => setTimeout(resolve, 1_000))]);
      const exit = running.exitStatus;
      if (exit === undefined) throw error;
      // V8's own line says why (FATAL ERROR: ... heap limit); the native stack trace after it does not.
      const cause = /^.*(FATAL|Error).*$/m.exec(running.stderr)?.[0] ?? running.stderr.slice(0, 300);
      const why = `the service exited (code ${exit.code}, signal ${exit.signal}): ${cause}`;
      exits.push(`${why}\n  ${(error as Error).message}`);
      throw new Error(`${why}\n  ${(error as Error).message}`, { cause: error });
    }
  }

  it('when arbitrary JSON-ish bodies are posted to the body routes, then no answer is a 5xx but 503 and every error is a small JSON {err_msg}', async () => {
    await fc.assert(
      fc.asyncProperty(requestWithHostileBody, async (request) => {
        await exchange(request);
      }),
      { numRuns: 300 },
    );
  });

  it('when requests carry arbitrary header sets (framing, media types, Expect, huge or odd headers), then every request gets an answer and every error is JSON', async () => {
    await fc.assert(
      fc.asyncProperty(requestWithHostileHeaders, async (request) => {
        await exchange(request);
      }),
      { numRuns: 300 },
    );
  });

  it('when request lines carry arbitrary methods, targets and versions, then every request gets an answer and every error is JSON', async () => {
    await fc.assert(
      fc.asyncProperty(requestWithHostileLine, async (request) => {
        await exchange(request);
      }),
      { numRuns: 300 },
    );
  });

  it('when a batch or lookup as large as the body limit holds only non-string items, then a small JSON 400 comes within a second and the process lives', async () => {
    // The case issue 12 item 1 reports (500,000 items `1`), tried first.
    const ISSUE_CASE = { key: 'messages' as const, item: '1' as const };
    const bomb = fc.record({
      key: fc.constantFrom('messages' as const, 'digests' as const),
      item: fc.constantFrom('1', 'null', 'true', '{}', '[]', '0.5'),
    });
    await fc.assert(
      fc.asyncProperty(bomb, async ({ key, item }) => {
        const body = nonStringBatch(key, item, MAX_BODY_BYTES);
        const request: HostileRequest = {
          line: [`POST ${key === 'messages' ? '/messages/batch' : '/digests/lookup'} HTTP/1.1`],
          headers: [
            'Host: localhost\r\n',
            'Content-Type: application/json\r\n',
            `Content-Length: ${piecesLength(body)}\r\n`,
          ],
          body,
          incomplete: false,
          surplus: false,
          head: false,
        };
        const started = performance.now();
        const answer = await exchange(request, { ...CHECK, timeoutMs: 10_000 });
        // The work spent refusing a request is bounded by a small constant times its size (issue 12 item 1).
        expect(performance.now() - started, 'ms to refuse 1 MiB').to.be.below(1_000);
        expect(answer.responses[0]?.status).to.equal(400);
      }),
      // No shrinking: the two constants are already the smallest case, and each failing try costs a crash.
      { numRuns: 12, endOnFailure: true, examples: [[ISSUE_CASE]] },
    );
  });

  // The checks below read the state the properties above left: they run after them, in this order.

  it('when the fuzzing is over, then the process never exited and still answers /healthz', async () => {
    const running = await liveService();
    const health = await send(running.url, 'GET', '/healthz', { timeoutMs: 2_000 });

    expect(exits, 'exits during the fuzzing').to.deep.equal([]);
    expect(health.status).to.equal(200);
  });

  it(`when the fuzzing is over, then the peak RSS grew by less than ${MAX_PEAK_GROWTH_MIB} MiB over the size before it`, () => {
    const { peakRssMiB } = memoryOf(service.pid);

    expect(exits, 'a process that died was not measured to the end').to.deep.equal([]);
    expect(
      peakRssMiB - sizeBeforeMiB,
      `peak ${peakRssMiB.toFixed(0)} MiB, before ${sizeBeforeMiB.toFixed(0)} MiB`,
    ).to.be.below(MAX_PEAK_GROWTH_MIB);
  });

  it('when the fuzzing is over, then every message stored before it reads back byte for byte', async () => {
    await expectMessagesIntact((await liveService()).url, stored);
  });
});
