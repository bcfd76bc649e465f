import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { stringify } from 'yaml';
import { renderChart, renderNotes } from '../../tools/chart/render.js';
import { requireCommand, requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';
import { refusedBySchema } from './refused-by-schema.js';

/**
 * Values a cluster, cert-manager or Prometheus would refuse (or that would never work), which the chart now
 * refuses itself naming the value, and the defaults that follow the values they depend on.
 */
const gateway = (httpRoute: Record<string, unknown>, more: Record<string, unknown> = {}) => ({
  httpRoute: { enabled: true, ...httpRoute },
  ...more,
});
const monitoring = (
  prometheusRule: Record<string, unknown>,
  serviceMonitor: Record<string, unknown> = {},
) => ({
  metrics: {
    serviceMonitor: { enabled: true, ...serviceMonitor },
    prometheusRule: { enabled: true, ...prometheusRule },
  },
});
const certificate = (cert: Record<string, unknown>) => ({
  ingress: { enabled: true },
  certificate: { enabled: true, issuerRef: { name: 'ca' }, ...cert },
});

describe('chart: the API route and the HTTPS redirect never share a listener', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when the redirect is on and an API parentRef has no sectionName (every listener, the HTTP one too), then it is refused naming that entry', () => {
    const inline = gateway({
      parentRefs: [{ name: 'gateway', namespace: 'gateway-system' }],
      httpsRedirect: { enabled: true },
    });

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema('httpRoute.parentRefs.0: sectionName is required'),
    );
  });

  it('when a redirect parentRef is one of the API parentRefs, then rendering fails naming httpRoute.httpsRedirect.parentRefs', () => {
    const https = { name: 'gateway', namespace: 'gateway-system', sectionName: 'https' };
    const inline = gateway({ parentRefs: [https], httpsRedirect: { enabled: true, parentRefs: [https] } });

    expect(() => renderChart({ inline })).to.throw(
      /httpRoute\.httpsRedirect\.parentRefs\[0\] \(.*\) is also in httpRoute\.parentRefs/,
    );
  });

  it('when the API route is on the listener the redirect would take by default, then rendering fails naming httpRoute.httpsRedirect.sectionName', () => {
    const inline = gateway({
      parentRefs: [{ name: 'gateway', namespace: 'gateway-system', sectionName: 'http' }],
      httpsRedirect: { enabled: true },
    });

    expect(() => renderChart({ inline })).to.throw(
      /httpRoute\.httpsRedirect\.sectionName \(http\) is the listener of httpRoute\.parentRefs/,
    );
  });

  it("when the API route moves to other Gateways, then by default the redirect follows it, to each one's http listener", () => {
    const inline = gateway({
      parentRefs: [
        { name: 'public', namespace: 'edge', sectionName: 'websecure', port: 443 },
        { name: 'internal', namespace: 'edge', sectionName: 'https' },
      ],
      httpsRedirect: { enabled: true, sectionName: 'web' },
    });
    const rendered = renderChart({ inline });

    expect(rendered.one('HTTPRoute', 'shaservice-https-redirect').spec.parentRefs).to.deep.equal([
      { name: 'public', namespace: 'edge', sectionName: 'web' },
      { name: 'internal', namespace: 'edge', sectionName: 'web' },
    ]);
    for (const route of rendered.all('HTTPRoute')) expect(schemaProblems(route)).to.deep.equal([]);
  });

  it('when explicit redirect parentRefs are given, then they are used as they are', () => {
    const plain = { name: 'plain', namespace: 'edge', sectionName: 'http' };
    const inline = gateway({ httpsRedirect: { enabled: true, parentRefs: [plain] } });

    expect(
      renderChart({ inline }).one('HTTPRoute', 'shaservice-https-redirect').spec.parentRefs,
    ).to.deep.equal([plain]);
  });
});

