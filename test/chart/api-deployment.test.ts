import { expect } from 'chai';
import { productionNodeOptions } from '../../tools/stack/service-environment.js';
import { renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';

describe('chart: the API Deployment', () => {
  before(function () {
    requireRenderer(this);
  });

  const defaults = () => renderChart({ values: ['ci/default-values.yaml'] });
  const apiContainer = (rendered = defaults()) => rendered.one('Deployment').spec.template.spec.containers[0];

  it('when rendered with defaults, then two replicas roll with maxUnavailable 0', () => {
    const { spec } = defaults().one('Deployment');

    expect(spec.replicas).to.equal(2);
    expect(spec.strategy.rollingUpdate.maxUnavailable).to.equal(0);
  });

  it('when rendered with defaults, then the image is <repository>:<appVersion>', () => {
    expect(apiContainer().image).to.equal('shaservice:0.1.0');
    const tagged = renderChart({ set: { 'image.repository': 'reg/shaservice', 'image.tag': 'abc123' } });
    expect(apiContainer(tagged).image).to.equal('reg/shaservice:abc123');
  });

  it('when rendered with defaults, then the pods get the heap limits the image sets and room above them', () => {
    const rendered = defaults();
    const nodeOptions: string = rendered.one('ConfigMap', 'shaservice').data.NODE_OPTIONS;
    const heapMiB = Number(/--max-old-space-size=(\d+)/.exec(nodeOptions)?.[1]);
    const limitMiB = Number(/^(\d+)Mi$/.exec(apiContainer(rendered).resources.limits.memory)?.[1]);

    expect(nodeOptions).to.equal(productionNodeOptions());
    expect(limitMiB - heapMiB).to.be.at.least(128);
  });

  it('when rendered with defaults, then startup and liveness probe /healthz and readiness probes /readyz', () => {
    const container = apiContainer();

    expect(container.startupProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(container.livenessProbe.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
    expect(container.readinessProbe.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
  });

  it('when rendered with defaults, then preStop outlasts a readiness period and the grace period outlasts the whole shutdown', () => {
    const rendered = defaults();
    const pod = rendered.one('Deployment').spec.template.spec;
    const container = pod.containers[0];
    const settings = rendered.one('ConfigMap', 'shaservice').data;

    const preStopSeconds = Number(container.lifecycle.preStop.exec.command[1]);
    const shutdownSeconds =
      (Number(settings.SHUTDOWN_DELAY_MS) + Number(settings.SHUTDOWN_TIMEOUT_MS)) / 1000;
    expect(container.lifecycle.preStop.exec.command[0]).to.equal('sleep');
    expect(preStopSeconds).to.be.greaterThan(container.readinessProbe.periodSeconds);
    expect(pod.terminationGracePeriodSeconds).to.be.greaterThan(preStopSeconds + shutdownSeconds);
  });

  it('when rendered with defaults, then pod and container run hardened with no service account token', () => {
    const pod = defaults().one('Deployment').spec.template.spec;
    const container = pod.containers[0];

    expect(pod.automountServiceAccountToken).to.equal(false);
    expect(pod.securityContext).to.include({ runAsNonRoot: true, runAsUser: 1000 });
    expect(pod.securityContext.seccompProfile).to.deep.equal({ type: 'RuntimeDefault' });
    expect(container.securityContext).to.deep.include({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).to.have.keys('cpu', 'memory');
    expect(container.resources.limits).to.have.key('memory');
  });

  it('when rendered with defaults, then pods spread over nodes by their own selector labels', () => {
    const { spec } = defaults().one('Deployment');
    const [byNode] = spec.template.spec.topologySpreadConstraints;

    expect(byNode.topologyKey).to.equal('kubernetes.io/hostname');
    expect(byNode.labelSelector.matchLabels).to.deep.equal(spec.selector.matchLabels);
  });

  it('when rendered with defaults, then settings come from the ConfigMap and the Redis password from a Secret', () => {
    const rendered = defaults();
    const container = apiContainer(rendered);

    expect(container.envFrom).to.deep.equal([{ configMapRef: { name: 'shaservice' } }]);
    expect(container.env).to.deep.equal([
      {
        name: 'REDIS_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'shaservice-redis', key: 'redis-password' } },
      },
    ]);
    expect(rendered.one('Secret', 'shaservice-redis').data['redis-password']).to.match(
      /^[A-Za-z0-9+/]{40,}=*$/,
    );
    expect(rendered.one('ConfigMap', 'shaservice').data).to.include({
      REDIS_URL: 'redis://shaservice-redis:6379',
      MAX_BODY_BYTES: '1048576',
      CACHE_MAX_BYTES: '67108864',
    });
  });

  it('when an external TLS Redis has a private CA (ci/external-tls-ca-values.yaml), then the CA Secret is mounted read-only and REDIS_TLS_CA_FILE names the file in it', () => {
    const rendered = renderChart({ values: ['ci/external-tls-ca-values.yaml'] });
    const pod = rendered.one('Deployment').spec.template.spec;
    const container = pod.containers[0];

    expect(container.env).to.deep.equal([
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'managed-redis', key: 'password' } } },
      { name: 'REDIS_TLS_CA_FILE', value: '/etc/shaservice/redis-ca/ca.crt' },
    ]);
    expect(container.volumeMounts).to.deep.equal([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'redis-ca', mountPath: '/etc/shaservice/redis-ca', readOnly: true },
    ]);
    expect(pod.volumes).to.deep.include({
      name: 'redis-ca',
      secret: { secretName: 'redis-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    });
    expect(rendered.one('ConfigMap', 'shaservice').data.REDIS_URL).to.equal(
      'rediss://redis.internal.example.test:6380',
    );
    for (const manifest of rendered.manifests) expect(schemaProblems(manifest)).to.deep.equal([]);
  });

  it('when extraEnv is given without any Redis password, then the container still gets it', () => {
    const inline = {
      redis: { enabled: false },
      externalRedis: { url: 'redis://r:6379' },
      extraEnv: [{ name: 'LOG_LEVEL', value: 'debug' }],
    };
    const container = apiContainer(renderChart({ inline }));

    expect(container.env).to.deep.equal([{ name: 'LOG_LEVEL', value: 'debug' }]);
  });

  it('when a setting changes, then the config checksum changes (pods roll) and it is unchanged otherwise', () => {
    const checksum = (set = {}) =>
      renderChart({ set }).one('Deployment').spec.template.metadata.annotations['checksum/config'];

    expect(checksum()).to.equal(checksum());
    expect(checksum({ 'config.logLevel': 'debug' })).not.to.equal(checksum());
  });

  it('when rendered with defaults, then the pods carry Prometheus scrape annotations for the metrics port', () => {
    const annotations = defaults().one('Deployment').spec.template.metadata.annotations;

    expect(annotations).to.include({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9464',
      'prometheus.io/path': '/metrics',
    });
  });

  it('when rendered with defaults, then the Service has http and metrics ports and selects API pods only', () => {
    const rendered = defaults();
    const service = rendered.one('Service', 'shaservice');

    expect(service.spec.ports.map((p: { name: string; port: number }) => [p.name, p.port])).to.deep.equal([
      ['http', 80],
      ['metrics', 9464],
    ]);
    expect(service.spec.selector).to.deep.equal(rendered.one('Deployment').spec.selector.matchLabels);
    expect(service.spec.selector['app.kubernetes.io/component']).to.equal('api');
  });

  it('when containerPorts are changed, then the service is told them and the container, scrape annotation and Service follow', () => {
    const rendered = renderChart({
      inline: { containerPorts: { http: 3000, metrics: 9100 }, networkPolicy: { enabled: true } },
    });
    const pod = rendered.one('Deployment').spec.template;
    const service = rendered.one('Service', 'shaservice');

    expect(rendered.one('ConfigMap', 'shaservice').data).to.include({ PORT: '3000', METRICS_PORT: '9100' });
    expect(pod.spec.containers[0].ports).to.deep.equal([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9100, protocol: 'TCP' },
    ]);
    expect(pod.metadata.annotations['prometheus.io/port']).to.equal('9100');
    // Everything else reaches the ports by name, so nothing else changes.
    expect(service.spec.ports.map((p: { targetPort: string }) => p.targetPort)).to.deep.equal([
      'http',
      'metrics',
    ]);
    expect(pod.spec.containers[0].readinessProbe.httpGet.port).to.equal('http');
    const apiPolicy = rendered.one('NetworkPolicy', 'shaservice').spec;
    expect(
      apiPolicy.ingress.flatMap((rule: { ports: { port: string }[] }) => rule.ports.map((p) => p.port)),
    ).to.deep.equal(['http', 'metrics']);
  });

  it('when containerSecurityContext is set, then the API container and the helm test pod run with it over the default', () => {
    // Helm merges a values map into the default one: keys not given keep their hardened default.
    const rendered = renderChart({ inline: { containerSecurityContext: { readOnlyRootFilesystem: false } } });
    const merged = { readOnlyRootFilesystem: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] } };

    expect(apiContainer(rendered).securityContext).to.deep.include(merged);
    expect(rendered.one('Pod').spec.containers[0].securityContext).to.deep.include(merged);
    expect(rendered.one('StatefulSet').spec.template.spec.containers[0].securityContext).to.include({
      readOnlyRootFilesystem: true,
    });
  });

  it('when rendered, then every object of the API, Redis and helm test carries the chart labels and its component', () => {
    const rendered = renderChart({
      values: ['ci/sentinel-values.yaml', 'ci/monitoring-values.yaml', 'ci/networkpolicy-values.yaml'],
      set: { 'ingress.enabled': true },
    });
    const components = rendered.manifests
      .filter((manifest) => manifest.metadata.labels?.['app.kubernetes.io/component'])
      .map((manifest) => `${manifest.kind} ${manifest.metadata.labels!['app.kubernetes.io/component']}`);

    for (const manifest of rendered.manifests)
      expect(manifest.metadata.labels, manifest.kind).to.include({
        'app.kubernetes.io/name': 'shaservice',
        'app.kubernetes.io/instance': 'shaservice',
        'app.kubernetes.io/managed-by': 'Helm',
      });
    expect(components).to.include.members([
      'Deployment api',
      'Service api',
      'Ingress api',
      'ServiceMonitor api',
      'PrometheusRule api',
      'NetworkPolicy api',
      'PodDisruptionBudget api',
      'StatefulSet redis',
      'Service redis',
      'ConfigMap redis',
      'Secret redis',
      'NetworkPolicy redis',
      'PodDisruptionBudget redis',
      'Pod test',
    ]);
  });
});
