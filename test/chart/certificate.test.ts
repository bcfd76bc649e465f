import { expect } from 'chai';
import { renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';
import { refusedBySchema } from './refused-by-schema.js';

describe('chart: cert-manager Certificate for the Ingress or the Gateway listener', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when the certificate is off (the default), then no Certificate is rendered', () => {
    expect(renderChart({ values: ['ci/ingress-tls-values.yaml'] }).all('Certificate')).to.have.length(0);
  });

  it("when the Ingress has TLS, then the Certificate writes the Ingress's Secret, for its host, beside it in the release's namespace", () => {
    const rendered = renderChart({ values: ['ci/certificate-ingress-values.yaml'], namespace: 'apps' });
    const certificate = rendered.one('Certificate');
    const ingress = rendered.one('Ingress');

    expect(certificate.metadata).to.include({ name: 'shaservice', namespace: 'apps' });
    expect(certificate.spec.secretName).to.equal(ingress.spec.tls[0].secretName);
    expect(certificate.spec.dnsNames).to.deep.equal(ingress.spec.tls[0].hosts);
    expect(certificate.spec.issuerRef).to.deep.equal({
      name: 'letsencrypt',
      kind: 'ClusterIssuer',
      group: 'cert-manager.io',
    });
    expect(certificate.spec).to.include({ duration: '2160h', renewBefore: '720h' });
    expect(schemaProblems(certificate)).to.deep.equal([]);
  });

  it("when the HTTPRoute exposes the API, then the Certificate is made in the Gateway's namespace, for the route's host names, into the listener's Secret", () => {
    const rendered = renderChart({ values: ['ci/certificate-gateway-values.yaml'], namespace: 'apps' });
    const certificate = rendered.one('Certificate');

    expect(certificate.metadata.namespace).to.equal('gateway-system');
    expect(certificate.spec.secretName).to.equal('shaservice-example-tls');
    expect(certificate.spec.dnsNames).to.deep.equal(rendered.one('HTTPRoute').spec.hostnames);
    expect(certificate.spec.issuerRef).to.deep.equal({
      name: 'shaservice-ca',
      kind: 'Issuer',
      group: 'cert-manager.io',
    });
    expect(certificate.spec).to.include({ duration: '720h', renewBefore: '240h' });
    expect(schemaProblems(certificate)).to.deep.equal([]);
  });

  it("when the Gateway is in the release's own namespace (no namespace in its parentRef), then so is the Certificate", () => {
    const inline = {
      httpRoute: { enabled: true, parentRefs: [{ name: 'gateway', sectionName: 'https' }] },
      certificate: { enabled: true, issuerRef: { name: 'ca' } },
    };

    expect(renderChart({ inline, namespace: 'apps' }).one('Certificate').metadata.namespace).to.equal('apps');
  });

  it('when the certificate has no issuer, then the schema refuses it asking for certificate.issuerRef.name', () => {
    const inline = { ingress: { enabled: true }, certificate: { enabled: true } };

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema('certificate.issuerRef.name: String length must be greater than or equal to 1'),
    );
  });

  it('when nothing would serve the certificate (no HTTPRoute, no Ingress), then the schema refuses it asking for the Ingress', () => {
    const inline = { certificate: { enabled: true, issuerRef: { name: 'ca' } } };

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema('ingress.enabled: ingress.enabled does not match: true'),
    );
  });

  it('when the Ingress has TLS off, then a certificate for it is refused asking for ingress.tls.enabled', () => {
    const inline = {
      ingress: { enabled: true, tls: { enabled: false } },
      certificate: { enabled: true, issuerRef: { name: 'ca' } },
    };

    expect(() => renderChart({ inline })).to.throw(
      refusedBySchema('ingress.tls.enabled: ingress.tls.enabled does not match: true'),
    );
  });

  it('when a duration is not one cert-manager reads, then the schema refuses it', () => {
    const inline = {
      ingress: { enabled: true },
      certificate: { enabled: true, issuerRef: { name: 'ca' }, duration: '90d' },
    };

    expect(() => renderChart({ inline })).to.throw(/- certificate.duration: Does not match pattern/);
  });
});
