import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { renderChart, renderNotes } from '../../tools/chart/render.js';
import { RedisServer } from '../../tools/stack/redis-server.js';
import { requireRedisServer, requireRenderer } from '../helpers/require-command.js';

describe('chart: Redis', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when rendered with defaults, then a StatefulSet on the official image keeps its AOF on a claim', () => {
    const rendered = renderChart({ values: ['ci/default-values.yaml'] });
    const set = rendered.one('StatefulSet');
    const conf: string = rendered.one('ConfigMap', 'shaservice-redis').data['redis.conf'];

    expect(set.spec.template.spec.containers[0].image).to.equal('redis:7.4');
    expect(set.spec.serviceName).to.equal('shaservice-redis');
    expect(set.spec.volumeClaimTemplates[0].metadata.name).to.equal('data');
    expect(set.spec.volumeClaimTemplates[0].spec.resources.requests.storage).to.equal('1Gi');
    expect(conf)
      .to.match(/^appendonly yes$/m)
      .and.match(/^appendfsync everysec$/m)
      .and.match(/^save ""$/m);
    expect(rendered.one('Service', 'shaservice-redis').spec.clusterIP).to.equal('None');
  });

  it('when rendered with defaults, then Redis runs hardened and takes its password from the Secret, never from values', () => {
    const rendered = renderChart();
    const pod = rendered.one('StatefulSet').spec.template.spec;
    const container = pod.containers[0];
    const secretRef = { secretKeyRef: { name: 'shaservice-redis', key: 'redis-password' } };

    expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: 999 });
    expect(container.securityContext).to.deep.include({
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.env).to.deep.equal([
      { name: 'REDIS_PASSWORD', valueFrom: secretRef },
      { name: 'REDISCLI_AUTH', valueFrom: secretRef },
    ]);
    expect(container.command.join(' ')).to.include(
      'exec redis-server /etc/redis/redis.conf --requirepass "$REDIS_PASSWORD"',
    );
  });

  it('when redis.containerSecurityContext is set, then the Redis and sentinel containers run with it over the default', () => {
    const rendered = renderChart({
      values: ['ci/sentinel-values.yaml'],
      inline: { redis: { containerSecurityContext: { runAsUser: 1001 } } },
    });
    const containers: { securityContext: object }[] =
      rendered.one('StatefulSet').spec.template.spec.containers;

    expect(containers).to.have.length(2);
    for (const container of containers)
      expect(container.securityContext).to.deep.include({ runAsUser: 1001, readOnlyRootFilesystem: true });
  });

  it('when an existing Secret is named, then the chart makes none and both Redis and the API read it', () => {
    const set = { 'redis.auth.existingSecret': 'mine', 'redis.auth.existingSecretPasswordKey': 'pw' };
    const rendered = renderChart({ set });

    expect(rendered.all('Secret')).to.have.length(0);
    const ref = { secretKeyRef: { name: 'mine', key: 'pw' } };
    expect(rendered.one('StatefulSet').spec.template.spec.containers[0].env[0].valueFrom).to.deep.equal(ref);
    expect(rendered.one('Deployment').spec.template.spec.containers[0].env[0].valueFrom).to.deep.equal(ref);
  });

  it('when the generated password changes between renders, then the Redis pods roll with the API pods (checksum/secret)', () => {
    const checksums = (rendered: ReturnType<typeof renderChart>) =>
      ['StatefulSet', 'Deployment'].map(
        (kind) => rendered.one(kind).spec.template.metadata.annotations['checksum/secret'],
      );
    // No cluster to look the Secret up in: every render makes a new password, as under `helm template`.
    const [redisFirst, apiFirst] = checksums(renderChart());
    const [redisSecond, apiSecond] = checksums(renderChart());

    expect(redisFirst).to.match(/^[0-9a-f]{64}$/);
    expect(redisSecond).not.to.equal(redisFirst);
    expect(apiSecond).not.to.equal(apiFirst);
  });

  it('when the password comes from an existing Secret, then two renders give the same checksum and nothing rolls', () => {
    const set = { 'redis.auth.existingSecret': 'mine' };
    const first = renderChart({ set }).one('StatefulSet').spec.template.metadata.annotations;
    const second = renderChart({ set }).one('StatefulSet').spec.template.metadata.annotations;

    expect(first['checksum/secret']).to.match(/^[0-9a-f]{64}$/);
    expect(second['checksum/secret']).to.equal(first['checksum/secret']);
  });

  it('when installed without an existing Secret, then NOTES.txt says how to keep one password under helm template (Argo CD, Flux)', () => {
    const notes = renderNotes();

    expect(notes).to.include('redis.auth.existingSecret');
    expect(notes).to.match(/helm template/);
    expect(renderNotes({ set: { 'redis.auth.existingSecret': 'mine' } })).not.to.include(
      'redis.auth.existingSecret',
    );
  });

  it('when persistence is off, then there is no claim and the AOF lives on an emptyDir', () => {
    const rendered = renderChart({ values: ['ci/persistence-off-values.yaml'] });
    const set = rendered.one('StatefulSet');

    expect(set.spec).not.to.have.property('volumeClaimTemplates');
    expect(set.spec.template.spec.volumes).to.deep.include({ name: 'data', emptyDir: {} });
    const conf: string = rendered.one('ConfigMap', 'shaservice-redis').data['redis.conf'];
    expect(conf)
      .to.match(/^appendfsync always$/m)
      .and.match(/^save 3600 1$/m);
  });

  describe('maxmemory, so that a full Redis refuses writes instead of being killed at its memory limit', () => {
    const redisConf = (inline: Record<string, unknown>): string =>
      renderChart({ inline }).one('ConfigMap', 'shaservice-redis').data['redis.conf'];
    const withLimit = (memory: string | number) =>
      redisConf({ redis: { resources: { limits: { memory } } } });

    it('when rendered with defaults (limit 512Mi), then maxmemory is 70% of the limit, with noeviction', () => {
      expect(redisConf({}))
        .to.match(/^maxmemory 375809638$/m)
        .and.match(/^maxmemory-policy noeviction$/m);
    });

    const limits: [string | number, number][] = [
      ['1Gi', 751619276],
      ['500M', 350000000],
      ['1.5Gi', 1127428915],
      ['2048Ki', 1468006],
      ['1G', 700000000],
      [536870912, 375809638],
      ['536870912', 375809638],
    ];
    for (const [limit, maxmemory] of limits) {
      it(`when the memory limit is ${JSON.stringify(limit)}, then maxmemory is ${maxmemory} bytes`, () => {
        expect(withLimit(limit)).to.match(new RegExp(`^maxmemory ${maxmemory}$`, 'm'));
      });
    }

    it('when there is no memory limit, then maxmemory is redis.maxmemory when given, and absent otherwise', () => {
      const unlimited = { resources: { limits: null, requests: { cpu: '50m', memory: '64Mi' } } };

      expect(redisConf({ redis: unlimited })).not.to.match(/^maxmemory /m);
      expect(redisConf({ redis: { ...unlimited, maxmemory: '300Mi' } })).to.match(/^maxmemory 314572800$/m);
    });

    it('when redis.maxmemory is given under a limit, then it wins; above the limit, rendering fails saying why', () => {
      expect(redisConf({ redis: { maxmemory: '400Mi' } })).to.match(/^maxmemory 419430400$/m);
      expect(() => redisConf({ redis: { maxmemory: '1Gi' } })).to.throw(
        /redis.maxmemory \(1Gi\) must be below redis.resources.limits.memory \(512Mi\)/,
      );
    });

    it('when the memory limit is not a Kubernetes quantity the chart reads, then rendering fails naming it', () => {
      expect(() => withLimit('lots')).to.throw(
        /redis.resources.limits.memory: "lots" is not a memory quantity/,
      );
    });
  });

  it('when Redis is external, then no Redis objects are rendered and the URL and its Secret are wired in', () => {
    const rendered = renderChart({ values: ['ci/external-redis-values.yaml'] });
    const container = rendered.one('Deployment').spec.template.spec.containers[0];

    expect(rendered.all('StatefulSet')).to.have.length(0);
    expect(rendered.manifests.filter((m) => m.metadata.name.endsWith('-redis'))).to.have.length(0);
    expect(rendered.one('ConfigMap').data.REDIS_URL).to.equal('rediss://redis.example.test:6380/2');
    expect(container.env).to.deep.equal([
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'managed-redis', key: 'password' } } },
    ]);
  });

  it('when the external password is given inline, then the chart keeps it in its own Secret', () => {
    const set = {
      'redis.enabled': false,
      'externalRedis.url': 'redis://r:6379',
      'externalRedis.password': 's3cret',
    };
    const rendered = renderChart({ set });

    const secret = rendered.one('Secret', 'shaservice');
    expect(Buffer.from(secret.data['redis-password'], 'base64').toString()).to.equal('s3cret');
    expect(rendered.one('ConfigMap').data).not.to.have.property('REDIS_PASSWORD');
  });

  describe('with a real redis-server', () => {
    let redis: RedisServer | undefined;

    before(function () {
      requireRedisServer(this);
    });

    afterEach(async () => {
      await redis?.destroy();
      redis = undefined;
    });

    it('when the rendered redis.conf and probes run against Redis 7, then it starts with AOF and both probes pass', async () => {
      let container: { livenessProbe: Probe; readinessProbe: Probe } | undefined;
      // The chart's redis.conf as rendered, but for the test's data directory (redis-server changes into the
      // `dir` while it reads the file, and /data does not exist here).
      redis = await RedisServer.startWithConfig(
        (port, dir) => {
          const rendered = renderChart({ set: { 'redis.port': port } });
          container = rendered.one('StatefulSet').spec.template.spec.containers[0];
          const conf: string = rendered.one('ConfigMap', 'shaservice-redis').data['redis.conf'];
          return conf.replace(/^dir \/data$/m, `dir ${dir}`);
        },
        ['--requirepass', 'pw'],
      );
      const probe = (p: Probe, password: string) =>
        execFileSync(p.exec.command[0]!, p.exec.command.slice(1), {
          env: { ...process.env, REDISCLI_AUTH: password },
        });

      expect(redis.cli('-a', 'pw', '--no-auth-warning', 'CONFIG', 'GET', 'appendonly')).to.include('yes');
      expect(redis.cli('-a', 'pw', '--no-auth-warning', 'CONFIG', 'GET', 'maxmemory')).to.include(
        '375809638',
      );
      expect(redis.cli('-a', 'pw', '--no-auth-warning', 'CONFIG', 'GET', 'maxmemory-policy')).to.include(
        'noeviction',
      );
      expect(redis.cli('-a', 'pw', '--no-auth-warning', 'CONFIG', 'GET', 'appendfsync')).to.include(
        'everysec',
      );
      expect(() => probe(container!.livenessProbe, 'pw')).not.to.throw();
      expect(() => probe(container!.readinessProbe, 'pw')).not.to.throw();
      expect(() => probe(container!.readinessProbe, 'wrong')).to.throw();
    });

    it('when Redis runs with the maxmemory rendered for a small limit and is filled, then writes are refused with OOM and reads go on', async () => {
      redis = await RedisServer.startWithConfig((port, dir) => {
        const inline = { redis: { port, resources: { limits: { memory: '8Mi' } } } };
        const conf: string = renderChart({ inline }).one('ConfigMap', 'shaservice-redis').data['redis.conf'];
        return conf.replace(/^dir \/data$/m, `dir ${dir}`);
      });
      const client = new Redis({ port: redis.port, host: '127.0.0.1', lazyConnect: true });
      await client.connect();
      try {
        const value = 'x'.repeat(16 * 1024);
        let refused: Error | undefined;
        let stored = 0;
        // 8 MiB at most: maxmemory (70% of it) is reached well before.
        while (!refused && stored < 512) {
          await client.set(`k${stored}`, value).then(
            () => stored++,
            (error: Error) => (refused = error),
          );
        }

        expect(refused?.message).to.match(/^OOM command not allowed when used memory > 'maxmemory'/);
        expect(stored).to.be.above(100);
        expect(await client.get('k0')).to.equal(value);
        expect(await client.dbsize()).to.equal(stored);
      } finally {
        client.disconnect();
      }
      expect(redis.running).to.equal(true);
    });
  });
});

interface Probe {
  exec: { command: string[] };
}
