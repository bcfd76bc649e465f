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
      bucketBits: 16,
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

  describe('values quoted in problems', () => {
    for (const [name, value, shown] of [
      ['REDIS_URL', 'redis://:pa/ss@host:6379', 'redis://***@host:6379'],
      ['REDIS_URL', 'redis:/:hunter2@host:6379', '***@host:6379'],
      ['REDIS_URL', 'redis//:hunter2@host', '***@host'],
      ['REDIS_URL', 'user:hunter2@host:6379', '***@host:6379'],
      ['REDIS_CLUSTER_NODES', 'redis://:hunter2@n1:7000', 'redis://***@n1:7000'],
      ['REDIS_SENTINELS', 'default:hunter2@s1:26379', '***@s1:26379'],
      ['PORT', 'admin:hunter2@8080', '***@8080'],
    ] as const) {
      it(`when ${name}=${value} is refused, then what stands before its last @ is masked`, () => {
        const problems = problemsOf({ [name]: value, REDIS_SENTINEL_MASTER: 'm' }).join('\n');

        expect(problems).to.include(`(got "${shown}")`);
        expect(problems).not.to.match(/hunter2|pa\/ss/);
      });
    }

    it('when a secret file named by a URL cannot be read, then the path is masked wherever it is shown', () => {
      const readFile = (path: string) => {
        throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      };

      const load = () =>
        loadConfig({ REDIS_URL: 'redis://r', REDIS_PASSWORD_FILE: 'redis://:hunter2@r' }, readFile);

      expect(load)
        .to.throw(ConfigError)
        .with.property('problems')
        .that.deep.equals([
          "REDIS_PASSWORD_FILE redis://***@r cannot be read: ENOENT: no such file or directory, open 'redis://***@r'",
        ]);
    });
  });

  describe('numbers', () => {
    it('when a number is only blanks, then it counts as unset, like an empty one, not as 0', () => {
      const config = loadConfig({
        PORT: '   ',
        METRICS_PORT: '\n',
        CACHE_MAX_BYTES: ' \t',
        SHUTDOWN_DELAY_MS: ' ',
        SHUTDOWN_TIMEOUT_MS: '\r\n',
      });

      expect(config).to.include({
        port: 8080,
        metricsPort: 9464,
        cacheMaxBytes: 64 * 2 ** 20,
        shutdownDelayMs: 2000,
        shutdownTimeoutMs: 10000,
      });
    });

    for (const value of ['Infinity', '-Infinity', '0x4650', '1.8e4', '+8080', ' 8080']) {
      it(`when PORT is ${JSON.stringify(value)}, then only decimal digits make a number, and it is refused`, () => {
        expect(problemsOf({ PORT: value })).to.deep.equal([
          `PORT must be integer (got ${JSON.stringify(value)})`,
        ]);
      });
    }

    it("when a millisecond setting is above 2147483647, then it is refused: Node's timers would fire after 1 ms", () => {
      const env = {
        REDIS_URL: 'redis://r',
        SHUTDOWN_DELAY_MS: '3000000000',
        REDIS_COMMAND_TIMEOUT_MS: '3000000000',
        REQUEST_TIMEOUT_MS: 'Infinity',
      };

      expect(problemsOf(env)).to.deep.equal([
        'REDIS_COMMAND_TIMEOUT_MS must be <= 2147483647 (got "3000000000")',
        'REQUEST_TIMEOUT_MS must be integer (got "Infinity")',
        'SHUTDOWN_DELAY_MS must be <= 2147483647 (got "3000000000")',
      ]);
      expect(loadConfig({ SHUTDOWN_DELAY_MS: '2147483647' }).shutdownDelayMs).to.equal(2147483647);
    });

    it('when the schema is read, then every integer setting has a maximum, 2147483647 for milliseconds', () => {
      for (const [name, schema] of Object.entries(configSchema.properties)) {
        if (schema.type !== 'integer') continue;
        expect(schema, name).to.have.property('maximum').that.is.at.most(Number.MAX_SAFE_INTEGER);
        if (name.endsWith('_MS')) expect(schema.maximum, name).to.equal(2 ** 31 - 1);
      }
    });

    it('when MAX_BODY_BYTES is beyond exact integers, then that value is the problem, not the lookup budget', () => {
      expect(problemsOf({ MAX_BODY_BYTES: '99999999999999999999' })).to.deep.equal([
        'MAX_BODY_BYTES must be <= 9007199254740991 (got "99999999999999999999")',
      ]);
    });
  });

  describe('problems judged without a refused value', () => {
    const heap = 280 * 2 ** 20;

    for (const [what, env, first] of [
      [
        'the cache cannot fit',
        { CACHE_MAX_BYTES: String(400 * 2 ** 20), LOOKUP_MAX_BYTES: String(100 * 2 ** 20) },
        /^CACHE_MAX_BYTES=419430400 needs a heap/,
      ],
      [
        'the cache is not a number',
        { CACHE_MAX_BYTES: 'abc', LOOKUP_MAX_BYTES: String(100 * 2 ** 20) },
        /^CACHE_MAX_BYTES must be integer/,
      ],
    ] as const) {
      it(`when ${what} and the lookup budget could not fit even without a cache, then both are listed`, () => {
        const problems = problemsOf(env, heap);

        expect(problems).to.have.length(2);
        expect(problems[0]).to.match(first);
        expect(problems[1]).to.equal(
          'LOOKUP_MAX_BYTES=104857600 needs up to 400 MiB of heap for a lookup, even without a cache, beside ' +
            "96 MiB: a heap of 496 MiB, but Node's is limited to 280 MiB: raise --max-old-space-size in " +
            "NODE_OPTIONS (the chart's nodeOptions) or lower LOOKUP_MAX_BYTES",
        );
      });
    }

    it('when MAX_BODY_BYTES is not a number and the lookup budget cannot fit, then both are listed', () => {
      const problems = problemsOf({ MAX_BODY_BYTES: 'abc', LOOKUP_MAX_BYTES: String(100 * 2 ** 20) }, heap);

      expect(problems).to.have.length(2);
      expect(problems[0]).to.equal('MAX_BODY_BYTES must be integer (got "abc")');
      expect(problems[1]).to.match(/^LOOKUP_MAX_BYTES=104857600 needs up to 400 MiB .* beside the cache and/);
    });

    it('when LOOKUP_MAX_BYTES is unset and MAX_BODY_BYTES makes the budget too large, then MAX_BODY_BYTES is named', () => {
      expect(problemsOf({ MAX_BODY_BYTES: String(100 * 2 ** 20) }, heap)).to.deep.equal([
        'MAX_BODY_BYTES=104857600 (the lookup budget while LOOKUP_MAX_BYTES is unset) needs up to 400 MiB of ' +
          "heap for a lookup, beside the cache and 96 MiB: a heap of 560 MiB, but Node's is limited to 280 MiB: " +
          "raise --max-old-space-size in NODE_OPTIONS (the chart's nodeOptions) or lower MAX_BODY_BYTES (or " +
          'CACHE_MAX_BYTES)',
      ]);
    });
  });

  describe('REDIS_URL', () => {
    for (const url of ['redis://', 'redis:///0']) {
      it(`when it is ${url}, then it is refused: ioredis would connect to localhost`, () => {
        expect(problemsOf({ REDIS_URL: url })).to.deep.equal([`REDIS_URL names no host (got "${url}")`]);
      });
    }

    for (const path of ['/abc', '/1.5', '/-1', '/0/1', '/ 1']) {
      it(`when its path is ${path}, then it is refused: ioredis would SELECT what is not a database number`, () => {
        expect(problemsOf({ REDIS_URL: `redis://r:6379${path}` })).to.deep.equal([
          "REDIS_URL's path must be a database number, /0 up to the server's `databases` less one " +
            `(got "redis://r:6379${path}")`,
        ]);
      });
    }

    it('when its path is empty, / or a database number, then it is accepted', () => {
      for (const url of ['redis://r', 'redis://r:6379/', 'redis://r:6379/15', 'rediss://[::1]:6380/0']) {
        expect(loadConfig({ REDIS_URL: url }).redis?.topology, url).to.deep.equal({
          kind: 'standalone',
          url,
        });
      }
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
