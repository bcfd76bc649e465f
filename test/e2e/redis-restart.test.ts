import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { pollUntil } from '../../tools/stack/poll.js';
import { statusOf } from '../../tools/stack/probe.js';
import type { Stack } from '../../tools/stack/stack.js';
import { type Reply, type RequestOptions, getMessage, postMessage } from '../../tools/client/http.js';
import { storedBytes } from '../helpers/stored-message.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { Load } from './load.js';
import { caOf, useStack } from './stack-fixture.js';

const MESSAGES = 300;
// The service's default REDIS_COMMAND_TIMEOUT_MS is 500; a 503 must come well within this.
const ANSWER_WITHIN_MS = 5_000;

describe('e2e: Redis restarted under the stack', () => {
  let stack: Stack;
  let ca: Buffer;
  let tls: RequestOptions;

  before(async function () {
    stack = await useStack(this);
    ca = caOf(stack);
    tls = { ca };
  });

  it('when Redis is stopped (SIGTERM) and started again on the same AOF, then it answers 503 with Retry-After meanwhile and keeps every acknowledged message', async function () {
    this.timeout(90_000);
    const acknowledged = await postMany(MESSAGES);

    await stack.redis.stop('SIGTERM');
    const whileDown: Reply[] = [];
    for (let i = 0; i < 10; i++) {
      whileDown.push(await postMessage(stack.httpsUrl, `while Redis is down ${randomUUID()}`, tls));
      whileDown.push(
        await getMessage(stack.httpsUrl, expectedDigest(`never stored ${randomUUID()}`), {}, tls),
      );
    }
    await stack.redis.startProcess();
    await pollUntil(
      'every replica to be ready again',
      async () =>
        (await Promise.all(stack.replicas.map((r) => statusOf(`${r.url}/readyz`)))).every((s) => s === 200),
      30_000,
      100,
    );
    const stored = await readFromRedis(acknowledged);
    const afterwards = await postMessage(stack.httpsUrl, `after the restart ${randomUUID()}`, tls);

    console.log(
      `      Redis restart: ${acknowledged.length} acknowledged messages checked in Redis, ${whileDown.length} requests while down`,
    );
    expect(whileDown.map((reply) => reply.status)).to.deep.equal(whileDown.map(() => 503));
    for (const reply of whileDown) {
      expect(reply.headers['retry-after']).to.equal('1');
      expect(reply.json?.err_msg).to.be.a('string').and.have.length.above(0);
      expect(reply.ms).to.be.below(ANSWER_WITHIN_MS);
    }
    expect(stored).to.deep.equal(acknowledged);
    expect(afterwards.status).to.equal(201);
  });

  /** Posts `count` new messages through the proxy; answers those acknowledged with the right digest. */
  async function postMany(count: number): Promise<string[]> {
    const acknowledged: string[] = [];
    const load = new Load({ workers: 4, maxRequests: count, maxMs: 60_000, ca }, async (agent, n) => {
      const message = `kept across a Redis restart ${n} ${randomUUID()}`;
      const reply = await postMessage(stack.httpsUrl, message, { ca, agent });
      if (reply.status !== 201 || reply.json?.digest !== expectedDigest(message))
        return `POST ${reply.status}`;
      acknowledged.push(message);
      return undefined;
    });
    await pollUntil('every POST to be sent', () => load.sent >= count, 60_000);
    await load.stop();
    expect(load.failures).to.deep.equal([]);
    return acknowledged;
  }

  /**
   * Reads the messages straight from Redis (the replicas' caches would answer them through the API even if
   * Redis had lost them), under the service's default key prefix.
   */
  async function readFromRedis(messages: string[]): Promise<(string | null)[]> {
    const stored = await Promise.all(
      messages.map((message) => storedBytes(stack.redis.url, 'shaservice:', expectedDigest(message))),
    );
    return stored.map((bytes) => bytes?.toString('utf8') ?? null);
  }
});
