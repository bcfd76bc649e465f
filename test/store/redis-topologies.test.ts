import { expect } from 'chai';
import { send } from '../../tools/client/http.js';
import { useRedisCluster, useRedisServer, useSentinelGroup } from '../helpers/redis-fixtures.js';
import { messageContract } from '../http/message-contract.js';

// The cache is off so that every GET of the contract reads back from Redis itself.
const NO_CACHE = { CACHE_MAX_BYTES: '0' };

describe('the API contract on each Redis topology', function () {
  this.timeout(60_000);

  describe('standalone Redis', () => {
    const standalone = useRedisServer({ app: NO_CACHE });

    messageContract(standalone.app);
  });

  describe('a Sentinel group (primary, two replicas, three sentinels)', () => {
    const { group, app } = useSentinelGroup({
      app: { ...NO_CACHE, REDIS_MIN_REPLICA_ACKS: '2', REDIS_REPLICA_ACK_TIMEOUT_MS: '1000' },
    });

    messageContract(app);

    it('when the service asks the sentinels, then it writes to the primary and both replicas confirm', async () => {
      const posted = await send(app().url, 'POST', '/messages', {
        body: '{"message":"replicated"}',
        headers: { 'Content-Type': 'application/json' },
      });

      expect(posted.status).to.equal(201);
      for (const replica of group().replicas) {
        expect(replica.cli('DBSIZE')).not.to.equal('(integer) 0');
      }
    });
  });

  describe('a Cluster (three primaries, three replicas)', () => {
    const { cluster, app } = useRedisCluster({ app: NO_CACHE });

    messageContract(app);

    it('when many messages are posted, then they are spread over all three primaries', async () => {
      for (let i = 0; i < 60; i++) {
        await send(app().url, 'POST', '/messages', {
          body: JSON.stringify({ message: `spread ${i}` }),
          headers: { 'Content-Type': 'application/json' },
        });
      }

      const primaries = (await cluster().topology()).filter((node) => node.role === 'master');
      expect(primaries).to.have.length(3);
      for (const primary of primaries) {
        expect(cluster().server(primary.port).cli('DBSIZE')).not.to.equal('(integer) 0');
      }
    });
  });
});
