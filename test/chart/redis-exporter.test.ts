import { expect } from 'chai';
import { type Manifest, type Rendered, renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';
import { schemaRefusal } from './refused-by-schema.js';

const EXPORTER_VALUES = ['ci/redis-exporter-values.yaml'];

interface Container {
  name: string;
  image: string;
  env?: { name: string; value?: string; valueFrom?: object }[];
  ports?: { name: string; containerPort: number }[];
  [field: string]: unknown;
}

function containersOf(rendered: Rendered): Container[] {
  return rendered.one('StatefulSet').spec.template.spec.containers;
}

function containerOf(rendered: Rendered, name: string): Container {
  const container = containersOf(rendered).find((c) => c.name === name);
  if (!container) throw new Error(`no container ${name} in the Redis StatefulSet`);
  return container;
}

const envOf = (container: Container, name: string) => container.env?.find((e) => e.name === name);

/** Whether every label the selector asks for is on the object. */
const selects = (selector: Record<string, string>, object: Manifest) =>
  Object.entries(selector).every(([key, value]) => object.metadata.labels?.[key] === value);

describe('chart: the Redis exporter sidecar', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when the values are the defaults, then Redis runs no exporter, its Service has no metrics port and no ServiceMonitor is made', () => {
    const rendered = renderChart({ values: ['ci/default-values.yaml'] });

    expect(containersOf(rendered).map((c) => c.name)).to.deep.equal(['redis']);
    expect(
      rendered.one('Service', 'shaservice-redis').spec.ports.map((p: { name: string }) => p.name),
    ).to.deep.equal(['redis']);
    expect(rendered.all('ServiceMonitor')).to.have.length(0);
    expect(rendered.one('StatefulSet').spec.template.metadata.annotations).not.to.have.property(
      'prometheus.io/scrape',
    );
  });

  it("when on (ci/redis-exporter-values.yaml), then each Redis pod runs the pinned exporter on localhost with the Redis container's password and hardening", () => {
    const rendered = renderChart({ values: EXPORTER_VALUES });
    const exporter = containerOf(rendered, 'metrics');
    const redis = containerOf(rendered, 'redis');

    expect(containersOf(rendered).map((c) => c.name)).to.deep.equal(['redis', 'sentinel', 'metrics']);
    expect(exporter.image).to.match(/^oliver006\/redis_exporter:v1\.\d+\.\d+$/);
    expect(exporter.ports).to.deep.equal([{ name: 'metrics', containerPort: 9121, protocol: 'TCP' }]);
    expect(envOf(exporter, 'REDIS_ADDR')?.value).to.equal('redis://localhost:6379');
    expect(envOf(exporter, 'REDIS_EXPORTER_WEB_LISTEN_ADDRESS')?.value).to.equal(':9121');
    expect(envOf(exporter, 'REDIS_PASSWORD')?.valueFrom).to.deep.equal(
      envOf(redis, 'REDIS_PASSWORD')?.valueFrom,
    );
    expect(exporter.securityContext).to.deep.equal(redis.securityContext);
    expect(exporter.resources).to.deep.equal({
      requests: { cpu: '10m', memory: '16Mi' },
      limits: { memory: '64Mi' },
    });
    expect(exporter.livenessProbe).to.deep.include({ httpGet: { path: '/health', port: 'metrics' } });
    expect(exporter, "its readiness would be the pod's").not.to.have.property('readinessProbe');
  });

  it("when on with monitoring, then a second ServiceMonitor scrapes the Redis Service's metrics port, and the API's selects only the API", () => {
    const rendered = renderChart({ values: EXPORTER_VALUES });
    const service = rendered.one('Service', 'shaservice-redis');
    const monitor = rendered.one('ServiceMonitor', 'shaservice-redis');
    const apiMonitor = rendered.one('ServiceMonitor', 'shaservice');

    expect(service.spec.ports).to.deep.include({
      name: 'metrics',
      port: 9121,
      targetPort: 'metrics',
      protocol: 'TCP',
    });
    expect(monitor.metadata.labels).to.include({ release: 'kube-prometheus-stack' });
    expect(monitor.spec.endpoints).to.deep.equal([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    expect(selects(monitor.spec.selector.matchLabels, service)).to.equal(true);
    expect(selects(monitor.spec.selector.matchLabels, rendered.one('Service', 'shaservice'))).to.equal(false);
    expect(selects(apiMonitor.spec.selector.matchLabels, service)).to.equal(false);
    for (const manifest of [monitor, service, rendered.one('StatefulSet')])
      expect(schemaProblems(manifest), manifest.kind).to.deep.equal([]);
  });

  it("when on without a ServiceMonitor, then its port is on the Service and in the scrape annotations, as the API's is, and no ServiceMonitor is made", () => {
    const rendered = renderChart({ set: { 'redis.metrics.exporter.enabled': true } });

    expect(containersOf(rendered).map((c) => c.name)).to.deep.equal(['redis', 'metrics']);
    expect(
      rendered.one('Service', 'shaservice-redis').spec.ports.map((p: { name: string }) => p.name),
    ).to.deep.equal(['redis', 'metrics']);
    expect(rendered.one('StatefulSet').spec.template.metadata.annotations).to.include({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9121',
      'prometheus.io/path': '/metrics',
    });
    expect(rendered.all('ServiceMonitor')).to.have.length(0);
  });

  it("when on with network policy, then Redis takes its metrics port from Prometheus's namespace only, and redis from the API pods as before", () => {
    const policy = renderChart({
      values: EXPORTER_VALUES,
      set: { 'networkPolicy.prometheusNamespaceSelector.matchLabels.team': 'observability' },
    }).one('NetworkPolicy', 'shaservice-redis');
    const [clients, prometheus] = policy.spec.ingress;

    expect(clients.ports.map((p: { port: string }) => p.port)).to.deep.equal(['redis', 'sentinel']);
    expect(prometheus).to.deep.equal({
      from: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'monitoring', team: 'observability' },
          },
        },
      ],
      ports: [{ port: 'metrics', protocol: 'TCP' }],
    });
  });

  it('when the exporter port is the Redis or the sentinel port, then the render fails naming the value', () => {
    for (const port of [6379, 26379]) {
      expect(() =>
        renderChart({ values: EXPORTER_VALUES, set: { 'redis.metrics.exporter.port': port } }),
      ).to.throw(
        `redis.metrics.exporter.port is ${port}, a port Redis or its sentinel already uses in the same pod`,
      );
    }
  });

  it('when a key under redis.metrics.exporter is misspelt, then the schema refuses it', () => {
    const refusal = schemaRefusal(() => renderChart({ set: { 'redis.metrics.exporter.enabeld': true } }));

    expect(refusal).to.match(/redis\.metrics\.exporter: Additional property enabeld is not allowed/);
  });
});
