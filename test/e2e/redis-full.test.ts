import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import type { Stack } from '../../tools/stack/stack.js';
import { getMessage, postMessage, type RequestOptions } from '../../tools/client/http.js';
import { caOf, useStack } from './stack-fixture.js';

describe('e2e: a full Redis under the stack', () => {
  let stack: Stack;
  let tls: RequestOptions;

  before(async function () {
    stack = await useStack(this);
    tls = { ca: caOf(stack) };
  });

  // `--no-raw` answers `1) "maxmemory"` and `2) "375809638"`, one per line.
  const config = (name: string) =>
    stack.redis
      .cli('CONFIG', 'GET', name)
      .split('\n')[1]!
      .replace(/^\d+\) "?|"$/g, '');

  it("when the stack starts, then its Redis has a maxmemory (70% of the chart's default 512Mi limit) and never evicts", () => {
    expect(config('maxmemory')).to.equal(String(Math.floor(512 * 1024 * 1024 * 0.7)));
    expect(config('maxmemory-policy')).to.equal('noeviction');
  });

  it('when Redis reaches its maxmemory, then a POST answers 503 with Retry-After, a GET of a stored message 200, and Redis keeps running', async () => {
    const stored = await postMessage(stack.httpsUrl, `before it is full ${randomUUID()}`, tls);
    expect(stored.status).to.equal(201);
    const maxmemory = config('maxmemory')!;
    // Full now: what it already holds is over a 1-byte maxmemory, as a Redis at its limit is.
    stack.redis.cli('CONFIG', 'SET', 'maxmemory', '1');
    try {
      const refused = await postMessage(stack.httpsUrl, `when it is full ${randomUUID()}`, tls);
      const read = await getMessage(stack.httpsUrl, stored.json.digest, {}, tls);

      expect(refused.status).to.equal(503);
      expect(refused.headers['retry-after']).to.equal('1');
      expect(read.status).to.equal(200);
      expect(stack.redis.running).to.equal(true);
    } finally {
      stack.redis.cli('CONFIG', 'SET', 'maxmemory', maxmemory);
    }
  });
});
