import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { type TestApp, startApp } from '../helpers/app.js';
import { openRedisApp, pollUntilReady, readiness, startRedisApp } from '../helpers/redis-app.js';
import { useRedisCluster, useSentinelGroup } from '../helpers/redis-fixtures.js';
import { requireRedisServer } from '../helpers/require-command.js';
import { type Scraped, scrape } from '../helpers/scrape.js';
import { getMessage, postMessage } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { RedisServer } from '../../tools/stack/redis-server.js';

const KINDS = ['OOM', 'READONLY', 'NOREPLICAS', 'LOADING', 'MASTERDOWN', 'CLUSTERDOWN', 'MOVED', 'NOAUTH'];
const GENERIC_KINDS = ['connection', 'timeout', 'other'];

/** The writer role series as { master, replica, unknown }. */
function roles(scraped: Scraped) {
  const of = (role: string) => scraped('shaservice_redis_writer_role', { role });
  return { master: of('master'), replica: of('replica'), unknown: of('unknown') };
}

const errorsOf = (scraped: Scraped, kind: string) =>
  scraped('shaservice_redis_command_errors_total', { kind });

/** Scrapes until `check` holds for a scrape, and answers that scrape. */
async function scrapeUntil(app: TestApp, what: string, check: (s: Scraped) => boolean): Promise<Scraped> {
  let last: Scraped | undefined;
  await pollUntil(what, async () => check((last = await scrape(app))), 10_000, 50);
  return last!;
}

