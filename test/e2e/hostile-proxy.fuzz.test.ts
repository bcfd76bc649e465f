import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Stack } from '../../tools/stack/stack.js';
import { type CheckOptions, expectRulesKept } from '../helpers/answer-rules.js';
import type { HostileRequest } from '../helpers/hostile-requests.js';
import { MAX_PEAK_GROWTH_MIB, itKeepsTheRulesUnderHostileInput } from '../helpers/hostile-properties.js';
import { send } from '../../tools/client/http.js';
import { memoryOf, resetPeakRss } from '../helpers/proc-memory.js';
import type { RawTarget } from '../helpers/raw-http.js';
import { expectMessagesIntact, sampleMessages, storeMessages } from '../helpers/stored-samples.js';
import { caOf, useStack } from './stack-fixture.js';

// The stack's body limit (nginx's client_max_body_size and the replicas' MAX_BODY_BYTES): 1 MiB by default.
const MAX_BODY_BYTES = 1024 * 1024;
const CHECK: CheckOptions = { timeoutMs: 8_000, silenceMs: 300, lingerMs: 100 };

/**
 * The same hostile requests as test/http/hostile.fuzz.test.ts, over TLS through the stack's nginx (the
 * chart's ingress-nginx on this machine) to its three replicas: what nginx answers itself must keep the
 * rules too, and nothing a client sends may take replicas down (issue 12, "Also").
 */
describe('e2e: hostile input through the TLS proxy (fuzz)', function () {
  this.timeout(90_000);
  let stack: Stack;
  let target: RawTarget;
  let sizesBeforeMiB: number[];
  /** Every replica exit seen during the fuzzing, with the request that was running. */
  const exits: string[] = [];
  const stored = sampleMessages();

  before(async function () {
    stack = await useStack(this);
    const ca = caOf(stack);
    target = {
      host: '127.0.0.1',
      port: Number(new URL(stack.httpsUrl).port),
      tls: { ca, servername: 'localhost' },
    };
    await storeMessages(stack.httpsUrl, stored, { ca });
    sizesBeforeMiB = stack.replicas.map((replica) => memoryOf(replica.pid!).rssMiB);
    for (const replica of stack.replicas) resetPeakRss(replica.pid!);
  });

  // The stack is shared with the other end-to-end suites: leave it whole, whatever this suite did to it.
  after(async function () {
    this.timeout(60_000);
    await restartDeadReplicas();
  });

  async function restartDeadReplicas(): Promise<void> {
    await Promise.all(stack.replicas.filter((replica) => !replica.running).map((replica) => replica.start()));
  }

  /** One request, its answer checked; replicas that died while it ran are named in the failure. */
  async function exchange(request: HostileRequest, options: CheckOptions = CHECK) {
    // So that one crash does not fail every later run, and shrinking still compares like with like.
    await restartDeadReplicas();
    try {
      return await expectRulesKept(target, request, options);
    } catch (error) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const dead = stack.replicas.filter((replica) => !replica.running);
      if (dead.length === 0) throw error;
      const why = `${dead.length} of ${stack.replicas.length} replicas exited: ${dead
        .map((replica) => `replica ${replica.index}: ${exitCause(replica.logFile)}`)
        .join('; ')}`;
      exits.push(`${why}\n  ${(error as Error).message}`);
      throw new Error(`${why}\n  ${(error as Error).message}`, { cause: error });
    }
  }

  itKeepsTheRulesUnderHostileInput('through the TLS proxy', {
    exchange,
    numRuns: 200,
    batchItems: ['1', 'null', '{}'],
    batchRuns: 4,
    batchRefusalMs: 5_000,
    maxBodyBytes: MAX_BODY_BYTES,
  });

  // The checks below read the state the properties above left: they run after them, in this order.

  it('when the fuzzing is over, then no replica exited and each still answers /healthz, as does the proxy', async () => {
    await restartDeadReplicas();
    const direct = await Promise.all(stack.replicas.map((replica) => send(replica.url, 'GET', '/healthz')));
    const proxied = await send(stack.httpsUrl, 'GET', '/healthz', { ca: caOf(stack) });

    expect(exits, 'replica exits during the fuzzing').to.deep.equal([]);
    expect(stack.nginx.running, 'nginx runs').to.equal(true);
    expect(direct.map((reply) => reply.status)).to.deep.equal(stack.replicas.map(() => 200));
    expect(proxied.status).to.equal(200);
  });

  it(`when the fuzzing is over, then no replica grew its peak RSS by ${MAX_PEAK_GROWTH_MIB} MiB or more`, () => {
    expect(exits, 'a replica that died was not measured to the end').to.deep.equal([]);
    const growth = stack.replicas.map(
      (replica, index) => memoryOf(replica.pid!).peakRssMiB - sizesBeforeMiB[index]!,
    );

    expect(
      Math.max(...growth),
      `peak growth per replica (MiB): ${growth.map((g) => g.toFixed(0))}`,
    ).to.be.below(MAX_PEAK_GROWTH_MIB);
  });

  it('when the fuzzing is over, then every message stored before it reads back byte for byte through the proxy', async () => {
    await expectMessagesIntact(stack.httpsUrl, stored, { ca: caOf(stack) });
  });
});

/** Why a replica died, from its log (stdout and stderr): V8's fatal line, or else the log's last lines. */
function exitCause(file: string): string {
  const log = readFileSync(file, 'utf8');
  const fatal = log.match(/^.*FATAL ERROR.*$/gm)?.pop();
  return fatal ?? log.split('\n').slice(-4).join(' | ').slice(-300);
}
