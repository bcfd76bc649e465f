import { expect } from 'chai';
import { renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';

describe('chart: autoscaling, disruption budget, monitoring and network policy', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when autoscaling is on, then the HPA scales the Deployment on CPU and the Deployment leaves replicas to it', () => {
    const rendered = renderChart({ values: ['ci/hpa-values.yaml'] });
    const hpa = rendered.one('HorizontalPodAutoscaler');

    expect(hpa.apiVersion).to.equal('autoscaling/v2');
    expect(hpa.spec).to.deep.include({ minReplicas: 3, maxReplicas: 12 });
    expect(hpa.spec.scaleTargetRef).to.deep.equal({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: 'shaservice',
    });
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).to.equal(60);
    expect(rendered.one('Deployment').spec).not.to.have.property('replicas');
  });

  it('when more than one replica runs, then a PDB allows one API pod down at a time', () => {
    const pdb = renderChart({ values: ['ci/default-values.yaml'] }).one('PodDisruptionBudget');

    expect(pdb.spec.maxUnavailable).to.equal(1);
    expect(pdb.spec.selector.matchLabels['app.kubernetes.io/component']).to.equal('api');
  });

  it('when autoscaling has minReplicas above maxReplicas, then rendering fails naming both', () => {
    const set = { 'autoscaling.enabled': true, 'autoscaling.minReplicas': 5, 'autoscaling.maxReplicas': 2 };

    expect(() => renderChart({ set })).to.throw(
      /autoscaling.minReplicas \(5\) is above autoscaling.maxReplicas \(2\)/,
    );
  });

  it('when the CPU target is above 100% of the request, then it is accepted as an HPA takes it', () => {
    const set = { 'autoscaling.enabled': true, 'autoscaling.targetCPUUtilizationPercentage': 150 };
    const hpa = renderChart({ set }).one('HorizontalPodAutoscaler');

    expect(hpa.spec.metrics[0].resource.target.averageUtilization).to.equal(150);
    expect(schemaProblems(hpa)).to.deep.equal([]);
  });

  it('when maxUnavailable is a percentage, then the PDB gets it as a string', () => {
    const pdb = renderChart({ inline: { podDisruptionBudget: { maxUnavailable: '50%' } } }).one(
      'PodDisruptionBudget',
    );

    expect(pdb.spec.maxUnavailable).to.equal('50%');
    expect(schemaProblems(pdb)).to.deep.equal([]);
  });

  it('when only one replica runs, then there is no PDB (it would block every drain)', () => {
    expect(
      renderChart({ values: ['ci/persistence-off-values.yaml'] }).all('PodDisruptionBudget'),
    ).to.have.length(0);
    expect(
      renderChart({ set: { 'autoscaling.enabled': true, 'autoscaling.minReplicas': 1 } }).all(
        'PodDisruptionBudget',
      ),
    ).to.have.length(0);
  });

  it('when monitoring is on, then a ServiceMonitor scrapes the metrics port of the API Service', () => {
    const rendered = renderChart({ values: ['ci/monitoring-values.yaml'] });
    const monitor = rendered.one('ServiceMonitor');

    expect(monitor.metadata.labels).to.include({ release: 'kube-prometheus-stack' });
    expect(monitor.spec.endpoints).to.deep.equal([{ port: 'metrics', path: '/metrics', interval: '15s' }]);
    expect(monitor.spec.selector.matchLabels).to.deep.equal(
      rendered.one('Service', 'shaservice').spec.selector,
    );
    expect(rendered.one('Deployment').spec.template.metadata.annotations).not.to.have.property(
      'prometheus.io/scrape',
    );
  });

  it('when the PrometheusRule is on, then it alerts on error ratio, p99 latency, Redis down or refusing writes and down targets, with the configured limits', () => {
    const rule = renderChart({ values: ['ci/monitoring-values.yaml'] }).one('PrometheusRule');
    const rules: { alert: string; expr: string; for: string }[] = rule.spec.groups[0].rules;
    const byName = Object.fromEntries(rules.map((r) => [r.alert, r]));

    expect(Object.keys(byName)).to.deep.equal([
      'ShaserviceHighErrorRate',
      'ShaserviceHighLatency',
      'ShaserviceRedisUnavailable',
      'ShaserviceRedisWritesRefused',
      'ShaserviceTargetDown',
    ]);
    expect(byName.ShaserviceHighErrorRate!.expr)
      .to.match(/status=~"5\.\."/)
      .and.match(/> 0\.01\s*$/);
    expect(byName.ShaserviceHighErrorRate!.for).to.equal('10m');
    expect(byName.ShaserviceHighLatency!.expr)
      .to.match(/histogram_quantile\(0\.99,/)
      .and.match(/> 0\.25\s*$/);
    expect(byName.ShaserviceRedisUnavailable!.expr).to.include('shaservice_store_errors_total');
    expect(byName.ShaserviceRedisUnavailable!.for).to.equal('1m');
    expect(byName.ShaserviceRedisWritesRefused!.expr)
      .to.include('shaservice_redis_writes_refused')
      .and.include('kind=~"OOM|MISCONF|NOREPLICAS"')
      .and.include('shaservice_redis_replica_acks_missed_total');
    expect(byName.ShaserviceRedisWritesRefused!.for).to.equal('1m');
    expect(byName.ShaserviceHighLatency!.expr).to.include('status!="408"');
    expect(byName.ShaserviceTargetDown!.expr).to.match(/^up\{.*\} == 0\s*$/);
    expect(byName.ShaserviceTargetDown!.for).to.equal('5m');
    for (const r of rules) expect(r.expr).to.include('namespace="default", job="shaservice"');
  });

  it('when network policy is on, then the API takes http from the ingress namespace and this release, metrics from Prometheus', () => {
    const policy = renderChart({ values: ['ci/networkpolicy-values.yaml'] }).one(
      'NetworkPolicy',
      'shaservice',
    );
    const [http, metrics] = policy.spec.ingress;

    expect(policy.spec.podSelector.matchLabels['app.kubernetes.io/component']).to.equal('api');
    expect(http.ports).to.deep.equal([{ port: 'http', protocol: 'TCP' }]);
    expect(http.from[0].namespaceSelector.matchLabels).to.deep.equal({
      'kubernetes.io/metadata.name': 'ingress-nginx',
    });
    expect(http.from[1].podSelector.matchLabels).to.deep.equal({
      'app.kubernetes.io/name': 'shaservice',
      'app.kubernetes.io/instance': 'shaservice',
    });
    expect(metrics.ports).to.deep.equal([{ port: 'metrics', protocol: 'TCP' }]);
    expect(metrics.from).to.deep.equal([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } },
    ]);
  });

  it('when network policy is on, then Redis takes connections only from the API pods', () => {
    const policy = renderChart({ values: ['ci/networkpolicy-values.yaml'] }).one(
      'NetworkPolicy',
      'shaservice-redis',
    );

    expect(policy.spec.podSelector.matchLabels['app.kubernetes.io/component']).to.equal('redis');
    expect(policy.spec.ingress).to.deep.equal([
      {
        from: [
          {
            podSelector: {
              matchLabels: {
                'app.kubernetes.io/name': 'shaservice',
                'app.kubernetes.io/instance': 'shaservice',
                'app.kubernetes.io/component': 'api',
              },
            },
          },
        ],
        ports: [{ port: 'redis', protocol: 'TCP' }],
      },
    ]);
  });

  it('when network policy is off (default), then no NetworkPolicy is rendered', () => {
    expect(renderChart({ values: ['ci/default-values.yaml'] }).all('NetworkPolicy')).to.have.length(0);
  });
});
