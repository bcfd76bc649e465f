import { expect } from 'chai';
import fc from 'fast-check';
import { type RequestOptions, getMessage, postMessage } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';

/**
 * Messages stored before hostile traffic and read back after it: "foo" (whose digest the fuzz requests use
 * to reach the 200 and 304 paths), edge cases, and a fixed-seed sample of arbitrary text.
 */
export function sampleMessages(): string[] {
  const fixed = ['foo', '', 'h\u00e9llo \u2603 \u{1f600}', '\u2028\ufeff\u0000', 'x'.repeat(64 * 1024)];
  const arbitrary = fc.sample(fc.string({ unit: 'binary', maxLength: 300 }), { numRuns: 20, seed: 12 });
  return [...fixed, ...arbitrary];
}

export async function storeMessages(base: string, messages: string[], options: RequestOptions = {}) {
  for (const message of messages) {
    const reply = await postMessage(base, message, options);
    expect(reply.status, `POST of ${JSON.stringify(message.slice(0, 40))}`).to.equal(201);
  }
}

/** Every message reads back by its digest, the same code points and so the same UTF-8 bytes. */
export async function expectMessagesIntact(base: string, messages: string[], options: RequestOptions = {}) {
  const lost: string[] = [];
  for (const message of messages) {
    const reply = await getMessage(base, expectedDigest(message), {}, options);
    if (reply.status !== 200 || reply.json?.message !== message) {
      lost.push(`${JSON.stringify(message.slice(0, 40))}: ${reply.status} ${reply.text.slice(0, 100)}`);
    }
  }
  expect(lost, 'messages stored before the fuzzing that did not read back unchanged').to.deep.equal([]);
}
