import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { type Reply, postJson, postMessage, send } from '../tools/client/http.js';
import { memoryOf, resetPeakRss } from './helpers/proc-memory.js';
import { ServiceProcess } from '../tools/stack/service-process.js';
import { testService } from './helpers/test-service.js';
import { expectedDigest } from '../tools/client/sha256.js';
import { useRedisServer } from './helpers/redis-fixtures.js';

// The default a pod runs with; the answer budget (LOOKUP_MAX_BYTES) is 4 MiB: four such messages.
const MAX_BODY_BYTES = 1024 * 1024;
// What one refused lookup may add to the process's peak RSS: the budget read, its JSON, V8's slack.
const MAX_RSS_GROWTH_MIB = 48;

/** The largest message a client can store: `{"message":"..."}` filling the body limit. */
function largest(tag: string): string {
  const length = MAX_BODY_BYTES - '{"message":""}'.length;
  return tag + 'x'.repeat(length - tag.length);
}

interface Measured {
  reply: Reply;
  health: Reply;
  rssGrowthMiB: number;
}

/** Looks the digests up once, and answers what came back, whether the process still serves, and its peak RSS. */
async function lookUp(service: ServiceProcess, digests: string[]): Promise<Measured> {
  const before = memoryOf(service.pid).rssMiB;
  resetPeakRss(service.pid);
  const reply = await postJson(service.url, '/digests/lookup', { digests }, {}, { timeoutMs: 20_000 }).catch(
    async (error: Error) => {
      await service.exited;
      const fatal = /^.*FATAL ERROR.*$/m.exec(service.stderr)?.[0] ?? service.stderr.slice(-1500);
      throw new Error(`${error.message}; the service exited: ${fatal}`);
    },
  );
  const health = await send(service.url, 'GET', '/healthz');
  const rssGrowthMiB = memoryOf(service.pid).peakRssMiB - before;
  console.log(
    `      ${digests.length} digests (${JSON.stringify({ digests }).length} bytes asked): ${reply.status}, ` +
      `${reply.text.length} bytes answered in ${reply.ms.toFixed(0)} ms, peak RSS +${rssGrowthMiB.toFixed(1)} MiB`,
  );
  return { reply, health, rssGrowthMiB };
}

function expectBoundedRefusal({ reply, health, rssGrowthMiB }: Measured, index: number): void {
  expect(reply.status).to.equal(422);
  expect(reply.json.index).to.equal(index);
  expect(reply.text.length).to.be.below(300);
  expect(health.status).to.equal(200);
  expect(rssGrowthMiB).to.be.below(MAX_RSS_GROWTH_MIB);
}

describe('lookups of large messages (the service process, with the production heap cap)', function () {
  this.timeout(60_000);

  describe('on the embedded store', () => {
    let service: ServiceProcess;
    before(async function () {
      this.timeout(40_000); // start-up compiles the TypeScript (see main.test.ts)
      service = await ServiceProcess.start(testService());
    });
    after(() => service.stop('SIGKILL'));

    it('when a 1 MiB message is looked up 200 times in one request, then a short 422 answers and the process serves on', async () => {
      const message = largest('repeated ');
      expect((await postMessage(service.url, message, { timeoutMs: 20_000 })).status).to.equal(201);

      const measured = await lookUp(service, new Array<string>(200).fill(expectedDigest(message)));

      // Four copies of a message of just under 1 MiB fit in 4 MiB; the fifth does not.
      expectBoundedRefusal(measured, 4);
    });

    it('when a 1 MiB message is looked up alone, then it is answered in full', async () => {
      const message = largest('alone ');
      await postMessage(service.url, message, { timeoutMs: 20_000 });

      const { reply } = await lookUp(service, [expectedDigest(message)]);

      expect(reply.status).to.equal(200);
      expect(reply.json.results[0].message).to.equal(message);
    });
  });

  describe('on Redis', () => {
    const prefix = 'lookup-budget:';
    const redis = useRedisServer({ args: ['--appendonly', 'no'] });
    let service: ServiceProcess;
    let messages: string[] = [];
    let digests: string[] = [];
    before(async () => {
      const server = redis.server();
      messages = Array.from({ length: 150 }, (_, i) => largest(`distinct ${i} `));
      // node:crypto rather than the tests' own SHA-256, which takes seconds for 150 MiB; these digests are only
      // keys here (the round trip of digests is tested elsewhere).
      digests = messages.map((m) => createHash('sha256').update(m).digest('hex'));
      service = await ServiceProcess.start(testService({ REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix }));
      // Written straight into Redis: 150 POSTs of 1 MiB would only slow the test down.
      const client = new Redis(server.port, '127.0.0.1');
      try {
        const pipeline = client.pipeline();
        messages.forEach((message, i) => pipeline.set(prefix + digests[i], message));
        await pipeline.exec();
      } finally {
        client.disconnect();
      }
    });
    after(async () => {
      await service?.stop('SIGKILL');
    });

    it('when 150 distinct 1 MiB messages are looked up in one request, then a short 422 answers and the process serves on', async () => {
      const measured = await lookUp(service, digests);

      expectBoundedRefusal(measured, 4);
    });

    it('when the same lookup comes again and again, then each costs the same and the process serves on', async () => {
      for (let round = 0; round < 5; round++) expectBoundedRefusal(await lookUp(service, digests), 4);
    });

    it('when the four that fit are looked up, then they are answered in full', async () => {
      const { reply } = await lookUp(service, digests.slice(0, 4));

      expect(reply.status).to.equal(200);
      expect(reply.json.results.map((r: { message: string }) => r.message)).to.deep.equal(
        messages.slice(0, 4),
      );
    });
  });
});
