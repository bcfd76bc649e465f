import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { createLogger } from '../service/logger.js';
import { createMetrics } from '../service/metrics.js';
import { loadConfig } from '../service/config.js';
import { createRedisStore } from '../service/store/redis-store.js';
import { RedisServer } from '../tools/stack/redis-server.js';

// Redis used_memory per stored message (issue 15 item 5), old layout against buckets, on a redis-server of its
// own without persistence: `npm run bench:redis-memory [count]`.
const COUNT = Number(process.argv[2] ?? 1_000_000);
const SIZES = [16, 30, 100, 1000];
const BATCH = 1000;
const PREFIX = 'shaservice:';

type Entry = [digest: string, message: string];
type Writer = (entries: Entry[]) => Promise<void>;

/** The n-th message of a size: distinct, that many bytes. */
const messageOf = (size: number, n: number) => `${n}:`.padEnd(size, 'x');
const digestOf = (message: string) => createHash('sha256').update(message, 'utf8').digest('hex');

async function usedMemory(client: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
}

/** How the service stored messages before buckets: SET NX at `<prefix><digest>`, a batch per script. */
function oldLayout(client: Redis): Writer {
  const script = `for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'NX') end return #KEYS`;
  return async (entries) => {
    await client.eval(
      script,
      entries.length,
      ...entries.map(([d]) => PREFIX + d),
      ...entries.map(([, m]) => m),
    );
  };
}

/** The service's own store, as a POST /messages/batch would write. */
function buckets(url: string, bits: number): { write: Writer; close: () => Promise<void> } {
  const config = loadConfig({
    REDIS_URL: url,
    REDIS_BUCKET_BITS: String(bits),
    REDIS_COMMAND_TIMEOUT_MS: '10000',
  });
  if (!config.redis) throw new Error('no Redis configured');
  const store = createRedisStore({
    ...config.redis,
    logger: createLogger('silent'),
    metrics: createMetrics(),
  });
  // The client connects when told to, and fails fast until it has: wait for its first answer.
  const ready = (async () => {
    await store.connect?.();
    for (;;)
      if (
        await store.ping().then(
          () => true,
          () => false,
        )
      )
        return;
  })();
  return { write: async (entries) => ready.then(() => store.putMany(entries)), close: () => store.close() };
}

async function bytesPerMessage(client: Redis, size: number, write: Writer): Promise<number> {
  await client.flushall();
  const empty = await usedMemory(client);
  for (let start = 0; start < COUNT; start += BATCH * 8) {
    const batches: Entry[][] = [];
    for (let b = start; b < Math.min(COUNT, start + BATCH * 8); b += BATCH) {
      const batch: Entry[] = [];
      for (let n = b; n < Math.min(COUNT, b + BATCH); n += 1) {
        const message = messageOf(size, n);
        batch.push([digestOf(message), message]);
      }
      batches.push(batch);
    }
    await Promise.all(batches.map(write));
  }
  return ((await usedMemory(client)) - empty) / COUNT;
}

const server = await RedisServer.start(['--appendonly', 'no']);
const client = new Redis(server.url);
try {
  const bits = Math.max(8, Math.ceil(Math.log2(COUNT / 64)));
  const rows: string[] = [];
  for (const size of SIZES) {
    const started = performance.now();
    const old = await bytesPerMessage(client, size, oldLayout(client));
    const store = buckets(server.url, bits);
    const fresh = await bytesPerMessage(client, size, store.write);
    await store.close();
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    rows.push(`| ${size} | ${old.toFixed(1)} | ${fresh.toFixed(1)} | ${seconds} s |`);
    console.error(rows.at(-1));
  }
  console.log(
    `Redis used_memory per message, ${COUNT} messages, buckets of ${bits} bits (${(COUNT / 2 ** bits).toFixed(0)} per bucket)\n`,
  );
  console.log('| message bytes | old layout (B) | buckets (B) | time |');
  console.log('| ---: | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
} finally {
  client.disconnect();
  await server.destroy();
}
