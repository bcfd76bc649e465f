import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from '../../tools/stack/poll.js';
import type { Stack } from '../../tools/stack/stack.js';
import { type Reply, postJson } from '../../tools/client/http.js';
import { caOf, useStack } from './stack-fixture.js';

describe('e2e: what the proxy retries on another replica', () => {
  let stack: Stack;
  let ca: Buffer;

  before(async function () {
    stack = await useStack(this);
    ca = caOf(stack);
  });

  /**
   * POSTs one message at a time until one gets no answer within `waitMs`: round robin sends one of every
   * three to the frozen replica, whose kernel still accepts the connection and takes the request.
   */
  async function postUntilOneIsHeld(waitMs = 500): Promise<{ id: string; reply: Promise<Reply> }> {
    for (let i = 0; i < 6; i++) {
      const id = `held-${i}-${randomUUID()}`;
      const reply = postJson(stack.httpsUrl, '/messages', { message: id }, { 'X-Request-Id': id }, { ca });
      const answered = await Promise.race([reply.then(() => true), sleep(waitMs).then(() => false)]);
      if (!answered) return { id, reply };
    }
    throw new Error('no POST was held by the frozen replica');
  }

  it('when a replica dies while holding a POST, then nginx answers 502 and does not replay it on another replica', async function () {
    this.timeout(60_000);
    const victim = stack.replicas[0]!;
    const logFrom = statSync(stack.nginxAccessLog).size;
    victim.signal('SIGSTOP');
    try {
      const held = await postUntilOneIsHeld();
      await victim.stop('SIGKILL');
      const reply = await held.reply;

      // nginx logs a request just after answering it.
      let lines: string[] = [];
      await pollUntil('nginx to log the request', () => {
        const log = readFileSync(stack.nginxAccessLog).subarray(logFrom).toString('utf8');
        lines = log.split('\n').filter((line) => line.includes(`rid=${held.id} `));
        return lines.length > 0;
      });
      expect(reply.status, reply.text).to.equal(502);
      expect(reply.json).to.deep.equal({ err_msg: 'No API replica could answer; retry shortly' });
      expect(reply.headers['retry-after']).to.equal('1');
      // One upstream address: nginx logs every replica it tried, comma-separated.
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(/ upstream=127\.0\.0\.1:\d+ upstream_status=/);
    } finally {
      await victim.stop('SIGKILL');
      await victim.start();
    }
  });
});
