import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { configSchema } from '../service/config-schema.js';
import { ConfigError, loadConfig } from '../service/config.js';

function problemsOf(env: Record<string, string>, heapLimitBytes?: number): string[] {
  try {
    loadConfig(env, undefined, heapLimitBytes);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('when nothing is set, then every setting has its documented default and the embedded store is used', () => {
    const config = loadConfig({});

    expect(config).to.include({
      port: 8080,
      metricsPort: 9464,
      cacheMaxBytes: 64 * 1024 * 1024,
      maxBodyBytes: 1024 * 1024,
      logLevel: 'info',
      keepAliveTimeoutMs: 65000,
    });
    expect(config.redis).to.equal(undefined);
    expect(config.host).to.equal(undefined);
  });

  it('when REDIS_URL is not a Redis URL, then the problem quotes it without its password', () => {
    const problems = problemsOf({ REDIS_URL: 'http://user:S3cretPW-xyz@r:6379' }).join('\n');

    expect(problems).to.include('must start with redis:// or rediss:// (got "http://***@r:6379")');
    expect(problems).not.to.include('S3cretPW');
  });

  it('when REDIS_URL is set, then Redis settings are read with their defaults', () => {
    const config = loadConfig({ REDIS_URL: 'rediss://:pw@redis.example:6380/2', REDIS_KEY_PREFIX: 'x:' });

    expect(config.redis).to.deep.equal({
      topology: { kind: 'standalone', url: 'rediss://:pw@redis.example:6380/2' },
      username: undefined,
      password: undefined,
      tls: true,
      tlsCa: undefined,
      keyPrefix: 'x:',
      commandTimeoutMs: 500,
      connectTimeoutMs: 2000,
      minReplicaAcks: 0,
      replicaAckTimeoutMs: 200,
    });
  });

  it('when numbers are given as strings, then they are read as integers', () => {
    const config = loadConfig({ PORT: '3000', CACHE_MAX_BYTES: '0', MAX_BODY_BYTES: '2048' });

    expect(config).to.include({ port: 3000, cacheMaxBytes: 0, maxBodyBytes: 2048 });
  });

  it('when a variable is set but empty, then it counts as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' })).to.include({ port: 8080, redis: undefined });
  });

  it('when several settings are wrong, then every problem is listed at once, naming each variable', () => {
    const problems = problemsOf({
      PORT: 'abc',
      METRICS_PORT: '70000',
      REDIS_URL: 'http://redis:6379',
      CACHE_MAX_BYTES: '-1',
      LOG_LEVEL: 'loud',
      SHUTDOWN_TIMEOUT_MS: '1.5',
    });

    expect(problems).to.have.length(6);
    for (const name of [
      'PORT',
      'METRICS_PORT',
      'REDIS_URL',
      'CACHE_MAX_BYTES',
      'LOG_LEVEL',
      'SHUTDOWN_TIMEOUT_MS',
    ]) {
      expect(
        problems.some((p) => p.startsWith(`${name} `)),
        name,
      ).to.equal(true);
    }
    expect(problems.join('\n')).to.include('"abc"').and.include('must start with redis:// or rediss://');
  });

  it('when a setting is malformed and two others conflict, then one error names both problems', () => {
    const load = () => loadConfig({ PORT: 'x', REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's:26379' });

    expect(load)
      .to.throw(ConfigError)
      .with.property('message')
      .that.includes('PORT must be integer (got "x")')
      .and.includes('Set only one Redis topology: REDIS_URL and REDIS_SENTINELS are both set');
  });

  it('when the cache is too large and the lookup budget too small, then both problems are listed', () => {
    const env = { CACHE_MAX_BYTES: String(400 * 2 ** 20), MAX_BODY_BYTES: '4096', LOOKUP_MAX_BYTES: '4095' };

    const problems = problemsOf(env, 280 * 2 ** 20);

    expect(problems).to.have.length(2);
    expect(problems[0]).to.match(/^CACHE_MAX_BYTES=419430400 needs a heap/);
    expect(problems[1]).to.match(/^LOOKUP_MAX_BYTES=4095 is below MAX_BODY_BYTES=4096/);
  });

  it('when a refused value takes part in a rule across settings, then only the value is reported', () => {
    const env = { REDIS_URL: 'redis://r', REDIS_MIN_REPLICA_ACKS: '1', REDIS_COMMAND_TIMEOUT_MS: '0' };

    expect(problemsOf(env)).to.deep.equal(['REDIS_COMMAND_TIMEOUT_MS must be >= 1 (got "0")']);
  });

  it("when the request timeout is set, then the headers timeout is the same, at most Node's default 60 s", () => {
    expect(loadConfig({}).headersTimeoutMs).to.equal(30_000);
    expect(loadConfig({ REQUEST_TIMEOUT_MS: '90000' }).headersTimeoutMs).to.equal(60_000);
  });

  it('when PORT and METRICS_PORT are the same, then that is a problem', () => {
    expect(problemsOf({ PORT: '9000', METRICS_PORT: '9000' })).to.deep.equal([
      'PORT and METRICS_PORT must differ (both are 9000)',
    ]);
  });

  it('when the cache does not fit in the heap Node was given, then that is a problem naming NODE_OPTIONS', () => {
    const heap = 280 * 2 ** 20;
    const loaded = loadConfig({ CACHE_MAX_BYTES: String(64 * 2 ** 20) }, undefined, heap);
    expect(loaded.cacheMaxBytes).to.equal(64 * 2 ** 20);

    expect(() => loadConfig({ CACHE_MAX_BYTES: String(200 * 2 ** 20) }, undefined, heap))
      .to.throw(ConfigError)
      .with.property('problems')
      .that.deep.equals([
        "CACHE_MAX_BYTES=209715200 needs a heap of 296 MiB, but Node's is limited to 280 MiB: raise " +
          "--max-old-space-size in NODE_OPTIONS (the chart's nodeOptions) or lower CACHE_MAX_BYTES",
      ]);
  });

  describe('LOOKUP_MAX_BYTES', () => {
    it('when it is unset, then a lookup answer may hold 4 MiB of messages, or MAX_BODY_BYTES if larger', () => {
      expect(loadConfig({}).lookupMaxBytes).to.equal(4 * 2 ** 20);
      expect(loadConfig({ MAX_BODY_BYTES: String(6 * 2 ** 20) }).lookupMaxBytes).to.equal(6 * 2 ** 20);
    });

    it('when it is set, then that is the budget', () => {
      expect(loadConfig({ LOOKUP_MAX_BYTES: '2000000' }).lookupMaxBytes).to.equal(2_000_000);
    });

    it('when it is below MAX_BODY_BYTES, then that is a problem: the largest message could never be looked up', () => {
      expect(problemsOf({ MAX_BODY_BYTES: '4096', LOOKUP_MAX_BYTES: '4095' })).to.deep.equal([
        'LOOKUP_MAX_BYTES=4095 is below MAX_BODY_BYTES=4096: a message as large as a body allows could never ' +
          'be looked up; set it to at least 4096',
      ]);
    });

    it('when a lookup at the budget does not fit in the heap beside the cache, then that is a problem naming NODE_OPTIONS', () => {
      const heap = 184 * 2 ** 20; // the image's --max-old-space-size=160 --max-semi-space-size=8
      expect(loadConfig({}, undefined, heap).lookupMaxBytes).to.equal(4 * 2 ** 20);

      expect(() => loadConfig({ LOOKUP_MAX_BYTES: String(8 * 2 ** 20) }, undefined, heap))
        .to.throw(ConfigError)
        .with.property('problems')
        .that.deep.equals([
          'LOOKUP_MAX_BYTES=8388608 needs up to 32 MiB of heap for a lookup, beside the cache and 96 MiB: a ' +
            "heap of 192 MiB, but Node's is limited to 184 MiB: raise --max-old-space-size in NODE_OPTIONS " +
            "(the chart's nodeOptions) or lower LOOKUP_MAX_BYTES (or CACHE_MAX_BYTES)",
        ]);
    });
  });

  describe('Redis topologies', () => {
    it('when REDIS_SENTINELS is set, then the sentinels, master name and passwords are read', () => {
      const config = loadConfig({
        REDIS_SENTINELS: 'sentinel-0:26379,[::1]:26380',
        REDIS_SENTINEL_MASTER: 'mymaster',
        REDIS_SENTINEL_PASSWORD: 'spw',
        REDIS_USERNAME: 'app',
        REDIS_PASSWORD: 'pw',
      });

      expect(config.redis?.topology).to.deep.equal({
        kind: 'sentinel',
        sentinels: [
          { host: 'sentinel-0', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        masterName: 'mymaster',
        sentinelPassword: 'spw',
      });
      expect(config.redis).to.include({ username: 'app', password: 'pw', tls: false });
    });

    it('when REDIS_CLUSTER_NODES is set, then the seeds and the NAT map are read', () => {
      const config = loadConfig({
        REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:7001',
        REDIS_CLUSTER_NAT_MAP: '10.0.0.5:6379=127.0.0.1:7000',
        REDIS_TLS: 'true',
      });

      expect(config.redis?.topology).to.deep.equal({
        kind: 'cluster',
        nodes: [
          { host: '127.0.0.1', port: 7000 },
          { host: '127.0.0.1', port: 7001 },
        ],
        natMap: { '10.0.0.5:6379': { host: '127.0.0.1', port: 7000 } },
      });
      expect(config.redis?.tls).to.equal(true);
    });

    it('when the password comes from a file, then it is read and its trailing newline dropped', () => {
      const files: Record<string, string> = { '/run/secrets/redis': 's3cret\n', '/run/ca.pem': 'PEM' };
      const readFile = (path: string) => files[path] ?? '';
      const config = loadConfig(
        {
          REDIS_URL: 'redis://r:6379',
          REDIS_PASSWORD_FILE: '/run/secrets/redis',
          REDIS_TLS_CA_FILE: '/run/ca.pem',
        },
        readFile,
      );

      expect(config.redis).to.include({ password: 's3cret', tlsCa: 'PEM' });
    });

    for (const [what, env, problem] of [
      [
        'two topologies',
        { REDIS_URL: 'redis://r', REDIS_CLUSTER_NODES: 'c:7000' },
        /only one Redis topology: REDIS_URL and REDIS_CLUSTER_NODES/,
      ],
      ['sentinels without a master name', { REDIS_SENTINELS: 's:26379' }, /needs REDIS_SENTINEL_MASTER/],
      [
        'a sentinel master without sentinels',
        { REDIS_URL: 'redis://r', REDIS_SENTINEL_MASTER: 'm' },
        /REDIS_SENTINEL_MASTER has no effect without REDIS_SENTINELS/,
      ],
      [
        'a NAT map without a cluster',
        { REDIS_URL: 'redis://r', REDIS_CLUSTER_NAT_MAP: 'a:1=b:2' },
        /REDIS_CLUSTER_NAT_MAP has no effect/,
      ],
      [
        'a password and a password file',
        { REDIS_URL: 'redis://r', REDIS_PASSWORD: 'a', REDIS_PASSWORD_FILE: '/f' },
        /not both/,
      ],
      ['TLS with a redis:// URL', { REDIS_URL: 'redis://r', REDIS_TLS: 'true' }, /use a rediss:\/\/ URL/],
      [
        'an ack timeout above the command timeout',
        { REDIS_URL: 'redis://r', REDIS_MIN_REPLICA_ACKS: '1', REDIS_REPLICA_ACK_TIMEOUT_MS: '900' },
        /must be below REDIS_COMMAND_TIMEOUT_MS/,
      ],
      [
        'replica acks with the embedded store',
        { REDIS_MIN_REPLICA_ACKS: '1' },
        /REDIS_MIN_REPLICA_ACKS: no effect without REDIS_URL/,
      ],
      ['a port that is out of range', { REDIS_URL: 'redis://:pw@r:99999' }, /REDIS_URL is not a valid URL/],
      [
        'a password that is not percent-encoded',
        { REDIS_URL: 'redis://:S3cret PW%zz@r:6379' },
        /REDIS_URL is not a valid URL \(got "redis:\/\/\*\*\*@r:6379"\); percent-encode its password/,
      ],
      [
        'a malformed sentinel list',
        { REDIS_SENTINELS: 's:26379,nope', REDIS_SENTINEL_MASTER: 'm' },
        /REDIS_SENTINELS must match/,
      ],
    ] as const) {
      it(`when given ${what}, then start-up stops saying so`, () => {
        expect(problemsOf(env).join('\n')).to.match(problem);
      });
    }

    it('when the password file cannot be read, then the problem names the file', () => {
      const readFile = () => {
        throw new Error('ENOENT: no such file');
      };
      expect(() => loadConfig({ REDIS_URL: 'redis://r', REDIS_PASSWORD_FILE: '/nope' }, readFile)).to.throw(
        ConfigError,
        'REDIS_PASSWORD_FILE /nope cannot be read: ENOENT',
      );
    });
  });

  it('when the error is printed, then it is one readable block listing the problems', () => {
    const error = new ConfigError(['A is wrong', 'B is wrong']);
    expect(error.message).to.equal('Invalid configuration:\n  - A is wrong\n  - B is wrong');
  });

  it('when the README is read, then its configuration table lists every setting with its default', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const [name, schema] of Object.entries(configSchema.properties)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\``));
      expect(row, `README row for ${name}`).to.be.a('string');
      if ('default' in schema && schema.default !== '') expect(row).to.include(`\`${schema.default}\``);
    }
  });
});
