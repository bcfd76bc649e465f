import { expect } from 'chai';
import { renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';

describe('chart: Ingress and Gateway API HTTPRoute', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when rendered with defaults, then there is neither an Ingress nor an HTTPRoute', () => {
    const rendered = renderChart({ values: ['ci/default-values.yaml'] });

    expect(rendered.all('Ingress')).to.have.length(0);
    expect(rendered.all('HTTPRoute')).to.have.length(0);
  });

  it('when the ingress and TLS are on, then it uses its class, the named TLS secret and redirects to HTTPS', () => {
    const ingress = renderChart({ values: ['ci/ingress-tls-values.yaml'] }).one('Ingress');

    expect(ingress.spec.ingressClassName).to.equal('nginx');
    expect(ingress.spec.tls).to.deep.equal([
      { hosts: ['shaservice.example.test'], secretName: 'shaservice-example-tls' },
    ]);
    expect(ingress.metadata.annotations).to.include({
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '30',
    });
    const [path] = ingress.spec.rules[0].http.paths;
    expect(ingress.spec.rules[0].host).to.equal('shaservice.example.test');
    expect(path.backend.service).to.deep.equal({ name: 'shaservice', port: { name: 'http' } });
  });

  it('when maxBodyBytes is set, then proxy-body-size is the same number of bytes as MAX_BODY_BYTES', () => {
    const rendered = renderChart({ values: ['ci/ingress-tls-values.yaml'] });

    const limit =
      rendered.one('Ingress').metadata.annotations!['nginx.ingress.kubernetes.io/proxy-body-size'];
    expect(limit).to.equal('2097152');
    expect(rendered.one('ConfigMap', 'shaservice').data.MAX_BODY_BYTES).to.equal(limit);
  });

  it('when the ingress is on, then ingress-nginx retries on another pod only what it could not send or a GET, at most once, and limits requests per client address', () => {
    const annotations = renderChart({ set: { 'ingress.enabled': true } }).one('Ingress').metadata.annotations;

    expect(annotations).to.include({
      'nginx.ingress.kubernetes.io/proxy-next-upstream': 'error timeout',
      'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': '2',
      'nginx.ingress.kubernetes.io/proxy-next-upstream-timeout': '10',
      'nginx.ingress.kubernetes.io/limit-connections': '100',
    });
  });

  it('when connectionsPerClient is 0, then the Ingress sets no per-address connection limit', () => {
    const annotations = renderChart({
      set: { 'ingress.enabled': true, 'ingress.connectionsPerClient': 0 },
    }).one('Ingress').metadata.annotations;

    expect(annotations).to.not.have.property('nginx.ingress.kubernetes.io/limit-connections');
  });

  it('when the class is changed, then the Ingress uses it', () => {
    const ingress = renderChart({ set: { 'ingress.enabled': true, 'ingress.className': 'traefik' } }).one(
      'Ingress',
    );

    expect(ingress.spec.ingressClassName).to.equal('traefik');
  });

  it('when the Gateway API is chosen, then an HTTPRoute sends its host names to the http port and no Ingress exists', () => {
    const rendered = renderChart({ values: ['ci/gateway-api-values.yaml'] });
    const route = rendered.one('HTTPRoute');

    expect(rendered.all('Ingress')).to.have.length(0);
    expect(route.spec.parentRefs).to.deep.equal([
      { name: 'public', namespace: 'gateway-system', sectionName: 'https' },
    ]);
    expect(route.spec.hostnames).to.deep.equal(['shaservice.example.test']);
    expect(route.spec.rules[0].backendRefs).to.deep.equal([{ name: 'shaservice', port: 80 }]);
  });
});
