import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CHART_DIR, ciValuesFiles, renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';
import { refusedBySchema } from './refused-by-schema.js';

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
      /\/externalRedis must match exactly one schema in oneOf/,
    ],
    [
      'the external Redis has two topologies',
      { redis: { enabled: false }, externalRedis: { url: 'redis://r:6379', clusterNodes: ['c:6379'] } },
      /\/externalRedis must match exactly one schema in oneOf/,
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
      /\/externalRedis must have required property 'clusterNodes'|\/externalRedis\/clusterNodes must NOT have fewer than 1 items/,
    ],
    [
      "the chart's standalone Redis is asked for replica acks",
      { config: { redisMinReplicaAcks: 1 } },
      /\/config\/redisMinReplicaAcks must be equal to one of the allowed values/,
    ],
    [
      'the Ingress and the HTTPRoute are both enabled',
      { ingress: { enabled: true }, httpRoute: { enabled: true } },
      /\/ must NOT be valid/,
    ],
  ];
  for (const [what, overrides, message] of bad) {
    it(`when ${what}, then the schema rejects it and names the value`, () => {
      expect(problems(merged(overrides)).join('\n')).to.match(message);
    });
  }

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
      refusedBySchema('externalRedis.natMap only applies to externalRedis.clusterNodes'),
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