describe('chart: HTTPRoute values the Gateway API CRD refuses', () => {
  before(function () {
    requireRenderer(this);
  });

  const hostnamePattern = "'^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'";
  for (const [what, hostname, line] of [
    ['upper case', 'Shaservice.test', `httpRoute.hostnames.0: Does not match pattern ${hostnamePattern}`],
    ['a port', 'shaservice.test:443', `httpRoute.hostnames.0: Does not match pattern ${hostnamePattern}`],
    ['an IP address', '10.0.0.1', 'httpRoute.hostnames.0: Must not validate the schema (not)'],
  ] as const) {
    it(`when a host name has ${what}, then it is refused naming it`, () => {
      expect(() => renderChart({ inline: gateway({ hostnames: [hostname] }) })).to.throw(
        refusedBySchema(line),
      );
    });
  }

  it('when there are more than 16 host names or 32 parentRefs, then they are refused', () => {
    const hostnames = Array.from({ length: 17 }, (_, i) => `h${i}.example.test`);
    const parentRefs = Array.from({ length: 33 }, (_, i) => ({ name: `g${i}`, sectionName: 'https' }));

    expect(() => renderChart({ inline: gateway({ hostnames }) })).to.throw(
      refusedBySchema('httpRoute.hostnames: Array must have at most 16 items'),
    );
    expect(() => renderChart({ inline: gateway({ parentRefs }) })).to.throw(
      refusedBySchema('httpRoute.parentRefs: Array must have at most 32 items'),
    );
  });

  it('when a parentRef has an empty namespace or a sectionName the CRD refuses, then it is refused naming it', () => {
    expect(() => renderChart({ inline: gateway({ parentRefs: [{ name: 'g', namespace: '' }] }) })).to.throw(
      refusedBySchema('httpRoute.parentRefs.0.namespace: String length must be greater than or equal to 1'),
    );
    expect(() =>
      renderChart({ inline: gateway({ parentRefs: [{ name: 'g', sectionName: 'HTTPS' }] }) }),
    ).to.throw(
      refusedBySchema(
        "httpRoute.parentRefs.0.sectionName: Does not match pattern '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'",
      ),
    );
  });

  it('when a parentRef is listed twice (a CEL rule of the CRD), then rendering fails naming the second', () => {
    const ref = { name: 'gateway', namespace: 'gateway-system', sectionName: 'https' };

    expect(() => renderChart({ inline: gateway({ parentRefs: [ref, { ...ref }] }) })).to.throw(
      /httpRoute\.parentRefs\[1\] \(.*\) is listed twice/,
    );
  });

  it("when the route has no host names, then it has no hostnames field and NOTES says so instead of printing a made-up host as the route's", () => {
    const inline = gateway({ hostnames: [] });
    const route = renderChart({ inline }).one('HTTPRoute');
    const notes = renderNotes({ inline });

    expect(route.spec).not.to.have.property('hostnames');
    expect(schemaProblems(route)).to.deep.equal([]);
    expect(notes).to.include('The route names no host name');
    expect(notes).not.to.include('shaservice.test');
  });

  it('when the host name is a wildcard, then NOTES curls a concrete host under it, never "*."', () => {
    const notes = renderNotes({ inline: gateway({ hostnames: ['*.example.com'] }) });

    expect(notes).to.include('any name under example.com');
    expect(notes).to.match(/^ {2}curl .*https:\/\/shaservice\.example\.com\/messages/m);
    expect(notes).not.to.match(/https:\/\/\*\./);
  });

  it("when the Gateway path is on HTTPS, then NOTES fetches the listener's certificate and curls with --cacert, as for the Ingress", () => {
    const notes = renderNotes({ inline: gateway({}) });

    expect(notes).to.match(/^ {2}kubectl .* get secret "\$SECRET" .*> shaservice-tls\.crt$/m);
    expect(notes).to.match(
      /^ {2}curl -s --cacert shaservice-tls\.crt --connect-to shaservice\.test:443:\$ADDRESS:443 /m,
    );
  });
});

