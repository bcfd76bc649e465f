import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { postMessage, send } from '../tools/client/http.js';
import { memoryOf, resetPeakRss } from './helpers/proc-memory.js';
import { parseResponses } from './helpers/raw-http.js';
import { ServiceProcess } from '../tools/stack/service-process.js';
import { testService } from './helpers/test-service.js';
import { expectedDigest } from '../tools/client/sha256.js';
import { pollUntil } from '../tools/stack/poll.js';

// `{"message":"<this many>"}` is just under MAX_BODY_BYTES (1 MiB): the largest answer a GET can have.
const LARGE_MESSAGE_CHARS = 1_048_556;
const PIPELINED = 300;

describe('hostile pipelining (the service process, with the production heap cap)', function () {
  this.timeout(60_000);
  let service: ServiceProcess;
  let socket: Socket | undefined;

  before(async function () {
    this.timeout(40_000); // start-up compiles the TypeScript (see main.test.ts)
    service = await ServiceProcess.start(testService());
  });

  afterEach(() => socket?.destroy());
  after(() => service.stop('SIGKILL'));

  it('when 300 GETs of a 1 MiB message are pipelined on one connection that does not read, then the process holds a bounded few answers, and once read every answer is right and in order', async () => {
    const large = 'L'.repeat(LARGE_MESSAGE_CHARS);
    // Every tenth request asks for a small message of its own, so an answer out of order cannot pass.
    const small = (i: number) => `small message ${i}`;
    const messageOf = (i: number) => (i % 10 === 9 ? small(i) : large);
    expect((await postMessage(service.url, large, { timeoutMs: 20_000 })).status).to.equal(201);
    for (let i = 9; i < PIPELINED; i += 10)
      expect((await postMessage(service.url, small(i))).status).to.equal(201);
    const largeDigest = expectedDigest(large);
    const digestOf = (i: number) => (i % 10 === 9 ? expectedDigest(small(i)) : largeDigest);
    const requests = Array.from(
      { length: PIPELINED },
      (_, i) => `GET /messages/${digestOf(i)} HTTP/1.1\r\nHost: x\r\nX-Request-Id: pipelined-${i}\r\n\r\n`,
    ).join('');

    const before = memoryOf(service.pid);
    resetPeakRss(service.pid);
    const client = connect(service.port, '127.0.0.1');
    socket = client;
    client.pause(); // read nothing: what the kernel buffers fills, then the server's writes wait
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    client.write(requests);
    await sleep(2_000);
    expect(service.exitStatus, `the service died:\n${service.stderr.slice(0, 600)}`).to.equal(undefined);
    const held = memoryOf(service.pid);
    const healthWhileHeld = await send(service.url, 'GET', '/healthz');

    // Each answer is checked as it arrives and then dropped: 300 MiB need not stay in the test's memory.
    const answers: { status: number; requestId?: string; right: boolean }[] = [];
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const [answer] = parseResponses(pending).responses;
        const end = answer ? answer.body.byteOffset - pending.byteOffset + answer.body.length : 0;
        if (!answer || end > pending.length || answer.body.length < Number(answer.headers['content-length']))
          break;
        const i = answers.length;
        answers.push({
          status: answer.status,
          requestId: answer.headers['x-request-id']?.[0],
          right: JSON.parse(answer.body.toString('utf8')).message === messageOf(i),
        });
        pending = pending.subarray(end);
      }
    });
    client.resume();
    await pollUntil(
      `${PIPELINED} answers`,
      () => answers.length >= PIPELINED || !!service.exitStatus,
      30_000,
    );

    console.log(
      `      RSS before ${before.rssMiB.toFixed(0)} MiB, peak while held ${held.peakRssMiB.toFixed(0)} MiB`,
    );
    expect(service.exitStatus, service.stderr.slice(0, 600)).to.equal(undefined);
    expect(healthWhileHeld.status).to.equal(200);
    // Measured: about 15 MiB at 8 in flight (the process dies of heap exhaustion without a limit).
    expect(held.peakRssMiB - before.rssMiB).to.be.below(40);
    expect(answers).to.have.length(PIPELINED);
    answers.forEach((answer, i) => {
      expect(answer, `answer ${i}`).to.deep.equal({ status: 200, requestId: `pipelined-${i}`, right: true });
    });
  });
});
