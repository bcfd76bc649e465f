import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { type TestApp, metricValue } from '../helpers/app.js';
import { type Reply, getMessage, postMessage, send } from '../../tools/client/http.js';
import { runLoad } from '../../tools/client/load.js';
import { pollUntilReady, readiness, startRedisApp, uniquePrefix } from '../helpers/redis-app.js';
import { useRedisServer } from '../helpers/redis-fixtures.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { RedisServer } from '../../tools/stack/redis-server.js';
import { requireRedisServer } from '../helpers/require-command.js';
import { ServiceProcess } from '../../tools/stack/service-process.js';
import { testService } from '../helpers/test-service.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { keysOf, storedBytes } from '../helpers/stored-message.js';

// "Within about a second" from the issue, with room for a loaded two-core machine.
const FAIL_FAST_MS = 1500;

const apps: TestApp[] = [];
const services: ServiceProcess[] = [];

/** startRedisApp, remembering the app so afterEach closes it whatever the test did. */
async function startTracked(server: RedisServer, env: Record<string, string> = {}): Promise<TestApp> {
  const app = await startRedisApp(server, env);
  apps.push(app);
  return app;
}

/** The raw bytes under a key, read by a client of the test's own (not through the service). */
async function readKey(server: RedisServer, key: string | Buffer): Promise<Buffer | null> {
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return await client.getBuffer(key);
  } finally {
    client.disconnect();
  }
}

async function readField(server: RedisServer, key: string, field: Buffer): Promise<Buffer | null> {
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    return await client.hgetBuffer(key, field);
  } finally {
    client.disconnect();
  }
}

async function writeField(server: RedisServer, key: string, field: Buffer, value: string): Promise<void> {
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    await client.hset(key, field, value);
  } finally {
    client.disconnect();
  }
}

async function writeKey(server: RedisServer, key: string, value: string): Promise<void> {
  const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    await client.set(key, value);
  } finally {
    client.disconnect();
  }
}

function expectUnavailable(reply: Reply, boundMs: number): void {
  expect(reply.status, reply.text).to.equal(503);
  expect(reply.headers['retry-after']).to.match(/^\d+$/);
  expect(reply.json?.err_msg).to.be.a('string').and.not.equal('');
  expect(reply.ms).to.be.below(boundMs);
}

function storeCalls(app: TestApp, operation: string): Promise<number> {
  // The +Inf bucket of the latency histogram counts every operation, failed ones included.
  return metricValue(app.metrics, 'shaservice_store_operation_duration_seconds', { operation, le: '+Inf' });
}

function storeErrors(app: TestApp, operation: string): Promise<number> {
  return metricValue(app.metrics, 'shaservice_store_errors_total', { operation });
}

