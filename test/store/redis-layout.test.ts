import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { Cluster, Redis } from 'ioredis';
import { type TestApp, metricValue } from '../helpers/app.js';
import { getMessage, postJson, postMessage } from '../../tools/client/http.js';
import { openRedisApp, readiness, startRedisApp, uniquePrefix } from '../helpers/redis-app.js';
import { useRedisCluster, useRedisServer } from '../helpers/redis-fixtures.js';
import { keysOf, storedBytes } from '../helpers/stored-message.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { pollUntil } from '../../tools/stack/poll.js';

// Short and long, with what UTF-8 makes of unusual text: every one must come back byte for byte.
const OLD_MESSAGES = [
  '',
  `old short ${randomUUID()}`,
  `old odd \u0000 \u{10FFFF} \uFEFF e\u0301 👩‍👩‍👧 ${randomUUID()}`,
  `old long ${'漢字'.repeat(200)} ${randomUUID()}`,
];

/** Stores messages as versions before buckets did, a string at `<prefix><digest>`, with a client of the test's own. */
async function storeOldLayout(client: Redis | Cluster, prefix: string, messages: string[]): Promise<void> {
  for (const message of messages) await client.set(`${prefix}${expectedDigest(message)}`, message);
}

const apps: TestApp[] = [];
async function track(app: Promise<TestApp>): Promise<TestApp> {
  apps.push(await app);
  return apps.at(-1) as TestApp;
}

