import { expect } from 'chai';
import type { TestApp } from '../helpers/app.js';
import { send } from '../../tools/client/http.js';
import { startRedisApp, useStandaloneRedisApp } from '../helpers/redis-app.js';
import { requireRedisServer } from '../helpers/require-command.js';
import { RedisCluster, SentinelGroup } from '../helpers/redis-topologies.js';
import { messageContract } from '../http/message-contract.js';

// The cache is off so that every GET of the contract reads back from Redis itself.
const NO_CACHE = { CACHE_MAX_BYTES: '0' };

describe('the API contract on each Redis topology', function () {
  this.timeout(60_000);

  describe('standalone Redis', () => {
    const standalone = useStandaloneRedisApp();

    messageContract(standalone.app);
  });

  describe('a Sentinel group (primary, two replicas, three sentinels)', () => {
    let group: SentinelGroup;
    let app: TestApp;
    before(async function () {
      requireRedisServer(this);
      group = await SentinelGroup.start();
      app = await startRedisApp(group.env, {
        ...NO_CACHE,
        REDIS_MIN_REPLICA_ACKS: '2',
        REDIS_REPLICA_ACK_TIMEOUT_MS: '1000',
      });
    });
    after(async () => {
      await app?.close();
      await group?.destroy();
    });

    messageContract(() => app);

    it('when the service asks the sentinels, then it writes to the primary and both replicas confirm', async () => {
      const posted = await send(app.url, 'POST', '/messages', {
        body: '{"message":"replicated"}',
        headers: { 'Content-Type': 'application/json' },
      });

      expect(posted.status).to.equal(201);
      for (const replica of group.replicas) {
        expect(replica.cli('DBSIZE')).not.to.equal('(integer) 0');
      }
    });
  });

  describe('a Cluster (three primaries, three replicas)', () => {
    let cluster: RedisCluster;
    let app: TestApp;
    before(async function () {
      requireRedisServer(this);
      cluster = await RedisCluster.start();
      app = await startRedisApp(cluster.env, NO_CACHE);
    });
    after(async () => {
      await app?.close();
      await cluster?.destroy();
    });

    messageContract(() => app);

    it('when many messages are posted, then they are spread over all three primaries', async () => {
      for (let i = 0; i < 60; i++) {
        await send(app.url, 'POST', '/messages', {
          body: JSON.stringify({ message: `spread ${i}` }),
          headers: { 'Content-Type': 'application/json' },
        });
      }

      const primaries = (await cluster.topology()).filter((node) => node.role === 'master');
      expect(primaries).to.have.length(3);
      for (const primary of primaries) {
        expect(cluster.server(primary.port).cli('DBSIZE')).not.to.equal('(integer) 0');
      }
    });
  });
});
