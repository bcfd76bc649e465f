import { expect } from 'chai';
import {
  ciValuesFiles,
  lintChart,
  renderChart,
  renderNotes,
  rendererName,
} from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';
import { refusedBySchema } from './refused-by-schema.js';

describe('chart rendering (helm template, or the Go + Sprig renderer without helm)', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when the ci values sets are listed, then all fourteen required sets are there', () => {
    expect(ciValuesFiles()).to.include.members([
      'ci/sentinel-values.yaml',
      'ci/external-sentinel-values.yaml',
      'ci/external-cluster-values.yaml',
      'ci/default-values.yaml',
      'ci/ingress-tls-values.yaml',
      'ci/gateway-api-values.yaml',
      'ci/gateway-api-redirect-values.yaml',
      'ci/certificate-ingress-values.yaml',
      'ci/certificate-gateway-values.yaml',
      'ci/hpa-values.yaml',
      'ci/monitoring-values.yaml',
      'ci/external-redis-values.yaml',
      'ci/networkpolicy-values.yaml',
      'ci/persistence-off-values.yaml',
    ]);
  });

  for (const file of ciValuesFiles()) {
    it(`when rendered with ${file}, then every document is valid against its Kubernetes schema`, () => {
      const { manifests } = renderChart({ values: [file] });

      expect(manifests.length).to.be.greaterThan(5);
      for (const manifest of manifests) {
        const where = `${manifest.kind} ${manifest.metadata.name} (${manifest.source})`;
        expect(schemaProblems(manifest), where).to.deep.equal([]);
        expect(manifest.metadata.labels?.['app.kubernetes.io/instance'], where).to.equal('shaservice');
      }
    });
  }

  it('when rendered with every ci values set, then no two objects of one kind share a name', () => {
    for (const file of ciValuesFiles()) {
      const names = renderChart({ values: [file] }).manifests.map((m) => `${m.kind}/${m.metadata.name}`);
      expect(new Set(names).size, file).to.equal(names.length);
    }
  });

  it('when the release name is long, then every name is cut to 63 characters without a trailing dash', () => {
    const release = 'a-release-name-that-is-far-too-long-for-a-kubernetes-dns-label-x';
    const { manifests } = renderChart({ release });

    for (const manifest of manifests) {
      expect(manifest.metadata.name.length, manifest.metadata.name).to.be.at.most(63);
      expect(manifest.metadata.name).not.to.match(/-$/);
    }
  });

  for (const values of ['ci/default-values.yaml', 'ci/sentinel-values.yaml']) {
    it(`when the release name has 43 characters (${values}), then the StatefulSet name leaves room for its pods' controller-revision-hash label, and every name and label fits`, () => {
      const release = 'payments-digest-store-eu-west-1-production1';
      expect(release).to.have.length(43);
      const { manifests } = renderChart({ release, values: [values] });
      const labelValues = (object: unknown): string[] => {
        if (!object || typeof object !== 'object') return [];
        return Object.entries(object).flatMap(([key, value]) =>
          ['labels', 'matchLabels'].includes(key) && value && typeof value === 'object'
            ? Object.values(value as Record<string, string>).map(String)
            : labelValues(value),
        );
      };

      for (const manifest of manifests) {
        const where = `${manifest.kind} ${manifest.metadata.name}`;
        // The controller labels each pod `<statefulset>-<10-character hash>`; a label value holds 63.
        const limit = manifest.kind === 'StatefulSet' ? 52 : 63;
        expect(manifest.metadata.name.length, where).to.be.at.most(limit);
        expect(manifest.metadata.name, where).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
        for (const value of labelValues(manifest))
          expect(value.length, `${where}: ${value}`).to.be.at.most(63);
      }
      const set = manifests.find((manifest) => manifest.kind === 'StatefulSet')!;
      const lastPod = `${set.metadata.name}-${set.spec.replicas - 1}`;
      expect(`${set.metadata.name}-6d4b8c9f7d`.length).to.be.at.most(63);
      expect(lastPod.length).to.be.at.most(63);
    });
  }

  it('when a schema-valid value breaks a template rule, then rendering fails with the chart message', () => {
    const render = () => renderChart({ set: { terminationGracePeriodSeconds: 12 } });

    expect(render).to.throw(/terminationGracePeriodSeconds \(12 s\) must exceed/);
  });

  it('when both the Ingress and the HTTPRoute are enabled, then the schema refuses them and says to pick one', () => {
    const render = () => renderChart({ set: { 'ingress.enabled': true, 'httpRoute.enabled': true } });

    expect(render).to.throw(refusedBySchema('httpRoute.enabled: httpRoute.enabled does not match: false'));
  });

  it('when the external Redis has no topology, then the schema refuses it naming the three settings', () => {
    expect(() => renderChart({ set: { 'redis.enabled': false } })).to.throw(
      refusedBySchema('externalRedis: url, sentinels or clusterNodes (redis.enabled is false) is required'),
    );
  });

  it('when installed without an ingress, then NOTES.txt gives the port-forward line', () => {
    const notes = renderNotes();

    expect(notes).to.include('kubectl --namespace default port-forward service/shaservice 8080:80');
    expect(notes).to.include('helm test shaservice');
  });

  it('when installed with the ingress and TLS, then NOTES.txt gives the https URL', () => {
    const notes = renderNotes({ values: ['ci/ingress-tls-values.yaml'] });

    expect(notes).to.include('https://shaservice.example.test/');
    expect(notes).not.to.include('port-forward');
  });

  if (rendererName() === 'helm') {
    it('when linted strictly with every ci values set, then helm lint passes', () => {
      for (const file of ciValuesFiles()) expect(lintChart([file]), file).to.match(/0 chart\(s\) failed/);
    });
  }
});
