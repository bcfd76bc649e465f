import { expect } from 'chai';
import fc from 'fast-check';
import type { CheckOptions } from './answer-rules.js';
import { piecesLength } from './byte-pieces.js';
import { nonStringBatch } from './hostile-bodies.js';
import {
  type HostileRequest,
  requestWithHostileBody,
  requestWithHostileHeaders,
  requestWithHostileLine,
} from './hostile-requests.js';
import type { RawExchange } from './raw-http.js';

/**
 * Peak RSS growth a process may show over a fuzz suite. What bounds it is the pod: the chart's memory limit
 * (320 MiB) less the start size (about 120 MiB) and a full cache (64 MiB) leaves about 136 MiB. Measured over 25
 * runs: 40-71 MiB on Node 20, 53-110 MiB on Node 24 (more memory outside V8's heap, kept after use).
 */
export const MAX_PEAK_GROWTH_MIB = 128;

export interface HostileTarget {
  /** Sends one request and throws if its answer breaks a rule (answer-rules.ts), naming any process that died. */
  exchange(request: HostileRequest, options?: CheckOptions): Promise<RawExchange>;
  /** Runs of each property over bodies, headers and request lines. */
  numRuns: number;
  /** The items the 1 MiB batch of non-strings is made of, and how many of those batches to try. */
  batchItems: string[];
  batchRuns: number;
  /** How long a 1 MiB batch may take to be refused, at most: the work spent on a refusal is bounded. */
  batchRefusalMs: number;
  maxBodyBytes: number;
}

/**
 * The properties both fuzz suites assert (issue 12, "Also"), straight to the service and through the proxy:
 * every answer to arbitrary bodies, headers and request lines keeps the rules, and the batch of the issue's
 * first defect (a body-limit array of non-strings) is a prompt 400.
 */
export function itKeepsTheRulesUnderHostileInput(where: string, target: HostileTarget): void {
  for (const [what, requests] of [
    ['arbitrary JSON-ish bodies', requestWithHostileBody],
    ['arbitrary header sets (framing, media types, Expect, huge or odd headers)', requestWithHostileHeaders],
    ['request lines with arbitrary methods, targets and versions', requestWithHostileLine],
  ] as const) {
    it(`when requests with ${what} go ${where}, then each gets an answer, no 5xx but 503, every error a small JSON {err_msg}`, async () => {
      await fc.assert(
        fc.asyncProperty(requests, async (request) => {
          await target.exchange(request);
        }),
        { numRuns: target.numRuns },
      );
    });
  }

  it(`when a batch or lookup as large as the body limit holds only non-string items and goes ${where}, then a small JSON 400 comes promptly`, async () => {
    // The case issue 12 item 1 reports (500,000 items `1`), tried first.
    const issueCase = { key: 'messages' as const, item: '1' };
    const batch = fc.record({
      key: fc.constantFrom('messages' as const, 'digests' as const),
      item: fc.constantFrom(...target.batchItems),
    });
    await fc.assert(
      fc.asyncProperty(batch, async ({ key, item }) => {
        const started = performance.now();
        const answer = await target.exchange(batchRequest(key, item, target.maxBodyBytes), {
          timeoutMs: 20_000,
          silenceMs: 300,
          lingerMs: 0,
        });

        expect(performance.now() - started, 'ms to refuse 1 MiB').to.be.below(target.batchRefusalMs);
        expect(answer.responses[0]?.status).to.equal(400);
      }),
      // No shrinking: the constants are already the smallest case, and a failing try may cost crashes.
      { numRuns: target.batchRuns, endOnFailure: true, examples: [[issueCase]] },
    );
  });
}

function batchRequest(key: 'messages' | 'digests', item: string, maxBodyBytes: number): HostileRequest {
  const body = nonStringBatch(key, item, maxBodyBytes);
  return {
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
}