describe("chart: the Gateway listener's Certificate", () => {
  before(function () {
    requireRenderer(this);
  });

  const withCertificate = (cert: Record<string, unknown> = {}) =>
    gateway({}, { certificate: { enabled: true, issuerRef: { name: 'ca' }, ...cert } });

  it('when two releases of one name in two namespaces share a Gateway, then their Certificates and Secrets differ there', () => {
    const [a, b] = ['shop', 'blog'].map((namespace) =>
      renderChart({ inline: withCertificate(), namespace }).one('Certificate'),
    );

    expect(a!.metadata).to.include({ name: 'shop-shaservice', namespace: 'gateway-system' });
    expect(a!.spec.secretName).to.equal('shop-shaservice-tls');
    expect(b!.metadata.name).to.equal('blog-shaservice');
    expect(b!.spec.secretName).to.equal('blog-shaservice-tls');
  });

  it('when the namespace and release names are long, then the Certificate and Secret names still fit 63 characters, and differ', () => {
    const release = 'a-release-name-that-is-far-too-long-for-a-kubernetes-dns-label-x';
    const names = ['n'.repeat(63), `${'n'.repeat(62)}m`].map((namespace) =>
      renderChart({ inline: withCertificate(), namespace, release }).one('Certificate'),
    );

    for (const c of names) {
      expect(c.metadata.name).to.match(/^[a-z0-9]([-a-z0-9]{0,57}[a-z0-9])?$/);
      expect(c.spec.secretName).to.have.length.at.most(63);
      expect(schemaProblems(c)).to.deep.equal([]);
    }
    expect(names[0]!.metadata.name).not.to.equal(names[1]!.metadata.name);
  });

  it('when certificate.gatewaySecretName is set, then it is the Secret', () => {
    const c = renderChart({ inline: withCertificate({ gatewaySecretName: 'my-tls' }) }).one('Certificate');

    expect(c.spec.secretName).to.equal('my-tls');
  });

  it('when certificate.gatewaySecretName is not a Secret name, then it is refused naming it', () => {
    expect(() => renderChart({ inline: withCertificate({ gatewaySecretName: 'My_TLS' }) })).to.throw(
      /- certificate\.gatewaySecretName: Does not match pattern/,
    );
  });

  it('when the HTTPRoute has no host names, then a certificate is refused asking for httpRoute.hostnames (cert-manager refuses dnsNames: [])', () => {
    const inline = { ...withCertificate(), httpRoute: { enabled: true, hostnames: [] } };

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema('httpRoute.hostnames: Array must have at least 1 items'),
    );
  });

  it('when certificate.duration is under 1h, then rendering fails naming it', () => {
    expect(() => renderChart({ inline: certificate({ duration: '59m', renewBefore: '10m' }) })).to.throw(
      /certificate\.duration \(59m\) must be at least 1h/,
    );
  });

  it('when certificate.renewBefore is not below the duration, then rendering fails naming both', () => {
    expect(() => renderChart({ inline: certificate({ duration: '1.5h', renewBefore: '90m' }) })).to.throw(
      /certificate\.renewBefore \(90m\) must be less than certificate\.duration \(1\.5h\)/,
    );
    expect(
      renderChart({ inline: certificate({ duration: '1.5h', renewBefore: '89m' }) }).all('Certificate'),
    ).to.have.length(1);
  });

  it('when the Gateway path uses the Certificate, then NOTES names its Secret and curls with its CA', () => {
    const notes = renderNotes({ inline: withCertificate(), namespace: 'shop' });

    expect(notes).to.include('gateway-system/shop-shaservice-tls');
    expect(notes).to.match(/^ {2}curl -s --cacert shaservice-ca\.crt /m);
  });
});

describe('chart: alert values Prometheus cannot read, or that never fire', () => {
  before(function () {
    requireRenderer(this);
  });

  const patternLine = (value: string) =>
    `metrics.prometheusRule.${value}: Does not match pattern '^([0-9]+y)?([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?([0-9]+ms)?$'`;
  for (const [value, duration, line] of [
    ['rateWindow', '1m1m', patternLine('rateWindow')],
    ['for', '5s1m', patternLine('for')],
    [
      'redisUnavailableFor',
      '0s',
      'metrics.prometheusRule.redisUnavailableFor: Must not validate the schema (not)',
    ],
    ['targetDownFor', '0m0s', 'metrics.prometheusRule.targetDownFor: Must not validate the schema (not)'],
  ] as const) {
    it(`when ${value} is "${duration}", then it is refused naming it`, () => {
      expect(() => renderChart({ inline: monitoring({ [value]: duration }) })).to.throw(
        refusedBySchema(line),
      );
    });
  }

  it('when latencyP99Seconds is 2.5 (the highest finite bucket) or errorRatio is 1, then they are refused naming them', () => {
    expect(() => renderChart({ inline: monitoring({ latencyP99Seconds: 2.5 }) })).to.throw(
      refusedBySchema('metrics.prometheusRule.latencyP99Seconds: Must be less than 2.5'),
    );
    expect(() => renderChart({ inline: monitoring({ errorRatio: 1 }) })).to.throw(
      refusedBySchema('metrics.prometheusRule.errorRatio: Must be less than 1'),
    );
  });

  it('when rateWindow is shorter than four scrape intervals, then rendering fails naming both', () => {
    expect(() => renderChart({ inline: monitoring({ rateWindow: '1m59s' }, { interval: '30s' }) })).to.throw(
      /metrics\.prometheusRule\.rateWindow \(1m59s\) must be at least four metrics\.serviceMonitor\.interval \(30s\)/,
    );
  });

  it('when the rules are on without the ServiceMonitor (which gives the job they select), then it is refused asking for it', () => {
    expect(() => renderChart({ inline: { metrics: { prometheusRule: { enabled: true } } } })).to.throw(
      refusedBySchema('metrics.serviceMonitor.enabled: metrics.serviceMonitor.enabled does not match: true'),
    );
  });

  describe('with promtool', () => {
    let dir: string;
    before(function () {
      requireCommand(this, 'promtool', ['--version']);
      dir = mkdtempSync(join(tmpdir(), 'shaservice-review-rules-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('when the durations use days, weeks and milliseconds, then the chart accepts them and promtool passes the rules', () => {
      const inline = monitoring(
        { rateWindow: '1d', for: '1h30m', redisUnavailableFor: '1m30s500ms', targetDownFor: '1w' },
        { interval: '1m' },
      );
      const file = join(dir, 'rules.yml');
      writeFileSync(file, stringify(renderChart({ inline }).one('PrometheusRule').spec));
      const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });

      expect(check.status, check.stdout + check.stderr).to.equal(0);
    });
  });
});