describe('Redis store', function () {
  before(function () {
    requireRedisServer(this);
  });

  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(services.splice(0).map((service) => service.stop('SIGKILL')));
  });

  describe('on a running Redis', () => {
    const { server } = useRedisServer();

    it('when a short message is posted, then its bucket holds its exact bytes at its digest’s bytes', async () => {
      const prefix = uniquePrefix();
      const app = await startTracked(server(), { REDIS_KEY_PREFIX: prefix });
      const message = `round trip é漢字🎉 ${randomUUID()}`;
      const digest = expectedDigest(message);

      const reply = await postMessage(app.url, message);

      expect(reply.status, reply.text).to.equal(201);
      expect(reply.json).to.deep.equal({ digest });
      const { bucket, field } = keysOf(prefix, digest);
      expect(await readField(server(), bucket, field)).to.deep.equal(Buffer.from(message, 'utf8'));
      expect(await readKey(server(), `${prefix}${digest}`)).to.equal(null);
    });

    it('when a message longer than 64 bytes is posted, then it has a key of its own beside its bucket', async () => {
      const prefix = uniquePrefix();
      const app = await startTracked(server(), { REDIS_KEY_PREFIX: prefix });
      const message = `long é漢字🎉 ${'x'.repeat(60)} ${randomUUID()}`;
      const digest = expectedDigest(message);

      expect((await postMessage(app.url, message)).status).to.equal(201);

      const { bucket, long, field } = keysOf(prefix, digest);
      expect(await readKey(server(), long)).to.deep.equal(Buffer.from(message, 'utf8'));
      expect(await readField(server(), bucket, field)).to.equal(null);
    });

    it('when a digest is read back with the cache off, then GET answers the message from Redis', async () => {
      const app = await startTracked(server(), { CACHE_MAX_BYTES: '0' });
      const message = `read back ${randomUUID()}`;
      const digest = expectedDigest(message);
      expect((await postMessage(app.url, message)).status).to.equal(201);

      const reply = await getMessage(app.url, digest);

      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ message });
      expect(await storeCalls(app, 'get')).to.equal(1);
    });

    it('when the digest is asked in upper case, then GET answers the message', async () => {
      const app = await startTracked(server(), { CACHE_MAX_BYTES: '0' });
      const message = `upper case ${randomUUID()}`;
      expect((await postMessage(app.url, message)).status).to.equal(201);

      const reply = await getMessage(app.url, expectedDigest(message).toUpperCase());

      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ message });
    });

    it('when the digest was never stored, then GET answers 404 with err_msg', async () => {
      const app = await startTracked(server());

      const reply = await getMessage(app.url, expectedDigest(`never posted ${randomUUID()}`));

      expect(reply.status, reply.text).to.equal(404);
      expect(reply.json).to.deep.equal({ err_msg: 'Message not found' });
    });

    it('when two apps use different key prefixes, then neither sees the other one’s messages', async () => {
      const first = await startTracked(server(), { CACHE_MAX_BYTES: '0' });
      const second = await startTracked(server(), { CACHE_MAX_BYTES: '0' });
      const message = `prefixed ${randomUUID()}`;
      expect((await postMessage(first.url, message)).status).to.equal(201);

      const reply = await getMessage(second.url, expectedDigest(message));

      expect(reply.status, reply.text).to.equal(404);
    });

    it('when the field already holds another value, then a POST leaves it unchanged (HSETNX)', async () => {
      const prefix = uniquePrefix();
      const app = await startTracked(server(), { REDIS_KEY_PREFIX: prefix });
      const message = `set nx ${randomUUID()}`;
      const { bucket, field } = keysOf(prefix, expectedDigest(message));
      await writeField(server(), bucket, field, 'written before, by someone else');

      await postMessage(app.url, message);

      expect(await readField(server(), bucket, field)).to.deep.equal(
        Buffer.from('written before, by someone else'),
      );
    });

    it('when the same message is posted twice, then both answer the same digest and one key holds it', async () => {
      const prefix = uniquePrefix();
      const app = await startTracked(server(), { REDIS_KEY_PREFIX: prefix });
      const message = `twice ${randomUUID()}`;
      const digest = expectedDigest(message);

      const first = await postMessage(app.url, message);
      const second = await postMessage(app.url, message);

      expect([first.status, second.status]).to.deep.equal([201, 201]);
      expect([first.json, second.json]).to.deep.equal([{ digest }, { digest }]);
      expect(await storedBytes(server().url, prefix, digest)).to.deep.equal(Buffer.from(message));
    });

    it('when the cache is on and a message is read twice, then Redis is asked once', async () => {
      const prefix = uniquePrefix();
      const app = await startTracked(server(), { REDIS_KEY_PREFIX: prefix });
      // Written behind the app's back, so the first read cannot come from the POST's write-through.
      const message = `cached ${randomUUID()}`;
      const digest = expectedDigest(message);
      await writeKey(server(), `${prefix}${digest}`, message);

      const first = await getMessage(app.url, digest);
      const second = await getMessage(app.url, digest);

      expect([first.status, second.status]).to.deep.equal([200, 200]);
      expect(second.json).to.deep.equal({ message });
      expect(await storeCalls(app, 'get')).to.equal(1);
      expect(await metricValue(app.metrics, 'shaservice_cache_hits_total')).to.equal(1);
      expect(await metricValue(app.metrics, 'shaservice_cache_misses_total')).to.equal(1);
    });

    it('when the cache is off (CACHE_MAX_BYTES=0), then every read goes to Redis', async () => {
      const app = await startTracked(server(), { CACHE_MAX_BYTES: '0' });
      const message = `uncached ${randomUUID()}`;
      const digest = expectedDigest(message);
      expect((await postMessage(app.url, message)).status).to.equal(201);

      const first = await getMessage(app.url, digest);
      const second = await getMessage(app.url, digest);

      expect([first.status, second.status]).to.deep.equal([200, 200]);
      expect(await storeCalls(app, 'get')).to.equal(2);
      expect(await metricValue(app.metrics, 'shaservice_cache_hits_total')).to.equal(0);
    });
  });

  describe('when Redis is killed', () => {
    const { server } = useRedisServer({ each: true });

    it('then POST, GET and readiness answer 503 with Retry-After at once, and errors are counted', async () => {
      // A command timeout far above the bound: only failing at once while disconnected can meet it.
      const app = await startTracked(server(), { REDIS_COMMAND_TIMEOUT_MS: '5000', CACHE_MAX_BYTES: '0' });
      await server().stop('SIGKILL');

      const post = await postMessage(app.url, `while killed ${randomUUID()}`);
      const get = await getMessage(app.url, expectedDigest(`unknown ${randomUUID()}`));
      const ready = await readiness(app);

      expectUnavailable(post, FAIL_FAST_MS);
      expectUnavailable(get, FAIL_FAST_MS);
      expectUnavailable(ready, FAIL_FAST_MS);
      expect(await storeErrors(app, 'put')).to.equal(1);
      expect(await storeErrors(app, 'get')).to.equal(1);
      expect(await storeErrors(app, 'ping')).to.be.at.least(1);
    });

    it('then, once Redis is back on the same port, the same app is ready and stores again', async () => {
      const prefix = uniquePrefix();
      const app = await startTracked(server(), { REDIS_KEY_PREFIX: prefix });
      await server().stop('SIGKILL');
      expect((await postMessage(app.url, `while killed ${randomUUID()}`)).status).to.equal(503);

      await server().startProcess();
      await pollUntilReady(app);
      const message = `after restart ${randomUUID()}`;
      const reply = await postMessage(app.url, message);

      expect(reply.status, reply.text).to.equal(201);
      expect(await storedBytes(server().url, prefix, expectedDigest(message))).to.deep.equal(
        Buffer.from(message),
      );
    });

    it('then a message already in the cache is still served 200 (digests never change)', async () => {
      const app = await startTracked(server());
      const message = `cached before the kill ${randomUUID()}`;
      expect((await postMessage(app.url, message)).status).to.equal(201);
      // The cache fills on reads: a write alone leaves its room to the messages being read.
      expect((await getMessage(app.url, expectedDigest(message))).status).to.equal(200);
      await server().stop('SIGKILL');

      const reply = await getMessage(app.url, expectedDigest(message));

      expect(reply.status, reply.text).to.equal(200);
      expect(reply.json).to.deep.equal({ message });
    });
  });

  describe('when Redis hangs (SIGSTOP: port open, no answers)', () => {
    const COMMAND_TIMEOUT_MS = 300;
    const { server } = useRedisServer({ each: true });

    it('then requests answer 503 once the command timeout passes, and recover after SIGCONT', async () => {
      const app = await startTracked(server(), {
        REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
        CACHE_MAX_BYTES: '0',
      });
      const bound = COMMAND_TIMEOUT_MS + 700;
      server().pause();

      const post = await postMessage(app.url, `while hung ${randomUUID()}`);
      const get = await getMessage(app.url, expectedDigest(`unknown ${randomUUID()}`));
      const ready = await readiness(app);
      server().resume();

      expectUnavailable(post, bound);
      expectUnavailable(get, bound);
      expectUnavailable(ready, bound);
      await pollUntilReady(app);
      const message = `after SIGCONT ${randomUUID()}`;
      expect((await postMessage(app.url, message)).status).to.equal(201);
      expect((await getMessage(app.url, expectedDigest(message))).json).to.deep.equal({ message });
    });

    it('then, under load from 50 clients, every 503 comes within the command timeout plus 300 ms', async function () {
      // A cold tsx start of the service took over 15 s on a busy CI machine; the load itself takes 3 s.
      this.timeout(60_000);
      const commandTimeoutMs = 500;
      // The slowest 503 took 27 to 210 ms beyond the timeout over 11 runs on a shared two-core machine (load
      // average 5 to 7): scheduling of the service and of this client. Before the fix: 1000 to 1033 ms.
      const marginMs = 300;
      const service = await ServiceProcess.start(
        testService({
          REDIS_URL: server().url,
          REDIS_COMMAND_TIMEOUT_MS: String(commandTimeoutMs),
          CACHE_MAX_BYTES: '0',
          LOG_LEVEL: 'warn',
        }),
      );
      services.push(service);
      await pollUntil('readiness', async () => (await send(service.url, 'GET', '/readyz')).status === 200);

      const loading = runLoad(service.url, { durationMs: 3000, concurrency: 50 });
      await sleep(1000);
      server().pause();
      const { samples } = await loading;
      server().resume();

      const unexpected = samples.filter((s) => ![200, 201, 503].includes(s.status));
      const unavailable = samples.filter((s) => s.status === 503).map((s) => Math.round(s.ms));
      expect(unexpected, 'answers other than 200, 201 and 503').to.deep.equal([]);
      // Two seconds hung: each client waits through several timeouts in a row.
      expect(unavailable.length).to.be.at.least(100);
      expect(Math.max(...unavailable), `503 latencies: ${unavailable.sort((a, b) => b - a)}`).to.be.at.most(
        commandTimeoutMs + marginMs,
      );
    });
  });

  describe('when Redis is full (maxmemory reached, noeviction)', () => {
    const { server } = useRedisServer();

    it('then POST answers 503 with Retry-After, stored messages still read, and writes resume once it has room', async () => {
      const app = await startTracked(server(), { CACHE_MAX_BYTES: '0' });
      const stored = `stored before full ${randomUUID()}`;
      expect((await postMessage(app.url, stored)).status).to.equal(201);
      const refused = `refused while full ${randomUUID()}`;
      server().cli('CONFIG', 'SET', 'maxmemory', '1');

      const whileFull = await postMessage(app.url, refused);
      const read = await getMessage(app.url, expectedDigest(stored));
      server().cli('CONFIG', 'SET', 'maxmemory', '0');
      const afterRoom = await postMessage(app.url, refused);

      expectUnavailable(whileFull, FAIL_FAST_MS);
      expect(read.json).to.deep.equal({ message: stored });
      expect(afterRoom.status, afterRoom.text).to.equal(201);
    });

    it('when clients fill it, then /readyz stays 200 and says why writes are refused, POST answers 503 and reads go on', async () => {
      const full = await RedisServer.start(['--maxmemory', '2mb', '--maxmemory-policy', 'noeviction']);
      try {
        const app = await startTracked(full, { CACHE_MAX_BYTES: '0' });
        const stored = `stored before full ${randomUUID()}`;
        expect((await postMessage(app.url, stored)).status).to.equal(201);

        // Messages well below 32 KiB: Redis frees a connection's larger read buffer a moment after a large
        // command, which can take it back under maxmemory and make "full" come and go.
        let refused: Reply | undefined;
        for (let i = 0; i < 1000 && refused === undefined; i++) {
          const reply = await postMessage(app.url, `${i} ${randomUUID()} ${'x'.repeat(8 * 1024)}`);
          if (reply.status !== 201) refused = reply;
        }
        const read = await getMessage(app.url, expectedDigest(stored));
        const ready = await readiness(app);
        full.cli('CONFIG', 'SET', 'maxmemory', '0');
        const readyAgain = await readiness(app);

        expect(refused, 'no POST was refused: Redis never filled').not.to.equal(undefined);
        expectUnavailable(refused!, FAIL_FAST_MS);
        expect(read.json).to.deep.equal({ message: stored });
        // Every replica shares this Redis: unready, they would all stop serving reads too.
        expect(ready.status, ready.text).to.equal(200);
        expect(ready.json.writesRefused).to.match(/^Redis refuses writes: OOM /);
        expect(readyAgain.json).to.deep.equal({ status: 'ready' });
      } finally {
        await full.destroy();
      }
    });
  });

  describe('when Redis restarts with AOF', () => {
    const { server } = useRedisServer();

    it('then every acknowledged message is still there, byte for byte', async () => {
      const prefix = uniquePrefix();
      const writer = await startTracked(server(), { REDIS_KEY_PREFIX: prefix });
      const messages = Array.from({ length: 200 }, (_, i) => `aof ${i} ${randomUUID()} é🎉`);
      const posts = await Promise.all(messages.map((message) => postMessage(writer.url, message)));
      expect(posts.map((p) => p.status)).to.deep.equal(messages.map(() => 201));

      await server().stop('SIGTERM');
      await server().startProcess();
      // A fresh app with no cache, so every answer comes from what Redis reloaded.
      const reader = await startTracked(server(), { REDIS_KEY_PREFIX: prefix, CACHE_MAX_BYTES: '0' });
      const gets = await Promise.all(
        messages.map((message) => getMessage(reader.url, expectedDigest(message))),
      );

      expect(gets.map((g) => g.json?.message)).to.deep.equal(messages);
    });
  });
});
