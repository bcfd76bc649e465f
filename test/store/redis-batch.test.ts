import { expect } from 'chai';
import type { TestApp } from '../helpers/app.js';
import { postJson } from '../../tools/client/http.js';
import { startRedisApp, uniquePrefix } from '../helpers/redis-app.js';
import { useRedisCluster, useRedisServer } from '../helpers/redis-fixtures.js';
import { ask } from '../helpers/redis-topologies.js';
import { keysOf, storedBytes } from '../helpers/stored-message.js';
import { expectedDigest } from '../../tools/client/sha256.js';

const COUNT = 200;
const messages = Array.from({ length: COUNT }, (_, i) => `batch item ${i} ${'é'.repeat(i % 7)}`);

/**
 * How many times the node read from its sockets. A pipelined batch arrives in a few reads (Redis reads up to
 * 16 KiB at a time); item by item it would be at least one read per item.
 */
async function readsProcessed(port: number): Promise<number> {
  const info = String(await ask(port, 'INFO', 'stats'));
  return Number(/total_reads_processed:(\d+)/.exec(info)?.[1]);
}

async function readsDuring(ports: number[], act: () => Promise<unknown>): Promise<number[]> {
  const before = await Promise.all(ports.map(readsProcessed));
  await act();
  const after = await Promise.all(ports.map(readsProcessed));
  // Each INFO asked above is itself one read on its node.
  return after.map((count, i) => count - before[i]! - 1);
}

async function expectRoundTrip(app: TestApp): Promise<void> {
  const stored = await postJson(app.url, '/messages/batch', { messages });
  expect(stored.status).to.equal(201);
  expect(stored.json.digests).to.deep.equal(messages.map((m) => expectedDigest(m)));

  const looked = await postJson(app.url, '/digests/lookup', { digests: stored.json.digests });
  expect(looked.json.results.map((r: { message: string }) => r.message)).to.deep.equal(messages);
}

describe('batches on Redis', function () {
  this.timeout(60_000);

  describe('standalone', () => {
    const standalone = useRedisServer({ app: { CACHE_MAX_BYTES: '0' } });

    it(`when ${COUNT} messages are posted and looked up in batches, then all round-trip exactly`, async () => {
      await expectRoundTrip(standalone.app());
    });

    it('when a batch is posted or looked up, then Redis reads it as one pipeline, not item by item', async () => {
      const batch = messages.map((m) => `${m} again`);
      const [posting] = await readsDuring([standalone.server().port], () =>
        postJson(standalone.app().url, '/messages/batch', { messages: batch }),
      );
      const digests = batch.map((m) => expectedDigest(m));
      const [looking] = await readsDuring([standalone.server().port], () =>
        postJson(standalone.app().url, '/digests/lookup', { digests }),
      );

      expect(posting).to.be.at.most(COUNT / 20);
      expect(looking).to.be.at.most(COUNT / 20);
    });

    it('when a key of a batch already holds another value, then it is left unchanged and the rest stored', async () => {
      const prefix = uniquePrefix();
      const app = await startRedisApp(standalone.server(), {
        REDIS_KEY_PREFIX: prefix,
        CACHE_MAX_BYTES: '0',
      });
      const batch = ['first of three', 'second of three', 'third of three'];
      const taken = keysOf(prefix, expectedDigest(batch[1]!));
      await ask(
        standalone.server().port,
        'HSET',
        taken.bucket,
        taken.field,
        'written before, by someone else',
      );
      try {
        const stored = await postJson(app.url, '/messages/batch', { messages: batch });

        expect(stored.status).to.equal(201);
        expect(await ask(standalone.server().port, 'HGET', taken.bucket, taken.field)).to.equal(
          'written before, by someone else',
        );
        for (const message of [batch[0]!, batch[2]!]) {
          const stored = await storedBytes(standalone.server().url, prefix, expectedDigest(message));
          expect(stored?.toString('utf8')).to.equal(message);
        }
      } finally {
        await app.close();
      }
    });
  });

  describe('Cluster', () => {
    const { cluster, app } = useRedisCluster({ app: { CACHE_MAX_BYTES: '0' } });

    it(`when ${COUNT} messages spread over all shards are batched, then all round-trip exactly`, async () => {
      await expectRoundTrip(app());
    });

    it('when a batch spans every shard, then each primary reads its part as one pipeline', async () => {
      const primaries = (await cluster().topology())
        .filter((node) => node.role === 'master')
        .map((n) => n.port);
      const batch = messages.map((m) => `${m} sharded`);

      const reads = await readsDuring(primaries, () =>
        postJson(app().url, '/messages/batch', { messages: batch }),
      );

      expect(reads).to.have.length(3);
      for (const count of reads) expect(count).to.be.within(1, COUNT / 20);
    });
  });
});