describe('Redis metrics on /metrics', function () {
  const servers: RedisServer[] = [];
  let app: TestApp | undefined;

  before(function () {
    requireRedisServer(this);
  });

  afterEach(async () => {
    await app?.close();
    await Promise.all(servers.splice(0).map((server) => server.destroy()));
    app = undefined;
  });

  async function server(args: string[] = []): Promise<RedisServer> {
    const started = await RedisServer.start(args);
    servers.push(started);
    return started;
  }

  const unique = () => `metrics ${randomUUID()}`;

  it('when the app uses the embedded store, then it exports no Redis metric', async () => {
    app = await startApp();

    const text = await scrape(app);

    expect(text('shaservice_redis_connected')).to.equal(undefined);
    expect(text('shaservice_redis_writer_role', { role: 'unknown' })).to.equal(undefined);
    expect(text('shaservice_redis_command_errors_total', { kind: 'other' })).to.equal(undefined);
    expect(text('shaservice_cache_hits_total')).to.equal(0);
  });

  it('when connected to a primary, then connected is 1, the role master, and every counter series is 0', async () => {
    app = await startRedisApp(await server());

    const scraped = await scrape(app);

    expect(scraped('shaservice_redis_connected')).to.equal(1);
    expect(roles(scraped)).to.deep.equal({ master: 1, replica: 0, unknown: 0 });
    for (const kind of [...KINDS, ...GENERIC_KINDS]) expect(errorsOf(scraped, kind), kind).to.equal(0);
    expect(scraped('shaservice_redis_replica_acks_waits_total')).to.equal(0);
    expect(scraped('shaservice_redis_replica_acks_missed_total')).to.equal(0);
  });

  it('when the Redis server stops, then connected turns 0, the role unknown, and failed reads count as connection errors', async () => {
    const redis = await server();
    app = await startRedisApp(redis);

    await redis.stop();
    const reply = await getMessage(app.url, expectedDigest(unique()));

    expect(reply.status).to.equal(503);
    const scraped = await scrapeUntil(app, 'connected 0', (s) => s('shaservice_redis_connected') === 0);
    expect(roles(scraped)).to.deep.equal({ master: 0, replica: 0, unknown: 1 });
    expect(errorsOf(scraped, 'connection')).to.equal(1);
    expect(errorsOf(scraped, 'timeout')).to.equal(0);
  });

  it('when the Redis server comes back, then connected is 1 and the role master again', async () => {
    const redis = await server();
    app = await startRedisApp(redis);
    await redis.stop();
    await scrapeUntil(app, 'connected 0', (s) => s('shaservice_redis_connected') === 0);

    await redis.startProcess();

    const scraped = await scrapeUntil(app, 'role master', (s) => roles(s).master === 1);
    expect(scraped('shaservice_redis_connected')).to.equal(1);
  });

  it('when Redis hangs past the command timeout, then the failed read counts as a timeout', async () => {
    const redis = await server();
    app = await startRedisApp(redis, { REDIS_COMMAND_TIMEOUT_MS: '300' });

    redis.pause();
    const reply = await getMessage(app.url, expectedDigest(unique())).finally(() => redis.resume());

    expect(reply.status).to.equal(503);
    const scraped = await scrape(app);
    expect(errorsOf(scraped, 'timeout')).to.equal(1);
    expect(errorsOf(scraped, 'connection')).to.equal(0);
  });

  it('when Redis freezes with the connection open, then connected reads 0 and the role unknown after one call times out, and 1 again after the next answer', async () => {
    const redis = await server();
    app = await startRedisApp(redis, { REDIS_COMMAND_TIMEOUT_MS: '300' });

    redis.pause();
    let frozen: Scraped;
    try {
      const reply = await getMessage(app.url, expectedDigest(unique()));
      frozen = await scrape(app);
      expect(reply.status).to.equal(503);
    } finally {
      redis.resume();
    }
    await pollUntilReady(app);
    const thawed = await scrape(app);

    expect(frozen('shaservice_redis_connected'), 'ioredis still says ready').to.equal(0);
    expect(roles(frozen)).to.deep.equal({ master: 0, replica: 0, unknown: 1 });
    expect(errorsOf(frozen, 'timeout')).to.equal(1);
    expect(thawed('shaservice_redis_connected')).to.equal(1);
    expect(roles(thawed)).to.deep.equal({ master: 1, replica: 0, unknown: 0 });
  });

  for (const [password, kind] of [
    ['wrong', 'WRONGPASS'],
    [undefined, 'NOAUTH'],
  ] as const) {
    it(`when Redis requires a password and the service has ${password ? 'a wrong one' : 'none'}, then failed calls count as ${kind}, not connection`, async () => {
      const redis = await server(['--requirepass', 'the right one']);
      app = await openRedisApp(redis, password ? { REDIS_PASSWORD: password } : {});
      // Each connection attempt is refused during its handshake; the client retries in the background.
      await new Promise((resolve) => setTimeout(resolve, 300));

      const reply = await getMessage(app.url, expectedDigest(unique()));
      const probe = await readiness(app);

      expect([reply.status, probe.status]).to.deep.equal([503, 503]);
      const scraped = await scrape(app);
      expect(errorsOf(scraped, kind)).to.equal(2);
      expect(errorsOf(scraped, 'connection')).to.equal(0);
      expect(scraped('shaservice_redis_connected')).to.equal(0);
    });
  }

  it('when the node is a read-only replica, then the role is replica, readiness probes count no error, and a refused write counts as READONLY', async () => {
    const primary = await server();
    const replica = await server(['--replicaof', '127.0.0.1', String(primary.port)]);
    app = await openRedisApp(replica);
    await scrapeUntil(app, 'role replica', (s) => roles(s).replica === 1);

    const probes: number[] = [];
    for (let i = 0; i < 4; i++) probes.push((await readiness(app)).status);
    // The probe's READONLY, like any, makes the client reconnect (redis-client.ts): wait for the connection.
    const probed = await scrapeUntil(app, 'connected again', (s) => roles(s).replica === 1);
    const reply = await postMessage(app.url, unique());

    expect(probes).to.deep.equal([503, 503, 503, 503]);
    expect(errorsOf(probed, 'READONLY')).to.equal(0);
    expect(reply.status).to.equal(503);
    const scraped = await scrapeUntil(app, 'connected again', (s) => s('shaservice_redis_connected') === 1);
    expect(errorsOf(scraped, 'READONLY')).to.equal(1);
    expect(roles(await scrapeUntil(app, 'role replica', (s) => roles(s).replica === 1))).to.deep.equal({
      master: 0,
      replica: 1,
      unknown: 0,
    });
  });

  it('when Redis is full (maxmemory, noeviction), then a refused write counts as OOM and reads count nothing', async () => {
    const redis = await server(['--maxmemory-policy', 'noeviction']);
    app = await startRedisApp(redis);
    redis.cli('CONFIG', 'SET', 'maxmemory', '1');

    const post = await postMessage(app.url, unique());
    const get = await getMessage(app.url, expectedDigest(unique()));

    expect([post.status, get.status]).to.deep.equal([503, 404]);
    const scraped = await scrape(app);
    expect(errorsOf(scraped, 'OOM')).to.equal(1);
    expect(
      KINDS.concat(GENERIC_KINDS).filter((kind) => kind !== 'OOM' && errorsOf(scraped, kind) !== 0),
    ).to.deep.equal([]);
  });

  it('when Redis is full and nothing writes, then the readiness probe sets writes_refused to 1 and counts no error, and 0 once Redis has room again', async () => {
    const redis = await server(['--maxmemory-policy', 'noeviction']);
    app = await startRedisApp(redis);
    const before = await scrape(app);
    redis.cli('CONFIG', 'SET', 'maxmemory', '1');

    const full = await readiness(app);
    const refused = await scrape(app);
    redis.cli('CONFIG', 'SET', 'maxmemory', '0');
    const roomy = await readiness(app);
    const accepted = await scrape(app);

    expect(before('shaservice_redis_writes_refused')).to.equal(0);
    expect(full.status).to.equal(200);
    expect(full.json.writesRefused).to.match(/^Redis refuses writes: OOM /);
    expect(refused('shaservice_redis_writes_refused')).to.equal(1);
    expect(errorsOf(refused, 'OOM'), 'the probe expects it').to.equal(0);
    expect(roomy.status).to.equal(200);
    expect(accepted('shaservice_redis_writes_refused')).to.equal(0);
  });

  it('when a write must wait for one replica and Redis has none, then the WAIT is counted as issued and missed', async () => {
    app = await openRedisApp(await server(), {
      REDIS_MIN_REPLICA_ACKS: '1',
      REDIS_REPLICA_ACK_TIMEOUT_MS: '100',
    });
    await scrapeUntil(app, 'connected', (s) => s('shaservice_redis_connected') === 1);

    const reply = await postMessage(app.url, unique());

    expect(reply.status).to.equal(503);
    const scraped = await scrape(app);
    expect(scraped('shaservice_redis_replica_acks_waits_total')).to.equal(1);
    expect(scraped('shaservice_redis_replica_acks_missed_total')).to.equal(1);
    expect(errorsOf(scraped, 'NOREPLICAS'), 'a missed WAIT is no command error').to.equal(0);
  });

  it('when a write must wait for one replica and Redis has one, then the WAIT is counted as issued, not missed', async () => {
    // Redis 7 waits 5 s by default before a diskless full sync, for more replicas to join it.
    const primary = await server(['--repl-diskless-sync-delay', '0']);
    const replica = await server(['--replicaof', '127.0.0.1', String(primary.port)]);
    await pollUntil('the replica to sync', () =>
      /master_link_status:up/.test(replica.cli('INFO', 'replication')),
    );
    app = await openRedisApp(primary, { REDIS_MIN_REPLICA_ACKS: '1', REDIS_REPLICA_ACK_TIMEOUT_MS: '1000' });
    await pollUntilReady(app);

    const reply = await postMessage(app.url, unique());

    expect(reply.status).to.equal(201);
    const scraped = await scrape(app);
    expect(scraped('shaservice_redis_replica_acks_waits_total')).to.equal(1);
    expect(scraped('shaservice_redis_replica_acks_missed_total')).to.equal(0);
  });
});

describe('Redis metrics with Sentinel', function () {
  const { app } = useSentinelGroup({ app: {} });

  it('when the client found the primary through the sentinels, then connected is 1 and the role master', async () => {
    const scraped = await scrape(app());

    expect(scraped('shaservice_redis_connected')).to.equal(1);
    expect(roles(scraped)).to.deep.equal({ master: 1, replica: 0, unknown: 0 });
  });
});

describe('Redis metrics with a Cluster', function () {
  const { app } = useRedisCluster({ app: {} });

  it('when the cluster client is ready, then connected is 1 and the role master, since it writes to primaries only', async () => {
    const scraped = await scrape(app());

    expect(scraped('shaservice_redis_connected')).to.equal(1);
    expect(roles(scraped)).to.deep.equal({ master: 1, replica: 0, unknown: 0 });
  });
});
