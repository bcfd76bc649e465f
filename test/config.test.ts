import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ConfigError, configSchema, loadConfig } from '../service/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
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

  it('when REDIS_URL is set, then Redis settings are read with their defaults', () => {
    const config = loadConfig({ REDIS_URL: 'rediss://:pw@redis.example:6380/2', REDIS_KEY_PREFIX: 'x:' });

    expect(config.redis).to.deep.equal({
      url: 'rediss://:pw@redis.example:6380/2',
      password: undefined,
      keyPrefix: 'x:',
      commandTimeoutMs: 500,
      connectTimeoutMs: 2000,
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

  it('when PORT and METRICS_PORT are the same, then that is a problem', () => {
    expect(problemsOf({ PORT: '9000', METRICS_PORT: '9000' })).to.deep.equal([
      'PORT and METRICS_PORT must differ (both are 9000)',
    ]);
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
