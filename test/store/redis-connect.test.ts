import { expect } from 'chai';
import { type AddressInfo, type Socket, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../service/config.js';
import { createLogger } from '../../service/logger.js';
import { createMetrics } from '../../service/metrics.js';
import { createRedisStore } from '../../service/store/redis-store.js';

/**
 * main.ts builds the app, then calls the store's connect(): building the app blocks the event loop for about
 * half a second (compiling openapi.yaml's validators), and a Redis reply that arrived meanwhile was read after
 * the command timeout, so every other start logged "redis connection failed" (3 of 6 starts of dist/main.js
 * here). So the store must not connect before it is told to, whatever the topology; and since main.ts listens only
 * once the first try has ended, that try must end even against a Redis that never answers. What listens is a
 * plain TCP server that accepts, counts and never answers, as a frozen Redis does.
 */
const CONNECT_TIMEOUT_MS = 1_000;
const COMMAND_TIMEOUT_MS = 500;
// A connection's time and a call's (in a Cluster a call's includes a connection's), with room for a loaded machine.
const SETTLED_WITHIN_MS = 2 * CONNECT_TIMEOUT_MS + COMMAND_TIMEOUT_MS + 1_000;

describe('Redis store connection', () => {
  for (const [topology, settings] of [
    ['a single Redis', (port: number) => ({ REDIS_URL: `redis://127.0.0.1:${port}` })],
    [
      'Sentinel',
      (port: number) => ({ REDIS_SENTINELS: `127.0.0.1:${port}`, REDIS_SENTINEL_MASTER: 'mymaster' }),
    ],
    ['Cluster', (port: number) => ({ REDIS_CLUSTER_NODES: `127.0.0.1:${port}` })],
  ] as const) {
    it(`when the store is made for ${topology}, then it opens no connection until connect() is called, whose first try ends within the timeouts though nothing answers`, async () => {
      const sockets: Socket[] = [];
      const listener = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      const { port } = listener.address() as AddressInfo;
      const redis = loadConfig({
        ...settings(port),
        REDIS_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
        REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      }).redis!;
      const store = createRedisStore({ ...redis, logger: createLogger('silent'), metrics: createMetrics() });
      try {
        await sleep(300);
        const before = sockets.length;

        const started = performance.now();
        await store.connect!();
        const settledMs = performance.now() - started;

        expect(before, 'connections before connect()').to.equal(0);
        expect(sockets.length, 'connections once connect() has settled').to.be.above(0);
        // What listens never answers, as a frozen Redis: the first try must still end, bounded by the timeouts.
        expect(settledMs, 'ms for connect() to settle').to.be.below(SETTLED_WITHIN_MS);
      } finally {
        await store.close();
        sockets.forEach((socket) => socket.destroy());
        listener.close();
      }
    });
  }
});