describe('Redis key layout', () => {
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  describe('on a single Redis', () => {
    const { server } = useRedisServer();
    let client: Redis;
    beforeEach(async () => {
      client = new Redis(server().url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      await client.connect();
    });
    afterEach(() => client.disconnect());

    it('when messages were stored in the old layout, then GET and the lookup answer them exactly', async () => {
      const prefix = uniquePrefix();
      await storeOldLayout(client, prefix, OLD_MESSAGES);
      const app = await track(startRedisApp(server(), { REDIS_KEY_PREFIX: prefix, CACHE_MAX_BYTES: '0' }));

      for (const message of OLD_MESSAGES) {
        const reply = await getMessage(app.url, expectedDigest(message));
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.json).to.deep.equal({ message });
      }
      const digests = OLD_MESSAGES.map(expectedDigest);
      const lookup = await postJson(app.url, '/digests/lookup', { digests });

      expect(lookup.status, lookup.text).to.equal(200);
      expect(JSON.stringify(lookup.json)).to.include(JSON.stringify(OLD_MESSAGES[2]));
      expect(
        await metricValue(app.metrics, 'shaservice_store_operation_duration_seconds', {
          operation: 'get',
          le: '+Inf',
        }),
      ).to.equal(OLD_MESSAGES.length);
    });

    it('when a message stored in the old layout is posted again, then it answers 201 with the same digest and the message reads back', async () => {
      const prefix = uniquePrefix();
      const message = OLD_MESSAGES[1]!;
      await storeOldLayout(client, prefix, [message]);
      const app = await track(startRedisApp(server(), { REDIS_KEY_PREFIX: prefix, CACHE_MAX_BYTES: '0' }));

      const reply = await postMessage(app.url, message);

      expect(reply.status, reply.text).to.equal(201);
      expect(reply.json).to.deep.equal({ digest: expectedDigest(message) });
      expect((await getMessage(app.url, expectedDigest(message))).json).to.deep.equal({ message });
      // The copy in the new layout holds the same bytes: either one answers the same.
      expect(await storedBytes(server().url, prefix, expectedDigest(message))).to.deep.equal(
        Buffer.from(message),
      );
    });

    it('when a store was filled with other bucket bits, then the service answers 503 and is not ready', async () => {
      const prefix = uniquePrefix();
      const first = await track(startRedisApp(server(), { REDIS_KEY_PREFIX: prefix }));
      const stored = `layout ${randomUUID()}`;
      expect((await postMessage(first.url, stored)).status).to.equal(201);

      const other = await track(
        openRedisApp(server(), { REDIS_KEY_PREFIX: prefix, REDIS_BUCKET_BITS: '12' }),
      );
      const post = await postMessage(other.url, `other layout ${randomUUID()}`);
      const ready = await readiness(other);

      expect(post.status, post.text).to.equal(503);
      expect(ready.status).to.equal(503);
      // Never a 404 for a message that is stored, only where this setting would not look.
      expect((await getMessage(other.url, expectedDigest(stored))).status).to.equal(503);
    });

    it('when Redis comes back without the layout record (restarted empty), then the service records it again before writing', async () => {
      const prefix = uniquePrefix();
      const app = await track(startRedisApp(server(), { REDIS_KEY_PREFIX: prefix }));
      expect((await postMessage(app.url, `before ${randomUUID()}`)).status).to.equal(201);
      expect(await client.get(`${prefix}layout`)).to.equal('buckets:16');

      // What a Redis without persistence holds after a restart: none of it, the record included.
      await client.del(`${prefix}layout`);
      await server().stop('SIGKILL');
      await server().startProcess();
      await client.connect().catch(() => undefined);
      await pollUntil(
        'the service to be ready again',
        async () => (await readiness(app)).status === 200,
        10_000,
        100,
      );
      expect((await postMessage(app.url, `after ${randomUUID()}`)).status).to.equal(201);

      expect(await client.get(`${prefix}layout`)).to.equal('buckets:16');
      const other = await track(
        openRedisApp(server(), { REDIS_KEY_PREFIX: prefix, REDIS_BUCKET_BITS: '12' }),
      );
      expect((await postMessage(other.url, `other ${randomUUID()}`)).status).to.equal(503);
    });

    it('when 300 short messages fill one bucket setting of 8 bits, then the buckets stay listpacks', async () => {
      const prefix = uniquePrefix();
      const app = await track(startRedisApp(server(), { REDIS_KEY_PREFIX: prefix, REDIS_BUCKET_BITS: '8' }));
      const messages = Array.from({ length: 300 }, (_, i) => `short ${i} ${randomUUID()}`);
      messages.push(`long ${'x'.repeat(100)}`);

      expect((await postJson(app.url, '/messages/batch', { messages })).status).to.equal(201);

      const bucket = keysOf(prefix, expectedDigest(messages[0]!), 8).bucket;
      expect(await client.object('ENCODING', bucket)).to.equal('listpack');
    });
  });

  describe('on a Cluster', () => {
    const { cluster } = useRedisCluster();

    it('when messages were stored in the old layout on other slots, then GET and the lookup find them', async () => {
      const env = cluster().env;
      const prefix = uniquePrefix();
      const nodes = (env.REDIS_CLUSTER_NODES ?? '').split(',').map((node) => {
        const [host, port] = node.split(':');
        return { host: host!, port: Number(port) };
      });
      const client = new Cluster(nodes, { lazyConnect: true });
      try {
        await client.connect();
        await storeOldLayout(client, prefix, OLD_MESSAGES);
      } finally {
        client.disconnect();
      }
      const app = await track(startRedisApp(env, { REDIS_KEY_PREFIX: prefix, CACHE_MAX_BYTES: '0' }));
      const fresh = `new ${randomUUID()}`;
      expect((await postMessage(app.url, fresh)).status).to.equal(201);

      for (const message of OLD_MESSAGES) {
        expect((await getMessage(app.url, expectedDigest(message))).json).to.deep.equal({ message });
      }
      const digests = [...OLD_MESSAGES, fresh].map(expectedDigest);
      const lookup = await postJson(app.url, '/digests/lookup', {
        digests: [...digests, expectedDigest('none')],
      });
      expect(lookup.status, lookup.text).to.equal(200);
      for (const message of [...OLD_MESSAGES, fresh]) expect(lookup.text).to.include(JSON.stringify(message));
    });
  });
});
