import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { renderChart, renderNotes } from '../../tools/chart/render.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { RedisServer } from '../../tools/stack/redis-server.js';
import { requireRedisServer, requireRenderer } from '../helpers/require-command.js';
import { refusedBySchema } from './refused-by-schema.js';

const SENTINEL_VALUES = ['ci/sentinel-values.yaml'];
const POD_0 = 'shaservice-redis-0.shaservice-redis.default.svc';

describe('chart: Redis with Sentinel, and external Sentinel or Cluster', () => {
  before(function () {
    requireRenderer(this);
  });

  describe('redis.architecture sentinel', () => {
    const sentinel = () => renderChart({ values: SENTINEL_VALUES });

    it('when rendered, then a StatefulSet of three Redis pods runs a redis and a sentinel container each, both hardened', () => {
      const rendered = sentinel();
      const set = rendered.one('StatefulSet', 'shaservice-redis');
      const pod = set.spec.template.spec;
      const [redis, sentinelContainer] = pod.containers;

      expect(set.spec.replicas).to.equal(3);
      expect(pod.containers.map((c: { name: string }) => c.name)).to.deep.equal(['redis', 'sentinel']);
      expect(redis.command).to.deep.equal(['sh', '/etc/redis/start-redis.sh']);
      expect(sentinelContainer.command).to.deep.equal(['sh', '/etc/redis/start-sentinel.sh']);
      expect(sentinelContainer.ports).to.deep.equal([
        { name: 'sentinel', containerPort: 26379, protocol: 'TCP' },
      ]);
      for (const container of [redis, sentinelContainer]) {
        expect(container.securityContext, container.name).to.deep.include({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
        expect(container.readinessProbe.exec.command.join(' '), container.name).to.include('PONG');
        expect(container.livenessProbe, container.name).to.have.property('exec');
      }
      // The sentinel keeps what it learns (primary, epochs) beside the AOF, on the claim: it outlives the pod.
      expect(sentinelContainer.volumeMounts).to.deep.include({ name: 'data', mountPath: '/data' });
      expect(rendered.one('ConfigMap', 'shaservice-redis').data['sentinel.conf']).to.match(
        /^dir \/data\/sentinel$/m,
      );
      expect(set.spec.volumeClaimTemplates[0].metadata.name).to.equal('data');
    });

    it('when rendered, then the pods start together and a primary fails over before it stops', () => {
      const rendered = sentinel();
      const set = rendered.one('StatefulSet', 'shaservice-redis');
      const scripts = rendered.one('ConfigMap', 'shaservice-redis').data;
      const [redis] = set.spec.template.spec.containers;

      // In order, pod 0 would wait for a majority of sentinels whose pods wait for pod 0 to be ready.
      expect(set.spec.podManagementPolicy).to.equal('Parallel');
      expect(redis.lifecycle.preStop.exec.command).to.deep.equal(['sh', '/etc/redis/prestop-redis.sh']);
      expect(scripts['prestop-redis.sh'])
        .to.include('client pause 20000 write')
        .and.include('sentinel failover shaservice')
        .and.not.include('unpause');
      // Waiting for the sentinels is not a reason to restart the container.
      expect(redis.livenessProbe.exec.command.join(' ')).to.include('test -e /tmp/waiting-for-sentinels');
      expect(scripts['start-redis.sh']).to.include('touch /tmp/waiting-for-sentinels');
    });

    it('when standalone, then the pods start in order and have no preStop', () => {
      const set = renderChart().one('StatefulSet', 'shaservice-redis');

      expect(set.spec).to.not.have.property('podManagementPolicy');
      expect(set.spec.template.spec.containers[0]).to.not.have.property('lifecycle');
    });

    it('when rendered, then sentinel.conf monitors pod 0 by DNS name with quorum 2 and the configured down-after', () => {
      const conf: string = sentinel().one('ConfigMap', 'shaservice-redis').data['sentinel.conf'];

      expect(conf)
        .to.match(new RegExp(`^sentinel monitor shaservice ${POD_0.replaceAll('.', '\\.')} 6379 2$`, 'm'))
        .and.match(/^sentinel resolve-hostnames yes$/m)
        .and.match(/^sentinel announce-hostnames yes$/m)
        .and.match(/^sentinel down-after-milliseconds shaservice 3000$/m)
        .and.not.match(/requirepass|auth-pass/);
      // Sentinel parses the monitor line with hostnames only once resolve-hostnames is on.
      expect(conf.indexOf('resolve-hostnames')).to.be.below(conf.indexOf('sentinel monitor'));
    });

    it('when five nodes are asked for, then the quorum is their majority, 3', () => {
      const rendered = renderChart({ values: SENTINEL_VALUES, set: { 'redis.sentinel.nodes': 5 } });
      const conf: string = rendered.one('ConfigMap', 'shaservice-redis').data['sentinel.conf'];

      expect(rendered.one('StatefulSet').spec.replicas).to.equal(5);
      expect(conf).to.match(/^sentinel monitor shaservice \S+ 6379 3$/m);
    });

    it('when rendered, then replicas follow the primary and announce their own DNS name, and sentinels get the password', () => {
      const data = sentinel().one('ConfigMap', 'shaservice-redis').data;

      expect(data['find-primary.sh']).to.include('SELF="$POD_NAME.shaservice-redis.default.svc"');
      expect(data['find-primary.sh']).to.include(`best_host=${POD_0}`);
      expect(data['start-redis.sh'])
        .to.include('--masterauth "$REDIS_PASSWORD" --replica-announce-ip "$SELF"')
        .and.include('--replicaof "$primary" 6379');
      expect(data['start-sentinel.sh'])
        .to.match(/^sentinel auth-pass \$name \$password$/m)
        .and.match(/^requirepass \$password$/m)
        .and.match(/^sentinel announce-ip \$SELF$/m)
        .and.include('exec redis-server "$STATE" --sentinel');
      expect(data['find-primary.sh']).to.include('STATE=/data/sentinel/sentinel.conf');
      expect(data['redis.conf']).to.match(/^appendonly yes$/m);
    });

    it('when rendered, then the API asks the three sentinels for the primary, with the Secret as both passwords and no REDIS_URL', () => {
      const rendered = sentinel();
      const settings = rendered.one('ConfigMap', 'shaservice').data;
      const container = rendered.one('Deployment').spec.template.spec.containers[0];
      const secretRef = { secretKeyRef: { name: 'shaservice-redis', key: 'redis-password' } };

      expect(settings).not.to.have.property('REDIS_URL');
      expect(settings.REDIS_SENTINELS.split(',')).to.deep.equal([
        `${POD_0}:26379`,
        'shaservice-redis-1.shaservice-redis.default.svc:26379',
        'shaservice-redis-2.shaservice-redis.default.svc:26379',
      ]);
      expect(settings).to.include({ REDIS_SENTINEL_MASTER: 'shaservice', REDIS_MIN_REPLICA_ACKS: '1' });
      expect(container.env).to.deep.equal([
        { name: 'REDIS_PASSWORD', valueFrom: secretRef },
        { name: 'REDIS_SENTINEL_PASSWORD', valueFrom: secretRef },
      ]);
    });

    it('when rendered, then the headless Service publishes both ports before pods are ready, and a PDB keeps two Redis pods up', () => {
      const rendered = sentinel();
      const service = rendered.one('Service', 'shaservice-redis');
      const pdb = rendered.one('PodDisruptionBudget', 'shaservice-redis');

      expect(service.spec.publishNotReadyAddresses).to.equal(true);
      expect(service.spec.ports.map((p: { name: string; port: number }) => [p.name, p.port])).to.deep.equal([
        ['redis', 6379],
        ['sentinel', 26379],
      ]);
      expect(pdb.spec.maxUnavailable).to.equal(1);
      expect(pdb.spec.selector.matchLabels['app.kubernetes.io/component']).to.equal('redis');
    });

    it('when redis.port equals the sentinel port, then rendering fails naming both', () => {
      expect(() => renderChart({ values: SENTINEL_VALUES, set: { 'redis.port': 26379 } })).to.throw(
        /redis.port and redis.sentinel.port are both 26379/,
      );
    });

    it('when network policy is on, then API pods and the Redis pods themselves reach the redis and sentinel ports', () => {
      const policy = sentinel().one('NetworkPolicy', 'shaservice-redis');
      const [rule] = policy.spec.ingress;
      const components = rule.from.map(
        (peer: { podSelector: { matchLabels: Record<string, string> } }) =>
          peer.podSelector.matchLabels['app.kubernetes.io/component'],
      );

      expect(components).to.deep.equal(['api', 'redis']);
      expect(rule.ports.map((p: { port: string }) => p.port)).to.deep.equal(['redis', 'sentinel']);
    });

    it('when installed, then NOTES.txt says Redis runs as three pods failed over by Sentinel', () => {
      expect(renderNotes({ values: SENTINEL_VALUES })).to.include(
        'shaservice-redis: 3 pods, a primary and its replicas, failed over by Sentinel',
      );
    });

    it('when standalone (the default), then there is one Redis pod, no sentinel and no Redis PDB', () => {
      const rendered = renderChart();

      expect(rendered.one('StatefulSet').spec.replicas).to.equal(1);
      expect(rendered.one('StatefulSet').spec.template.spec.containers).to.have.length(1);
      expect(rendered.one('ConfigMap', 'shaservice-redis').data).to.have.keys('redis.conf');
      expect(rendered.all('PodDisruptionBudget').map((p) => p.metadata.name)).to.deep.equal(['shaservice']);
    });

    it('when redis.architecture is sentinel and redisMinReplicaAcks is not set, then a POST waits for one replica', () => {
      const rendered = renderChart({ inline: { redis: { architecture: 'sentinel' } } });

      expect(rendered.one('ConfigMap', 'shaservice').data.REDIS_MIN_REPLICA_ACKS).to.equal('1');
    });

    it('when redis.architecture is sentinel and redisMinReplicaAcks is 0, then the explicit 0 is kept', () => {
      const inline = { redis: { architecture: 'sentinel' }, config: { redisMinReplicaAcks: 0 } };

      expect(renderChart({ inline }).one('ConfigMap', 'shaservice').data.REDIS_MIN_REPLICA_ACKS).to.equal(
        '0',
      );
      const set = { 'redis.architecture': 'sentinel', 'config.redisMinReplicaAcks': 0 };
      expect(renderChart({ set }).one('ConfigMap', 'shaservice').data.REDIS_MIN_REPLICA_ACKS).to.equal('0');
    });

    it('when standalone or external and redisMinReplicaAcks is not set, then a POST does not wait for replicas', () => {
      expect(renderChart().one('ConfigMap', 'shaservice').data.REDIS_MIN_REPLICA_ACKS).to.equal('0');
      const external = renderChart({ values: ['ci/external-sentinel-values.yaml'] });
      expect(external.one('ConfigMap', 'shaservice').data.REDIS_MIN_REPLICA_ACKS).to.equal('0');
    });

    it('when more replica acks are asked for than the chart Redis has replicas, then rendering fails saying so', () => {
      // A standalone Redis has no replica at all: the schema says so; the count of a Sentinel group's is the template's.
      expect(() => renderChart({ set: { 'config.redisMinReplicaAcks': 1 } })).to.throw(
        refusedBySchema(
          'config.redisMinReplicaAcks: config.redisMinReplicaAcks must be one of the following: "", 0',
        ),
      );
      expect(() =>
        renderChart({ values: SENTINEL_VALUES, set: { 'config.redisMinReplicaAcks': 3 } }),
      ).to.throw(/replicas \(2\)/);
    });
  });

  describe('externalRedis', () => {
    it('when a Sentinel group is named, then the API gets its sentinels, master, TLS, user and both passwords, and no REDIS_URL', () => {
      const rendered = renderChart({ values: ['ci/external-sentinel-values.yaml'] });
      const settings = rendered.one('ConfigMap', 'shaservice').data;
      const container = rendered.one('Deployment').spec.template.spec.containers[0];

      expect(rendered.all('StatefulSet')).to.have.length(0);
      expect(settings).not.to.have.property('REDIS_URL');
      expect(settings).to.include({
        REDIS_SENTINELS:
          'sentinel-0.redis.example.test:26379,sentinel-1.redis.example.test:26379,sentinel-2.redis.example.test:26379',
        REDIS_SENTINEL_MASTER: 'orders',
        REDIS_TLS: 'true',
        REDIS_USERNAME: 'shaservice',
      });
      expect(container.env).to.deep.equal([
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'managed-redis', key: 'password' } } },
        {
          name: 'REDIS_SENTINEL_PASSWORD',
          valueFrom: { secretKeyRef: { name: 'managed-redis', key: 'sentinel-password' } },
        },
      ]);
    });

    it('when a Cluster is named, then the API gets its seed nodes and NAT map, and no REDIS_URL or sentinels', () => {
      const rendered = renderChart({ values: ['ci/external-cluster-values.yaml'] });
      const settings = rendered.one('ConfigMap', 'shaservice').data;

      expect(settings).to.include({
        REDIS_CLUSTER_NODES: 'redis-cluster.example.test:6379',
        REDIS_CLUSTER_NAT_MAP:
          '10.0.0.11:6379=redis-0.example.test:6379,10.0.0.12:6379=redis-1.example.test:6379',
      });
      expect(settings).not.to.have.any.keys('REDIS_URL', 'REDIS_SENTINELS', 'REDIS_TLS');
      expect(rendered.one('Deployment').spec.template.spec.containers[0].env).to.deep.equal([
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'managed-redis', key: 'password' } } },
      ]);
    });

    it('when installed against an external Cluster, then NOTES.txt names its seed nodes, not an empty URL', () => {
      expect(renderNotes({ values: ['ci/external-cluster-values.yaml'] })).to.include(
        'the external Redis Cluster seeded by redis-cluster.example.test:6379.',
      );
    });

    it('when two topologies are set, then the schema refuses them as alternatives', () => {
      const render = () =>
        renderChart({
          values: ['ci/external-cluster-values.yaml'],
          set: { 'externalRedis.url': 'redis://r:6379' },
        });

      expect(render).to.throw(refusedBySchema('externalRedis.clusterNodes: Array must have at most 0 items'));
    });

    it('when sentinels are named without the master name, then the schema refuses them asking for it', () => {
      const set = { 'redis.enabled': false, 'externalRedis.sentinels': '{s:26379}' };

      expect(() => renderChart({ set })).to.throw(
        refusedBySchema('externalRedis.sentinelMaster: String length must be greater than or equal to 1'),
      );
    });

    it('when tls is set with a standalone URL, then the schema refuses it pointing to rediss://', () => {
      const set = {
        'redis.enabled': false,
        'externalRedis.url': 'redis://r:6379',
        'externalRedis.tls': true,
      };

      expect(() => renderChart({ set })).to.throw(
        refusedBySchema('externalRedis.tls: externalRedis.tls does not match: false'),
      );
    });
  });

  describe("start-sentinel.sh, run as the pod's shell would", () => {
    /**
     * The sentinel file start-sentinel.sh writes on a volume whose state is `state` (nothing: a new or lost
     * volume), for the pod `pod`. Every peer sentinel answers `peers` (none answers without it); redis-server
     * is not started: the file is what it would have read.
     */
    const sentinelFileOf = (
      pod: string,
      { state, peers }: { state?: string; peers?: { epoch: number; primary: string } } = {},
    ): string => {
      const root = mkdtempSync(join(tmpdir(), 'start-sentinel-'));
      try {
        const data = renderChart({ values: SENTINEL_VALUES }).one('ConfigMap', 'shaservice-redis').data;
        const local = (script: string) =>
          script.replaceAll('/data/sentinel', `${root}/data`).replaceAll('/etc/redis/', `${root}/etc/`);
        mkdirSync(`${root}/etc`);
        mkdirSync(`${root}/bin`);
        mkdirSync(`${root}/data`);
        for (const file of ['find-primary.sh', 'start-sentinel.sh', 'sentinel.conf']) {
          writeFileSync(`${root}/etc/${file}`, local(data[file]!));
        }
        if (state !== undefined) writeFileSync(`${root}/data/sentinel.conf`, state);
        // SENTINEL MASTER's answer, as field and value lines.
        const answer = peers
          ? `printf 'ip\\n%s\\nconfig-epoch\\n%s\\nflags\\nmaster\\n' ${peers.primary} ${peers.epoch}`
          : 'exit 1';
        writeFileSync(`${root}/bin/redis-cli`, `#!/bin/sh\n${answer}\n`, { mode: 0o755 });
        writeFileSync(`${root}/bin/redis-server`, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
        execFileSync('sh', [`${root}/etc/start-sentinel.sh`], {
          env: { PATH: `${root}/bin:${process.env.PATH}`, POD_NAME: pod, REDIS_PASSWORD: 'pw' },
        });
        return readFileSync(`${root}/data/sentinel.conf`, 'utf8');
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    };
    const knownReplicas = (file: string) =>
      file.split('\n').filter((line) => line.startsWith('sentinel known-replica'));
    const pod = (n: number) => `shaservice-redis-${n}.shaservice-redis.default.svc`;

    it('when the volume is new and no sentinel has seen a failover (a first install), then it is told of no replica, so that pod 0 is not failed over while it starts', () => {
      const file = sentinelFileOf('shaservice-redis-2');

      expect(file).to.match(new RegExp(`^sentinel monitor shaservice ${pod(0)} 6379 2$`, 'm'));
      expect(knownReplicas(file)).to.deep.equal([]);
    });

    it('when the volume is new (lost) and the peers have seen a failover, then it is told of every pod but the primary as a replica, so that it can lead the next failover with the primary down', () => {
      const file = sentinelFileOf('shaservice-redis-2', { peers: { epoch: 5, primary: pod(2) } });

      expect(file).to.match(new RegExp(`^sentinel monitor shaservice ${pod(2)} 6379 2$`, 'm'));
      expect(file).to.match(/^sentinel config-epoch shaservice 5$/m);
      expect(knownReplicas(file)).to.deep.equal([
        `sentinel known-replica shaservice ${pod(0)} 6379`,
        `sentinel known-replica shaservice ${pod(1)} 6379`,
      ]);
    });

    it('when its file names another primary after a failover, then that pod is no replica and each other pod is listed once, beside the replicas the file held', () => {
      const state = [
        `sentinel monitor shaservice ${pod(1)} 6379 2`,
        'sentinel config-epoch shaservice 7',
        `sentinel known-replica shaservice ${pod(0)} 6379`,
        `sentinel known-replica shaservice ${pod(1)} 6379`,
        'sentinel known-replica shaservice old-name.example 6379',
      ].join('\n');

      const file = sentinelFileOf('shaservice-redis-0', { state });

      expect(file).to.match(new RegExp(`^sentinel monitor shaservice ${pod(1)} 6379 2$`, 'm'));
      expect(file).to.match(/^sentinel config-epoch shaservice 7$/m);
      expect(knownReplicas(file)).to.deep.equal([
        'sentinel known-replica shaservice old-name.example 6379',
        `sentinel known-replica shaservice ${pod(0)} 6379`,
        `sentinel known-replica shaservice ${pod(2)} 6379`,
      ]);
    });
  });

  describe('with real redis-server processes', () => {
    const password = 'p"w\\1';
    const servers: RedisServer[] = [];

    before(function () {
      requireRedisServer(this);
    });

    after(async () => {
      await Promise.all(servers.map((server) => server.destroy()));
    });

    it('when the rendered readiness probe asks a primary and its replica, then both are ready until the primary goes, then the replica is not', async () => {
      const primary = await RedisServer.start(['--requirepass', password]);
      servers.push(primary);
      const replica = await RedisServer.start([
        ...['--requirepass', password, '--masterauth', password],
        ...['--replicaof', '127.0.0.1', String(primary.port)],
      ]);
      servers.push(replica);
      // The probe as rendered for a pod whose Redis listens on this server's port.
      const ready = (server: RedisServer) => {
        const set = { 'redis.port': server.port };
        const [redis] = renderChart({ values: SENTINEL_VALUES, set }).one('StatefulSet').spec.template.spec
          .containers;
        const [command, ...args] = redis.readinessProbe.exec.command as string[];
        try {
          execFileSync(command!, args, { env: { ...process.env, REDISCLI_AUTH: password } });
          return true;
        } catch {
          return false;
        }
      };

      await pollUntil('the replica to sync', () => ready(replica), 10_000, 100);
      expect(ready(primary)).to.equal(true);
      await primary.destroy();
      // A replica that has lost its primary still answers PONG, but is not ready.
      expect(replica.cli('-a', password, '--no-auth-warning', 'PING')).to.equal('PONG');
      await pollUntil('the replica to see its link down', () => !ready(replica), 10_000, 100);
    });

    it('when the rendered sentinel.conf runs as a sentinel against a primary with a replica, then it watches it with quorum 2 and sees the replica', async () => {
      const auth = ['-a', password, '--no-auth-warning'];
      const primary = await RedisServer.start(['--requirepass', password]);
      servers.push(primary);
      const replica = await RedisServer.start([
        ...['--requirepass', password, '--masterauth', password],
        ...['--replicaof', '127.0.0.1', String(primary.port), '--replica-announce-ip', 'localhost'],
      ]);
      servers.push(replica);
      const data = renderChart({ values: SENTINEL_VALUES, set: { 'redis.port': primary.port } }).one(
        'ConfigMap',
        'shaservice-redis',
      ).data;
      // The password quoted for Redis's config syntax by start-sentinel.sh's own line.
      const quoting = /^password=.*$/m.exec(data['start-sentinel.sh'])![0];
      const quoted = execFileSync('sh', ['-c', `${quoting}\nprintf %s "$password"`], {
        encoding: 'utf8',
        env: { ...process.env, REDIS_PASSWORD: password },
      });
      // The chart's sentinel.conf for this primary's port, with pod 0's name resolving here, and the lines
      // start-sentinel.sh appends.
      const sentinel = await RedisServer.startWithConfig(
        (_port, dir) =>
          [
            data['sentinel.conf']
              .replace(POD_0, 'localhost')
              .replace(/^dir \/data\/sentinel$/m, `dir ${dir}`),
            `requirepass ${quoted}`,
            `sentinel auth-pass shaservice ${quoted}`,
            `sentinel sentinel-pass ${quoted}`,
          ].join('\n'),
        ['--sentinel'],
      );
      servers.push(sentinel);
      const master = () => fields(sentinel.cli(...auth, 'SENTINEL', 'MASTER', 'shaservice'));

      // INFO from the primary (which needs auth-pass) is how a sentinel learns of replicas.
      await pollUntil('the sentinel to see the replica', () => master()['num-slaves'] === '1', 10_000);
      expect(master()).to.include({
        ip: 'localhost',
        port: String(primary.port),
        flags: 'master',
        quorum: '2',
        'down-after-milliseconds': '3000',
      });
      expect(sentinel.cli(...auth, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'shaservice')).to.include(
        'localhost',
      );
      expect(quoted).to.equal('"p\\"w\\\\1"');
      expect(sentinel.cli('PING')).to.match(/NOAUTH/);
    });
  });
});

/** `SENTINEL MASTER` answers name, value, name, value ... one per line; `--no-raw` numbers and quotes them. */
function fields(reply: string): Record<string, string> {
  const values = reply.split('\n').map((line) => line.replace(/^\s*\d+\)\s*/, '').replace(/^"|"$/g, ''));
  const result: Record<string, string> = {};
  for (let i = 0; i + 1 < values.length; i += 2) result[values[i]!] = values[i + 1]!;
  return result;
}
