import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { renderChart, renderNotes, requireRenderer } from '../helpers/chart.js';
import { RedisServer } from '../../tools/stack/redis-server.js';
import { requireRedisServer } from '../helpers/require-command.js';

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
      expect(redis.cli('-a', 'pw', '--no-auth-warning', 'CONFIG', 'GET', 'appendfsync')).to.include(
        'everysec',
      );
      expect(() => probe(container!.livenessProbe, 'pw')).not.to.throw();
      expect(() => probe(container!.readinessProbe, 'pw')).not.to.throw();
      expect(() => probe(container!.readinessProbe, 'wrong')).to.throw();
    });
  });
});

interface Probe {
  exec: { command: string[] };
}