describe("chart: labels a user adds beside the chart's", () => {
  before(function () {
    requireRenderer(this);
  });

  it("when a user label has the key of one the chart sets, then the object still parses and the chart's value wins", () => {
    const labels = { 'app.kubernetes.io/name': 'other', grafana_dashboard: '0', team: 'shop' };
    const rendered = renderChart({
      inline: {
        metrics: {
          serviceMonitor: { enabled: true, labels },
          prometheusRule: { enabled: true, labels },
          dashboard: { enabled: true, labels },
        },
      },
    });

    for (const kind of ['ServiceMonitor', 'PrometheusRule'])
      expect(rendered.one(kind).metadata.labels).to.include({
        'app.kubernetes.io/name': 'shaservice',
        team: 'shop',
      });
    expect(rendered.one('ConfigMap', 'shaservice-dashboard').metadata.labels).to.include({
      'app.kubernetes.io/name': 'shaservice',
      grafana_dashboard: '1',
      team: 'shop',
    });
  });

  it('when the dashboard label is a key YAML 1.1 reads as something else ("on", "010"), then it stays that string', () => {
    for (const label of ['on', '010', '1e3']) {
      const inline = { metrics: { dashboard: { enabled: true, label } } };
      expect(
        renderChart({ inline }).one('ConfigMap', 'shaservice-dashboard').metadata.labels?.[label],
        label,
      ).to.equal('1');
    }
  });

  it('when a label key or value is not one Kubernetes accepts, then it is refused naming the labels', () => {
    expect(() =>
      renderChart({ inline: { metrics: { dashboard: { labels: { 'bad key!': 'x' } } } } }),
    ).to.throw(refusedBySchema('metrics.dashboard.labels: Property name of "bad key!" does not match'));
    expect(() =>
      renderChart({ inline: { metrics: { serviceMonitor: { labels: { team: 'bad value!' } } } } }),
    ).to.throw(
      refusedBySchema(
        "metrics.serviceMonitor.labels.team: Does not match pattern '^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$'",
      ),
    );
  });
});

describe('chart: NetworkPolicy selectors and the Redis exporter', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when a namespace selector is set to null, then it is refused naming it instead of rendering namespaceSelector: null', () => {
    const inline = { networkPolicy: { enabled: true, gatewayNamespaceSelector: null } };

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema('networkPolicy: gatewayNamespaceSelector is required'),
    );
  });

  it("when the selector's matchLabels is null, then it selects every namespace ({}), as values.yaml says", () => {
    const inline = gateway(
      {},
      { networkPolicy: { enabled: true, gatewayNamespaceSelector: { matchLabels: null } } },
    );
    const policy = renderChart({ inline }).one('NetworkPolicy', 'shaservice');

    expect(policy.spec.ingress[0].from[0]).to.deep.equal({ namespaceSelector: {} });
  });

  it("when the Redis exporter is on without the chart's Redis, then it is refused naming it", () => {
    const inline = {
      redis: { enabled: false, metrics: { exporter: { enabled: true } } },
      externalRedis: { url: 'redis://r:6379' },
    };

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema('redis.metrics.exporter.enabled: redis.metrics.exporter.enabled does not match: false'),
    );
  });
});
