import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { pollUntil } from '../../tools/stack/poll.js';
import type { Stack } from '../../tools/stack/stack.js';
import { type RequestOptions, getMessage, postMessage, send } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { Load, type LoadRequest } from './load.js';
import { byInstance } from './prometheus.js';
import { caOf, useStack } from './stack-fixture.js';

// Bounds of every load loop here: far above what a passing test sends, so only a stuck one reaches them.
const LOAD = { workers: 4, maxRequests: 60_000, maxMs: 90_000 };

describe('e2e: three replicas behind nginx', () => {
  let stack: Stack;
  let tls: RequestOptions;
  let ca: Buffer;

  before(async function () {
    stack = await useStack(this);
    ca = caOf(stack);
    tls = { ca };
  });

  /** A GET of a known message: fails unless 200 with exactly that message. */
  function readBack(messages: string[]): LoadRequest {
    return async (agent, n) => {
      const message = messages[n % messages.length]!;
      const reply = await getMessage(stack.httpsUrl, expectedDigest(message), {}, { ca, agent });
      return reply.status === 200 && reply.json?.message === message
        ? undefined
        : `GET ${reply.status} ${reply.text}`;
    };
  }

  it('when requests arrive, then Prometheus scrapes all three replicas (up = 1) and http_requests_total grows on each', async function () {
    this.timeout(60_000);
    const prometheus = stack.prometheusUrl;
    const instances = stack.replicas.map((replica) => replica.metricsAddress).sort();
    await pollUntil(
      'Prometheus to see all three replicas up',
      async () => {
        const up = await byInstance(prometheus, 'up{job="shaservice"}');
        return (
          [...up.keys()].sort().join() === instances.join() && [...up.values()].every((value) => value === 1)
        );
      },
      30_000,
      250,
    );
    // Only /healthz answers: hardly any other test sends them, so earlier load cannot pass for this one.
    const total = 'sum by (instance) (http_requests_total{job="shaservice", route="getHealth"})';
    const before = await byInstance(prometheus, total);

    for (let i = 0; i < 60; i++)
      expect((await send(stack.httpsUrl, 'GET', '/healthz', tls)).status).to.equal(200);

    let grown: number[] = [];
    await pollUntil(
      'Prometheus to count all 60 requests, at least 10 on every replica',
      async () => {
        const after = await byInstance(prometheus, total);
        grown = instances.map((instance) => (after.get(instance) ?? 0) - (before.get(instance) ?? 0));
        return grown.reduce((sum, n) => sum + n) >= 60 && grown.every((n) => n >= 10);
      },
      20_000,
      250,
    );
    console.log(`      requests per replica, counted by Prometheus: ${grown.join(', ')}`);
    expect(grown).to.have.length(3);
  });

  it('when a replica is killed (SIGKILL) during a stream of GETs, then no GET fails', async function () {
    this.timeout(90_000);
    const messages = Array.from({ length: 20 }, (_, i) => `kill test ${i} ${randomUUID()}`);
    for (const message of messages)
      expect((await postMessage(stack.httpsUrl, message, tls)).status).to.equal(201);
    const victim = stack.replicas[1]!;
    const logFrom = statSync(stack.nginxAccessLog).size;

    const load = new Load({ ...LOAD, ca }, readBack(messages));
    await pollUntil('some GETs before the kill', () => load.sent >= 300, 30_000);
    await victim.stop('SIGKILL');
    const sentAtKill = load.sent;
    await pollUntil('many GETs after the kill', () => load.sent >= sentAtKill + 1_000, 60_000);
    await load.stop();
    await victim.start();

    const retried = retriedRequests(logFrom);

    console.log(
      `      replica kill: ${load.sent} GETs (${load.sent - sentAtKill} after the kill), ` +
        `${load.failures.length} failed, ${retried} retried by nginx on another replica`,
    );
    expect(load.failures).to.deep.equal([]);
    // The kill was felt: some GETs reached the dead replica and nginx sent them on.
    expect(retried).to.be.at.least(1);
  });

  it('when all replicas are restarted one at a time (SIGTERM, exit, start, ready) under POST and GET load, then no request fails (a client retrying a 502 with Retry-After) and every acknowledged message reads back', async function () {
    this.timeout(120_000);
    const acknowledged: string[] = [];
    let retriedByClient = 0;
    const postOrGet: LoadRequest = async (agent, n) => {
      if (n % 2 === 1 && acknowledged.length > 0) return readBack(acknowledged)(agent, n);
      const message = `rolling ${n} ${randomUUID()}`;
      let reply = await postMessage(stack.httpsUrl, message, { ca, agent });
      // nginx replays no POST it has sent: one that reached a replica as it closed its connections gets 502,
      // which a client retries after Retry-After (README, "What the proxy answers and retries").
      if (reply.status === 502 && reply.headers['retry-after'] === '1') {
        retriedByClient++;
        await sleep(1_000);
        reply = await postMessage(stack.httpsUrl, message, { ca, agent });
      }
      if (reply.status !== 201 || reply.json?.digest !== expectedDigest(message))
        return `POST ${reply.status} ${reply.text}`;
      acknowledged.push(message);
      return undefined;
    };

    const logFrom = statSync(stack.nginxAccessLog).size;
    const load = new Load({ ...LOAD, ca }, postOrGet);
    const exits = [];
    for (const replica of stack.replicas) {
      const sentBefore = load.sent;
      await pollUntil('some requests before this restart', () => load.sent >= sentBefore + 200, 30_000);
      exits.push(await replica.stop('SIGTERM'));
      await replica.start();
    }
    const sentBefore = load.sent;
    await pollUntil('some requests after the last restart', () => load.sent >= sentBefore + 200, 30_000);
    await load.stop();
    const unreadable = await readAll(acknowledged);

    console.log(
      `      rolling restart: ${load.sent} requests, ${load.failures.length} failed, ` +
        `${retriedRequests(logFrom)} retried by nginx on another replica, ${retriedByClient} POSTs by the client; ` +
        `${acknowledged.length} acknowledged messages read back, ${unreadable.length} unreadable`,
    );
    expect(exits.map((exit) => exit?.code)).to.deep.equal([0, 0, 0]);
    expect(load.failures).to.deep.equal([]);
    expect(retriedByClient).to.be.below(acknowledged.length / 100);
    expect(acknowledged.length).to.be.above(100);
    expect(unreadable).to.deep.equal([]);
  });

  it('when every replica is down, then nginx answers 502 itself, as JSON with Retry-After; and serves again once they are back', async function () {
    this.timeout(60_000);

    await Promise.all(stack.replicas.map((replica) => replica.stop('SIGKILL')));
    const down = await send(stack.httpsUrl, 'GET', '/healthz', tls);
    await Promise.all(stack.replicas.map((replica) => replica.start()));
    let back = down;
    await pollUntil('nginx to reach a replica again', async () => {
      back = await send(stack.httpsUrl, 'GET', '/healthz', tls);
      return back.status === 200;
    });

    expect(down.status).to.equal(502);
    expect(down.headers['content-type']).to.equal('application/json');
    expect(down.headers['retry-after']).to.equal('1');
    expect(down.json).to.deep.equal({ err_msg: 'No API replica could answer; retry shortly' });
    expect(back.json).to.deep.equal({ status: 'ok' });
  });

  /** Requests nginx logged since byte `from` of its access log that went to more than one replica. */
  function retriedRequests(from: number): number {
    const lines = readFileSync(stack.nginxAccessLog).subarray(from).toString('utf8').split('\n');
    return lines.filter((line) => /upstream=\S+, /.test(line)).length;
  }

  /** GETs every message through the proxy, a few at a time; answers those that did not come back exactly. */
  async function readAll(messages: string[]): Promise<string[]> {
    const check = new Load(
      { workers: 8, maxRequests: messages.length, maxMs: 60_000, ca },
      readBack(messages),
    );
    await pollUntil('every message to be read', () => check.sent >= messages.length, 60_000);
    await check.stop();
    return check.failures;
  }
});
