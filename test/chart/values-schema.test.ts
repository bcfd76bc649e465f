import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CHART_DIR, ciValuesFiles, renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';
import { refusedBySchema, SCHEMA_REFUSAL_HEADING, schemaRefusal } from './refused-by-schema.js';

type Values = Record<string, unknown>;

const readYaml = (file: string) => (parse(readFileSync(join(CHART_DIR, file), 'utf8')) ?? {}) as Values;
const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);

/** Helm checks the merged values (defaults, then overrides), so the test does too. */
function merged(overrides: Values, into: Values = readYaml('values.yaml')): Values {
  for (const [key, value] of Object.entries(overrides)) {
    const current = into[key];
    const bothObjects = [current, value].every((v) => v && typeof v === 'object' && !Array.isArray(v));
    into[key] = bothObjects ? merged(value as Values, current as Values) : value;
  }
  return into;
}

function problems(values: Values): string[] {
  return validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

describe('chart values.schema.json', () => {
  it('when values.yaml is checked, then it is valid', () => {
    expect(problems(readYaml('values.yaml'))).to.deep.equal([]);
  });

  for (const file of ciValuesFiles()) {
    it(`when ${file} is merged over the defaults, then it is valid`, () => {
      expect(problems(merged(readYaml(file)))).to.deep.equal([]);
    });
  }

  const bad: [string, Values, RegExp][] = [
    ['replicaCount is a string', { replicaCount: 'two' }, /\/replicaCount must be integer/],
    ['an unknown top-level key', { replicas: 3 }, /must NOT have additional properties/],
    ['a typo inside ingress', { ingress: { enable: true } }, /\/ingress must NOT have additional properties/],
    ['appendfsync is not a Redis choice', { redis: { appendfsync: 'sometimes' } }, /\/redis\/appendfsync/],
    [
      'the log level is unknown',
      { config: { logLevel: 'loud' } },
      /\/config\/logLevel must be equal to one of/,
    ],
    ['the external URL is http', { externalRedis: { url: 'http://x' } }, /\/externalRedis\/url must match/],
    [
      'redis.architecture is not standalone or sentinel',
      { redis: { architecture: 'cluster' } },
      /\/redis\/architecture must be equal to one of the allowed values/,
    ],
    [
      'an external sentinel has no port',
      { externalRedis: { sentinels: ['sentinel-0.example.test'] } },
      /\/externalRedis\/sentinels\/0 must match/,
    ],
    [
      'a Sentinel group of two',
      { redis: { sentinel: { nodes: 2 } } },
      /\/redis\/sentinel\/nodes must be >= 3/,
    ],
    [
      'maxBodyBytes is a size string',
      { config: { maxBodyBytes: '1m' } },
      /\/config\/maxBodyBytes must be integer/,
    ],
    // The rules across values, in JSON Schema's own terms (ajv here, Helm's validator in the renders below).
    [
      'the external Redis has no topology',
      { redis: { enabled: false } },
      /\/externalRedis must have required property 'url, sentinels or clusterNodes \(redis.enabled is false\)'/,
    ],
    [
      'the external Redis has two topologies',
      { redis: { enabled: false }, externalRedis: { url: 'redis://r:6379', clusterNodes: ['c:6379'] } },
      /\/externalRedis\/clusterNodes must NOT have more than 0 items/,
    ],
    [
      'external sentinels have no master name',
      { redis: { enabled: false }, externalRedis: { sentinels: ['s:26379'] } },
      /\/externalRedis\/sentinelMaster must NOT have fewer than 1 characters/,
    ],
    [
      'a standalone external URL has tls',
      { redis: { enabled: false }, externalRedis: { url: 'redis://r:6379', tls: true } },
      /\/externalRedis\/tls must be equal to constant/,
    ],
    [
      'a NAT map comes without cluster nodes',
      { redis: { enabled: false }, externalRedis: { url: 'redis://r:6379', natMap: { 'a:1': 'b:2' } } },
      /\/externalRedis\/natMap must NOT have more than 0 properties/,
    ],
    [
      "the chart's standalone Redis is asked for replica acks",
      { config: { redisMinReplicaAcks: 1 } },
      /\/config\/redisMinReplicaAcks must be equal to one of the allowed values/,
    ],
    [
      'the Ingress and the HTTPRoute are both enabled',
      { ingress: { enabled: true }, httpRoute: { enabled: true } },
      /\/httpRoute\/enabled must be equal to constant/,
    ],
    [
      'a certificate has no issuer',
      { ingress: { enabled: true }, certificate: { enabled: true } },
      /\/certificate\/issuerRef\/name must NOT have fewer than 1 characters/,
    ],
    [
      'a certificate has nothing to serve it',
      { certificate: { enabled: true, issuerRef: { name: 'ca' } } },
      /\/ingress\/enabled must be equal to constant/,
    ],
    [
      'a route timeout is not a Gateway API duration',
      { httpRoute: { timeouts: { backendRequest: '10 s' } } },
      /\/httpRoute\/timeouts\/backendRequest must match pattern/,
    ],
    [
      'the redirect status is not a redirect Gateway API allows',
      { httpRoute: { httpsRedirect: { statusCode: 304 } } },
      /\/httpRoute\/httpsRedirect\/statusCode must be equal to one of the allowed values/,
    ],
  ];
  for (const [what, overrides, message] of bad) {
    it(`when ${what}, then the schema rejects it and names the value`, () => {
      expect(problems(merged(overrides)).join('\n')).to.match(message);
    });
  }

  it('when a rule spans several values, then the README says what its refusal means', () => {
    // Helm prints the validator's lines only, not the descriptions: the README's table explains each one.
    const readme = readFileSync(join(CHART_DIR, '../../README.md'), 'utf8');
    const rules = (schema as { allOf: { description: string }[] }).allOf;
    const messages = rules.map((rule) => /Helm(?: \(.*?\))?: (.+)\.$/.exec(rule.description)?.[1]);

    expect(messages).not.to.include(undefined);
    for (const message of messages) expect(readme, message).to.include(`| \`${message}\``);
  });

  it('when a rule spans several values, then it says in its description what it asks for', () => {
    const rules = (schema as { allOf?: { description?: string }[] }).allOf ?? [];
    const undescribed = rules.filter((rule) => !rule.description).map((rule) => JSON.stringify(rule));

    expect(rules).to.have.length.above(0);
    expect(undescribed).to.deep.equal([]);
  });

  it('when values.yaml is read, then every value has a `# --` comment, on itself or on the object holding it', () => {
    const lines = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8').split('\n');
    const undocumented: string[] = [];
    // Documented ancestors, by indentation: a `# --` on `resources:` covers `resources.limits.memory`.
    let ancestors: { indent: number; documented: boolean }[] = [];
    lines.forEach((line, index) => {
      const key = /^(\s*)([A-Za-z]\w*):(.*)$/.exec(line);
      if (!key) return;
      const indent = key[1]!.length;
      ancestors = ancestors.filter((ancestor) => ancestor.indent < indent);
      let above = index - 1;
      while (above >= 0 && /^\s*#(?! --)/.test(lines[above]!)) above--; // continuation lines of a comment
      const documented = /^\s*# -- /.test(lines[above] ?? '') || ancestors.some((a) => a.documented);
      const isLeaf = key[3]!.trim() !== '';
      if (isLeaf && !documented) undocumented.push(`${index + 1}: ${line.trim()}`);
      ancestors.push({ indent, documented });
    });
    expect(undocumented).to.deep.equal([]);
  });
});

describe('chart values.schema.json, as Helm enforces it before rendering', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when a value breaks the schema, then rendering fails naming it, as `helm template` does', () => {
    expect(() => renderChart({ set: { replicaCount: 'two' } })).to.throw(
      /- replicaCount: Invalid type. Expected: integer, given: string/,
    );
  });

  it('when a key is misspelt, then rendering is refused naming it, not rendered without what it meant', () => {
    expect(() => renderChart({ set: { 'ingress.enabeld': true } })).to.throw(
      /- ingress: Additional property enabeld is not allowed/,
    );
  });

  it('when a NAT map is given without cluster nodes, then rendering is refused saying where it applies', () => {
    const set = {
      'redis.enabled': false,
      'externalRedis.url': 'redis://r:6379',
      'externalRedis.natMap.a:1': 'b:2',
    };

    expect(() => renderChart({ set })).to.throw(
      refusedBySchema('externalRedis.natMap: Must have at most 0 properties'),
    );
  });

  it("when values break a rule, then the refusal is Helm's own message, with nothing added", () => {
    const set = { 'ingress.enabled': true, 'httpRoute.enabled': true };

    expect(schemaRefusal(() => renderChart({ set }))).to.equal(
      [
        SCHEMA_REFUSAL_HEADING,
        '- (root): Must validate "then" as "if" was valid',
        '- httpRoute.enabled: httpRoute.enabled does not match: false',
        '- (root): Must validate all the schemas (allOf)',
      ].join('\n'),
    );
  });

  for (const [what, set] of [
    ['a url', { 'externalRedis.url': 'redis://r:6379' }],
    ['sentinels', { 'externalRedis.sentinels': '{s:26379}', 'externalRedis.sentinelMaster': 'm' }],
    ['cluster nodes', { 'externalRedis.clusterNodes': '{c:6379}' }],
  ] as const) {
    it(`when the external Redis is given ${what} but redis.enabled stays true, then it is refused asking for redis.enabled false`, () => {
      expect(() => renderChart({ set })).to.throw(
        refusedBySchema('redis.enabled: redis.enabled does not match: false'),
      );
      expect(renderChart({ set: { ...set, 'redis.enabled': false } }).all('StatefulSet')).to.have.length(0);
    });
  }

  it('when the external Redis URL holds a password, then it is refused (the URL is in a ConfigMap and NOTES.txt)', () => {
    const set = { 'redis.enabled': false, 'externalRedis.url': 'redis://:secret@redis.example.test:6379' };

    expect(() => renderChart({ set })).to.throw(
      refusedBySchema("externalRedis.url: Does not match pattern '^[^@]*$'"),
    );
  });

  it('when an extraEnv value is not a string, then it is refused, as Kubernetes would refuse the Deployment', () => {
    const inline = { extraEnv: [{ name: 'UV_THREADPOOL_SIZE', value: 3 }] };

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema('extraEnv.0.value: Invalid type. Expected: string, given: integer'),
    );
    const quoted = renderChart({ inline: { extraEnv: [{ name: 'UV_THREADPOOL_SIZE', value: '3' }] } });
    expect(quoted.one('Deployment').spec.template.spec.containers[0].env).to.deep.include({
      name: 'UV_THREADPOOL_SIZE',
      value: '3',
    });
  });

  it('when the Redis image tag is empty, then it is refused rather than rendered as "redis:"', () => {
    expect(() => renderChart({ inline: { redis: { image: { tag: '' } } } })).to.throw(
      refusedBySchema('redis.image.tag: String length must be greater than or equal to 1'),
    );
  });

  it('when a security context field is misspelt, then it is refused instead of silently left out', () => {
    expect(() =>
      renderChart({ inline: { containerSecurityContext: { readOnlyRootFileSystem: true } } }),
    ).to.throw(
      refusedBySchema('containerSecurityContext: Additional property readOnlyRootFileSystem is not allowed'),
    );
    expect(() => renderChart({ inline: { redis: { podSecurityContext: { runAsUSer: 999 } } } })).to.throw(
      refusedBySchema('redis.podSecurityContext: Additional property runAsUSer is not allowed'),
    );
  });

  it('when the chart is a subchart, then the `global` values Helm injects are accepted', () => {
    const rendered = renderChart({ inline: { global: { imageRegistry: 'registry.example.test', n: 1 } } });

    expect(rendered.one('Deployment').metadata.name).to.equal('shaservice');
  });

  it('when CPU is a number and the image tag is numeric, then they are accepted and rendered as Kubernetes wants them', () => {
    const rendered = renderChart({
      inline: {
        image: { tag: 24 },
        resources: { requests: { cpu: 0.5, memory: '128Mi' }, limits: { cpu: 2, memory: '320Mi' } },
        redis: { image: { tag: 7.4 }, resources: { requests: { cpu: 0.25 } } },
      },
    });
    const api = rendered.one('Deployment').spec.template.spec.containers[0];
    const redis = rendered.one('StatefulSet').spec.template.spec.containers[0];

    expect(api.image).to.equal('shaservice:24');
    expect(api.resources.requests.cpu).to.equal(0.5);
    expect(api.resources.limits.cpu).to.equal(2);
    expect(redis.image).to.equal('redis:7.4');
    expect(redis.resources.requests.cpu).to.equal(0.25);
    for (const manifest of rendered.manifests) expect(schemaProblems(manifest)).to.deep.equal([]);
  });

  it('when the image tag is a large whole number, then it is written out in full, not in exponent form', () => {
    const rendered = renderChart({ inline: { image: { tag: 20261130 } } });

    expect(rendered.one('Deployment').spec.template.spec.containers[0].image).to.equal('shaservice:20261130');
  });
});
