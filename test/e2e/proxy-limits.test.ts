import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stack } from '../../tools/stack/stack.js';
import { type Reply, send } from '../../tools/client/http.js';
import { HALF_HEADER, HeldConnections, connectFrom } from './held-connections.js';
import { caOf, useStack } from './stack-fixture.js';
import { pollUntil } from '../../tools/stack/poll.js';

// The attackers' addresses: all of 127.0.0.0/8 reaches nginx on lo, and per-address limits then tell them
// from the tests' own client on 127.0.0.1.
const ATTACKER = '127.0.0.2';
const OTHER_ATTACKER = '127.0.0.3';
// More than the 1,024 connections of the single nginx worker that slowloris used to exhaust.
const FLOOD = 1_500;
// Legitimate clients arriving at once during the flood.
const LEGITIMATE = 50;

describe('e2e: the proxy holds against slow and greedy clients', () => {
  let stack: Stack;
  let ca: Buffer;
  let port: number;

  before(async function () {
    stack = await useStack(this);
    ca = caOf(stack);
    port = Number(new URL(stack.httpsUrl).port);
  });

  /** `count` clients at once, each a GET /healthz on a fresh TLS connection; a failure is a reply with status 0. */
  function legitimateRequests(count: number): Promise<Reply[]> {
    const one = () =>
      send(stack.httpsUrl, 'GET', '/healthz', { ca, timeoutMs: 5_000 }).catch((error: Error) => ({
        status: 0,
        headers: {},
        text: error.message,
        json: undefined,
        ms: 5_000,
      }));
    return Promise.all(Array.from({ length: count }, one));
  }

  it('when 1,500 TLS connections from another address hold half a request header, then 50 HTTPS clients arriving at once still get 200 within 2 s', async function () {
    this.timeout(90_000);
    const baseline = await legitimateRequests(LEGITIMATE);
    const flood = await HeldConnections.open({
      port,
      ca,
      connections: FLOOD,
      localAddress: ATTACKER,
      request: HALF_HEADER,
      handshakeTimeoutMs: 5_000,
    });
    try {
      const [held, waiting] = [flood.open, flood.waiting];
      const during = await legitimateRequests(LEGITIMATE);
      const stillHeld = flood.open;

      const ms = (replies: Reply[]) => replies.map((reply) => reply.ms).sort((a, b) => a - b);
      const median = (values: number[]) => values[Math.floor(values.length / 2)]!.toFixed(0);
      console.log(
        `      flood: ${held} of ${FLOOD} held (${waiting} waiting for nginx), ${stillHeld} still held after; ` +
          `legitimate GETs before: median ${median(ms(baseline))} ms; during: median ${median(ms(during))} ms, ` +
          `max ${ms(during).at(-1)!.toFixed(0)} ms, ${during.filter((reply) => reply.status !== 200).length} failed`,
      );
      expect(during.map((reply) => reply.status)).to.deep.equal(Array(LEGITIMATE).fill(200));
      expect(Math.max(...ms(during))).to.be.below(2_000);
      // The flood really was there all along: nginx accepted it and kept it.
      expect(held).to.be.at.least(FLOOD * 0.98);
      expect(stillHeld).to.be.at.least(FLOOD * 0.98);
    } finally {
      flood.close();
    }
  });

  it('when a client sends a request header a byte at a time and never ends it, then nginx closes the connection after client_header_timeout without answering', async function () {
    this.timeout(30_000);
    const socket = connectFrom(ATTACKER, port, ca);
    socket.on('error', () => undefined); // reset_timedout_connection: nginx resets rather than closes
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    const started = performance.now();
    try {
      socket.write(HALF_HEADER);
      // A byte every half second: each read arrives well within any per-read timeout, so only a timeout on
      // the whole header ends this. Bounded to 20 s.
      for (let i = 0; i < 40 && !socket.closed; i++) {
        socket.write('x');
        await Promise.race([sleep(500), closed]);
      }
      const seconds = (performance.now() - started) / 1_000;

      expect(socket.closed, 'still open after 20 s').to.equal(true);
      expect(seconds).to.be.within(
        stack.proxyLimits.clientTimeoutSeconds - 1,
        stack.proxyLimits.clientTimeoutSeconds + 2,
      );
      expect(received).to.equal('');
    } finally {
      socket.destroy();
    }
  });

  it('when one address holds more requests than its connection limit (bodies that never come), then the ones over it get 429 as JSON, and others are still served', async function () {
    this.timeout(30_000);
    const limit = stack.proxyLimits.connectionsPerClient;
    const accessLogFrom = statSync(stack.nginxAccessLog).size;
    const greedy = await HeldConnections.open({
      port,
      ca,
      connections: limit + 10,
      localAddress: OTHER_ATTACKER,
      request:
        'POST /messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n',
      handshakeTimeoutMs: 5_000,
    });
    try {
      await sleep(1_000);
      const others = await legitimateRequests(5);

      expect(greedy.open).to.equal(limit + 10);
      expect(greedy.answers).to.have.length(10);
      for (const answer of greedy.answers) {
        expect(answer).to.match(/^HTTP\/1\.1 429 /);
        expect(answer).to.include('Retry-After: 1');
        expect(answer).to.include('{"err_msg":"Too many connections from this address; retry shortly"}');
      }
      expect(others.map((reply) => reply.status)).to.deep.equal([200, 200, 200, 200, 200]);
    } finally {
      greedy.close();
    }
    // Each refusal is one line of the access log, written once nginx is done with its connection (it reads the
    // declared body to discard it), and none of error.log: a flood of refusals also wrote one line each there,
    // 181 MB in 35 s.
    const refusals = () =>
      readFileSync(stack.nginxAccessLog)
        .subarray(accessLogFrom)
        .toString()
        .split('\n')
        .filter((line) => line.startsWith(`${OTHER_ATTACKER} `) && line.includes('" 429 '));
    await pollUntil('the 429 lines of the access log', () => refusals().length >= 10);
    expect(refusals()).to.have.length(10);
    expect(readFileSync(join(stack.dir, 'nginx', 'error.log'), 'utf8')).not.to.include(
      'limiting connections',
    );
  });
});
