import { expect } from 'chai';
import type { TestApp } from '../helpers/app.js';
import { postJson } from '../../tools/client/http.js';
import { useRedisCluster, useRedisServer } from '../helpers/redis-fixtures.js';
import { ask } from '../helpers/redis-topologies.js';
import { expectedDigest } from '../../tools/client/sha256.js';

const LOOKUP_MAX_BYTES = 65_536;
const settings = {
  CACHE_MAX_BYTES: '0',
  MAX_BODY_BYTES: String(LOOKUP_MAX_BYTES),
  LOOKUP_MAX_BYTES: String(LOOKUP_MAX_BYTES),
};
// Besides the messages, what Redis may send for one lookup: lengths of the ones left unread, reply framing.
const REPLY_OVERHEAD_BYTES = 8192;

// 40 messages of 16,000 bytes: 640,000 bytes stored, four of which fit in one answer.
const large = Array.from({ length: 40 }, (_, i) => `large ${i} `.padEnd(15_998, 'x'));
// One message nearly as large as the budget, then small ones: all fit together, spread over every shard.
const mixed = [`almost all ${'y'.repeat(60_000)}`, ...Array.from({ length: 30 }, (_, i) => `small ${i}`)];

async function outputBytes(port: number): Promise<number> {
  const info = String(await ask(port, 'INFO', 'stats'));
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]);
}

/** What the nodes sent to their clients while `act` ran, summed over the nodes. */
async function sentDuring(ports: number[], act: () => Promise<unknown>): Promise<number> {
  const before = await Promise.all(ports.map(outputBytes));
  await act();
  const after = await Promise.all(ports.map(outputBytes));
  return after.reduce((sum, bytes, i) => sum + bytes - before[i]!, 0);
}

/**
 * What the nodes sent for `act` alone: less what measuring itself costs (each INFO is asked on a new
 * connection, whose client asks INFO too when it connects: some kilobytes a node).
 */
async function sentFor(ports: number[], act: () => Promise<unknown>): Promise<number> {
  const measuring = await sentDuring(ports, async () => undefined);
  return (await sentDuring(ports, act)) - measuring;
}

/** Stores the messages through the API, one POST each (the body limit allows no more per request). */
async function store(app: TestApp, messages: string[]): Promise<string[]> {
  for (const message of messages) {
    const stored = await postJson(app.url, '/messages', { message });
    expect(stored.status).to.equal(201);
  }
  return messages.map((m) => expectedDigest(m));
}

/** The tests, on an app a fixture has started; `dataPorts` are the nodes that hold the messages. */
function budgetSuite(started: () => TestApp, dataPorts: () => Promise<number[]>) {
  let app: TestApp;
  let ports: number[];
  let largeDigests: string[];
  let mixedDigests: string[];
  before(async () => {
    app = started();
    ports = await dataPorts();
    largeDigests = await store(app, large);
    mixedDigests = await store(app, mixed);
  });

  it('when the messages found pass LOOKUP_MAX_BYTES, then 422 answers and Redis sends no more than the budget', async () => {
    let reply: Awaited<ReturnType<typeof postJson>> | undefined;
    const sent = await sentFor(ports, async () => {
      reply = await postJson(app.url, '/digests/lookup', { digests: largeDigests });
    });

    expect(reply?.status).to.equal(422);
    expect(reply?.json.index).to.equal(4);
    expect(sent).to.be.below(LOOKUP_MAX_BYTES + REPLY_OVERHEAD_BYTES);
  });

  it('when one large message and small ones fit together, then all are answered, each read once', async () => {
    let reply: Awaited<ReturnType<typeof postJson>> | undefined;
    const sent = await sentFor(ports, async () => {
      reply = await postJson(app.url, '/digests/lookup', { digests: mixedDigests });
    });

    expect(reply?.status).to.equal(200);
    expect(reply?.json.results.map((r: { message: string }) => r.message)).to.deep.equal(mixed);
    expect(sent).to.be.below(LOOKUP_MAX_BYTES + REPLY_OVERHEAD_BYTES);
  });

  it('when the digests before the index of a 422 are looked up, then they are answered in full', async () => {
    const reply = await postJson(app.url, '/digests/lookup', { digests: largeDigests.slice(0, 4) });

    expect(reply.status).to.equal(200);
    expect(reply.json.results.map((r: { message: string }) => r.message)).to.deep.equal(large.slice(0, 4));
  });
}

describe('lookups within LOOKUP_MAX_BYTES on Redis', function () {
  this.timeout(60_000);

  describe('standalone', () => {
    const { server, app } = useRedisServer({ app: settings });
    budgetSuite(app, async () => [server().port]);
  });

  describe('Cluster', () => {
    const { cluster, app } = useRedisCluster({ app: settings });
    budgetSuite(app, async () => {
      const primaries = (await cluster().topology()).filter((node) => node.role === 'master');
      return primaries.map((node) => node.port);
    });
  });
});
