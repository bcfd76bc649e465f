import { expect } from 'chai';
import { type CheckOptions, expectRulesKept } from '../helpers/answer-rules.js';
import type { HostileRequest } from '../helpers/hostile-requests.js';
import { MAX_PEAK_GROWTH_MIB, itKeepsTheRulesUnderHostileInput } from '../helpers/hostile-properties.js';
import { send } from '../../tools/client/http.js';
import { memoryOf, resetPeakRss } from '../helpers/proc-memory.js';
import { ServiceProcess } from '../../tools/stack/service-process.js';
import { testService } from '../helpers/test-service.js';
import { useRedisServer } from '../helpers/redis-fixtures.js';
import { expectMessagesIntact, sampleMessages, storeMessages } from '../helpers/stored-samples.js';

// The service's default body limit, set explicitly because the batch bodies below are built to fit it.
const MAX_BODY_BYTES = 1024 * 1024;
const CHECK: CheckOptions = { timeoutMs: 5_000, silenceMs: 300, lingerMs: 100 };

/**
 * The service as production runs it (its own process with the image's heap limit, on Redis) under arbitrary
 * bodies, headers and request lines sent as raw bytes (issue 12, "Also"). Runs are bounded; a failure prints
 * fast-check's seed and the shrunk request, and the message the exact bytes sent and received.
 */
describe('hostile input straight to the service (fuzz)', function () {
  this.timeout(60_000);
  // Redis rather than the embedded store: what was stored outlives a crash, so "stored messages read back"
  // tests what hostile traffic does to the data, not only whether the process survived.
  const redis = useRedisServer();
  let service: ServiceProcess;
  let sizeBeforeMiB: number;
  /** Every exit seen during the fuzzing, with the request that was running. */
  const exits: string[] = [];
  const stored = sampleMessages();

  before(async () => {
    service = await startService();
    await storeMessages(service.url, stored);
    sizeBeforeMiB = memoryOf(service.pid).rssMiB;
    resetPeakRss(service.pid);
  });

  after(async () => {
    await service?.stop('SIGKILL');
  });

  async function startService(): Promise<ServiceProcess> {
    // start() waits for /readyz: live is not ready while the Redis connection opens (issue 12 item 7).
    return ServiceProcess.start(
      testService({
        REDIS_URL: redis.server().url,
        MAX_BODY_BYTES: String(MAX_BODY_BYTES),
        // Some requests can only be answered by the request timeout: an `Upgrade` request whose chunked body
        // does not parse leaves Node's parser waiting (no 'clientError' comes) until the 408. The shortest
        // timeout keeps that answer within a check's wait.
        REQUEST_TIMEOUT_MS: '1000',
      }),
    );
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

  itKeepsTheRulesUnderHostileInput('straight to the service', {
    exchange,
    numRuns: 300,
    batchItems: ['1', 'null', 'true', '{}', '[]', '0.5'],
    batchRuns: 12,
    batchRefusalMs: 1_000,
    maxBodyBytes: MAX_BODY_BYTES,
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
