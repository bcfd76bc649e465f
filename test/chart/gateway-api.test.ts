import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CHART_DIR, renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';
import { refusedBySchema } from './refused-by-schema.js';

const defaults = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as {
  config: { requestTimeoutMs: number; redisConnectTimeoutMs: number; redisCommandTimeoutMs: number };
};

/** A Gateway API duration such as "1m30s" or "500ms", in milliseconds. */
function durationMs(duration: string): number {
  const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  return [...duration.matchAll(/(\d+)(ms|h|m|s)/g)].reduce((sum, [, n, u]) => sum + Number(n) * unit[u!]!, 0);
}

describe('chart: Gateway API HTTPRoute, as equal to the Ingress', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when the HTTPRoute is on with defaults, then it attaches to the https listener of the Gateway in gateway-system, as k8s/gateway/ makes it', () => {
    const route = renderChart({ set: { 'httpRoute.enabled': true } }).one('HTTPRoute');

    expect(route.spec.parentRefs).to.deep.equal([
      { name: 'gateway', namespace: 'gateway-system', sectionName: 'https' },
    ]);
    expect(route.spec.hostnames).to.deep.equal(['shaservice.test']);
  });

  it("when the HTTPRoute is on with defaults, then the whole exchange may last the service's request timeout and one attempt 10 s, well above the store's deadlines", () => {
    const { timeouts } = renderChart({ set: { 'httpRoute.enabled': true } }).one('HTTPRoute').spec.rules[0];
    const { requestTimeoutMs, redisConnectTimeoutMs, redisCommandTimeoutMs } = defaults.config;

    expect(timeouts).to.deep.equal({ request: '30s', backendRequest: '10s' });
    expect(durationMs(timeouts.request)).to.equal(requestTimeoutMs);
    expect(durationMs(timeouts.backendRequest)).to.be.above(redisConnectTimeoutMs + redisCommandTimeoutMs);
  });

  it('when both timeouts are emptied, then the rule has no timeouts field and the implementation keeps its own', () => {
    const inline = { httpRoute: { enabled: true, timeouts: { request: '', backendRequest: '' } } };
    const [rule] = renderChart({ inline }).one('HTTPRoute').spec.rules;

    expect(rule).not.to.have.property('timeouts');
    expect(rule.backendRefs).to.deep.equal([{ name: 'shaservice', port: 80 }]);
  });

  it('when one attempt may last longer than the whole exchange, then rendering fails naming both values', () => {
    const inline = { httpRoute: { enabled: true, timeouts: { request: '1m', backendRequest: '1m500ms' } } };

    expect(() => renderChart({ inline })).to.throw(
      /httpRoute.timeouts.backendRequest \(1m500ms\) must not exceed httpRoute.timeouts.request \(1m\)/,
    );
  });

  it('when the whole exchange has no timeout ("0s"), then any attempt timeout is accepted, as the CRD accepts it', () => {
    const inline = { httpRoute: { enabled: true, timeouts: { request: '0s', backendRequest: '2m' } } };
    const route = renderChart({ inline }).one('HTTPRoute');

    expect(route.spec.rules[0].timeouts).to.deep.equal({ request: '0s', backendRequest: '2m' });
    expect(schemaProblems(route)).to.deep.equal([]);
  });

  it('when a timeout is not a Gateway API duration, then the schema refuses it before anything renders', () => {
    const inline = { httpRoute: { enabled: true, timeouts: { request: '30 seconds' } } };

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema(
        "httpRoute.timeouts.request: Does not match pattern '^$|^([0-9]{1,5}(h|m|s|ms)){1,4}$'",
      ),
    );
  });

  it('when the HTTPS redirect is off (the default), then only the API route exists', () => {
    expect(renderChart({ set: { 'httpRoute.enabled': true } }).all('HTTPRoute')).to.have.length(1);
  });

  it('when the HTTPS redirect is on, then a second route on the http listener answers every request with a 308 to https and sends nothing to the API', () => {
    const rendered = renderChart({ values: ['ci/gateway-api-redirect-values.yaml'] });
    const redirect = rendered.one('HTTPRoute', 'shaservice-https-redirect');

    expect(redirect.spec.parentRefs).to.deep.equal([
      { name: 'gateway', namespace: 'gateway-system', sectionName: 'http' },
    ]);
    expect(redirect.spec.hostnames).to.deep.equal(['shaservice.example.test']);
    expect(redirect.spec.rules).to.deep.equal([
      { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 308 } }] },
    ]);
    expect(rendered.one('HTTPRoute', 'shaservice').spec.parentRefs[0].sectionName).to.equal('https');
    for (const route of rendered.all('HTTPRoute')) expect(schemaProblems(route)).to.deep.equal([]);
  });

  it('when the redirect code is set to 301 (Core support), then the redirect route uses it', () => {
    const inline = { httpRoute: { enabled: true, httpsRedirect: { enabled: true, statusCode: 301 } } };
    const redirect = renderChart({ inline }).one('HTTPRoute', 'shaservice-https-redirect');

    expect(redirect.spec.rules[0].filters[0].requestRedirect.statusCode).to.equal(301);
  });

  it('when the redirect code is not one Gateway API allows, then the schema refuses it', () => {
    const inline = { httpRoute: { enabled: true, httpsRedirect: { enabled: true, statusCode: 302.5 } } };

    expect(() => renderChart({ inline })).to.throw(/httpRoute.httpsRedirect.statusCode: Invalid type/);
  });

  it('when the release name is long, then the redirect route name still fits 63 characters', () => {
    const release = 'a-release-name-that-is-far-too-long-for-a-kubernetes-dns-label-x';
    const inline = { httpRoute: { enabled: true, httpsRedirect: { enabled: true } } };
    const names = renderChart({ release, inline })
      .all('HTTPRoute')
      .map((route) => route.metadata.name);

    expect(names).to.have.length(2);
    for (const name of names) expect(name).to.match(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });
});

describe('chart: NetworkPolicy, for the ingress controller or the Gateway', () => {
  before(function () {
    requireRenderer(this);
  });

  const httpPeers = (inline: Record<string, unknown>) =>
    renderChart({ inline: { networkPolicy: { enabled: true }, ...inline } }).one(
      'NetworkPolicy',
      'shaservice',
    ).spec.ingress[0].from;

  it("when the HTTPRoute exposes the API, then the http port admits the Gateway's namespace and not ingress-nginx's", () => {
    expect(httpPeers({ httpRoute: { enabled: true } })[0]).to.deep.equal({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway-system' } },
    });
  });

  it("when the Ingress exposes the API, then the http port admits ingress-nginx's namespace and not the Gateway's", () => {
    expect(httpPeers({ ingress: { enabled: true } })[0]).to.deep.equal({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
    });
  });

  it("when the Gateway's data plane runs in another namespace, then its selector is the one admitted", () => {
    const gatewayNamespaceSelector = {
      matchLabels: { 'kubernetes.io/metadata.name': 'envoy-gateway-system' },
    };
    const peers = httpPeers({
      httpRoute: { enabled: true },
      networkPolicy: { enabled: true, gatewayNamespaceSelector },
    });

    expect(peers[0]).to.deep.equal({ namespaceSelector: gatewayNamespaceSelector });
    expect(peers[1].podSelector.matchLabels).to.include({ 'app.kubernetes.io/instance': 'shaservice' });
  });
});
