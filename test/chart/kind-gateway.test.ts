import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse, parseAllDocuments } from 'yaml';
import { CHART_DIR, ROOT, renderChart } from '../../tools/chart/render.js';
import { requireRenderer } from '../helpers/require-command.js';
import { schemaProblems } from '../helpers/k8s-schemas.js';

// Assertions walk into manifests of several kinds; a loose type keeps them short.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const GATEWAY_DIR = join(ROOT, 'k8s/gateway');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const chartDefaults = parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8')) as Loose;

/** Every object of the manifests k8s/gateway/kind-up.sh applies (every *.yaml there but the kind config). */
function gatewayManifests(): Loose[] {
  return readdirSync(GATEWAY_DIR)
    .filter((file) => file.endsWith('.yaml') && file !== 'kind-cluster.yaml')
    .flatMap((file) => parseAllDocuments(read(`k8s/gateway/${file}`)).map((doc) => doc.toJS() as Loose))
    .filter(Boolean);
}
const one = (kind: string) => {
  const found = gatewayManifests().filter((manifest) => manifest.kind === kind);
  expect(found, kind).to.have.length(1);
  return found[0];
};

describe('k8s/gateway: the Gateway that kind-up.sh makes for `skaffold dev -p kind-gateway`', () => {
  it('when its manifests are read, then every object is valid against its Gateway API or Kubernetes schema', () => {
    const manifests = gatewayManifests();

    expect(manifests.map((m) => m.kind)).to.include.members(['Namespace', 'Gateway', 'ReferenceGrant']);
    for (const manifest of manifests)
      expect(schemaProblems(manifest), `${manifest.kind} ${manifest.metadata.name}`).to.deep.equal([]);
  });

  it("when the chart's HTTPRoute and redirect route attach with their default parentRefs, then the Gateway and listeners they name exist", () => {
    const gateway = one('Gateway');
    const listeners = new Map(gateway.spec.listeners.map((l: Loose) => [l.name, l]));
    // The redirect's parentRefs are derived from the API route's by default: read them from the render.
    const routes = renderChart({
      inline: { httpRoute: { enabled: true, httpsRedirect: { enabled: true } } },
    }).all('HTTPRoute');
    const refs = routes.flatMap((route) => route.spec.parentRefs as Loose[]);

    expect(refs.map((ref) => ref.sectionName)).to.deep.equal(['https', 'http']);

    for (const ref of refs) {
      expect(gateway.metadata).to.include({ name: ref.name, namespace: ref.namespace });
      expect(listeners.has(ref.sectionName), ref.sectionName).to.equal(true);
    }
    expect(listeners.get('https')).to.deep.include({ protocol: 'HTTPS', port: 443 });
    expect(listeners.get('http')).to.deep.include({ protocol: 'HTTP', port: 80 });
    expect(one('Namespace').metadata.name).to.equal(gateway.metadata.namespace);
  });

  it("when the NetworkPolicy admits the Gateway by default, then it selects the Gateway's namespace", () => {
    expect(chartDefaults.networkPolicy.gatewayNamespaceSelector).to.deep.equal({
      matchLabels: { 'kubernetes.io/metadata.name': one('Gateway').metadata.namespace },
    });
  });

  it('when the listeners admit routes, then they admit the namespace skaffold installs the release in', () => {
    const releaseNamespace = (parse(read('skaffold.yaml')) as Loose).deploy.helm.releases[0].namespace;

    for (const listener of one('Gateway').spec.listeners)
      expect(listener.allowedRoutes.namespaces.selector.matchLabels, listener.name).to.deep.equal({
        'kubernetes.io/metadata.name': releaseNamespace,
      });
  });

  it('when the HTTPS listener reads the secret make-tls-secret.sh makes in another namespace, then a ReferenceGrant there allows exactly that Gateway namespace that Secret', () => {
    const gateway = one('Gateway');
    const [ref] = gateway.spec.listeners.find((l: Loose) => l.name === 'https').tls.certificateRefs;
    const grant = one('ReferenceGrant');

    expect(read('k8s/gateway/kind-up.sh')).to.include(
      `make-tls-secret.sh" "$host" ${ref.name as string} ${ref.namespace as string}`,
    );
    expect(ref.namespace).not.to.equal(gateway.metadata.namespace);
    expect(grant.metadata.namespace).to.equal(ref.namespace);
    expect(grant.spec.from).to.deep.equal([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: gateway.metadata.namespace },
    ]);
    expect(grant.spec.to).to.deep.equal([{ group: '', kind: 'Secret', name: ref.name }]);
  });

  it('when the cluster is made, then the Gateway API CRDs (standard channel), cloud-provider-kind and ingress-nginx are pinned versions', () => {
    const gatewayUp = read('k8s/gateway/kind-up.sh');
    const ingressUp = read('k8s/ingress-nginx/kind-up.sh');

    expect(gatewayUp).to.match(/^gateway_api_version=v\d+\.\d+\.\d+$/m);
    expect(gatewayUp).to.include('/releases/download/$gateway_api_version/standard-install.yaml');
    expect(gatewayUp).to.match(/^cloud_provider_kind_version=v\d+\.\d+\.\d+$/m);
    expect(gatewayUp).to.include('cloud-controller-manager:$cloud_provider_kind_version');
    expect(gatewayUp).to.include(`gatewayclass/${one('Gateway').spec.gatewayClassName as string}`);
    expect(ingressUp).to.match(/^ingress_nginx_chart_version=4\.15\.1$/m);
    expect(ingressUp).to.include('--version "$ingress_nginx_chart_version"');
  });
});

/**
 * skaffold.yaml with a profile applied as skaffold applies it: the profile's deploy fields laid onto the
 * top-level ones, then its JSON patches (only `add`, the one op the file uses; any other fails the test).
 */
function skaffoldWithProfile(name?: string): Loose {
  const config = parse(read('skaffold.yaml')) as Loose;
  if (!name) return config;
  const profile = config.profiles.find((p: Loose) => p.name === name);
  expect(profile, `profile ${name}`).to.not.equal(undefined);
  Object.assign(config.deploy, profile.deploy ?? {});
  for (const patch of profile.patches ?? []) {
    expect(patch.op, `${name}: ${patch.path}`).to.equal('add');
    const keys = (patch.path as string)
      .split('/')
      .slice(1)
      .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    const parent = keys.reduce((node: Loose, key) => node?.[key], config);
    expect(parent, `${name}: ${patch.path} has a parent`).to.be.an('object');
    parent[last] = patch.value;
  }
  return config;
}
const releaseValues = (profile?: string) =>
  skaffoldWithProfile(profile).deploy.helm.releases[0].setValues as Record<string, string | boolean | number>;

describe('skaffold.yaml: what each profile installs (no skaffold JSON schema on npm or in Debian; checked by hand)', () => {
  before(function () {
    requireRenderer(this);
  });

  it('when no profile is active, then the release sets neither the Ingress nor the HTTPRoute', () => {
    const keys = Object.keys(releaseValues());

    expect(keys.filter((k) => /^(ingress|httpRoute)\./.test(k))).to.deep.equal([]);
  });

  for (const profile of ['kind', 'minikube']) {
    it(`when the ${profile} profile is active, then the release has the TLS Ingress and no HTTPRoute`, () => {
      const values = releaseValues(profile);

      expect(values).to.include({
        'ingress.enabled': true,
        'ingress.host': 'shaservice.test',
        'ingress.tls.secretName': 'shaservice-tls',
      });
      expect(Object.keys(values).filter((k) => k.startsWith('httpRoute.'))).to.deep.equal([]);
    });
  }

  it('when the kind-gateway profile is active, then the release has the HTTPRoute with its redirect and does not force the Ingress on', () => {
    const values = releaseValues('kind-gateway');

    expect(values).to.include({ 'httpRoute.enabled': true, 'httpRoute.httpsRedirect.enabled': true });
    expect(Object.keys(values).filter((k) => k.startsWith('ingress.'))).to.deep.equal([]);
  });

  it('when the kind-gateway profile is active, then it deploys to the cluster k8s/gateway/kind-cluster.yaml makes and activates there', () => {
    const cluster = (parse(read('k8s/gateway/kind-cluster.yaml')) as Loose).name as string;
    const config = skaffoldWithProfile('kind-gateway');
    const profile = config.profiles.find((p: Loose) => p.name === 'kind-gateway');

    expect(config.deploy.kubeContext).to.equal(`kind-${cluster}`);
    expect(profile.activation).to.deep.equal([{ kubeContext: `kind-${cluster}` }]);
  });

  for (const [profile, kinds] of [
    ['kind', { Ingress: 1, HTTPRoute: 0 }],
    ['minikube', { Ingress: 1, HTTPRoute: 0 }],
    ['kind-gateway', { Ingress: 0, HTTPRoute: 2 }],
  ] as const) {
    it(`when the chart is rendered with the ${profile} profile's values, then the schema accepts them and every object is valid`, () => {
      const rendered = renderChart({ set: releaseValues(profile) });

      for (const [kind, count] of Object.entries(kinds))
        expect(rendered.all(kind), kind).to.have.length(count);
      for (const manifest of rendered.manifests) expect(schemaProblems(manifest)).to.deep.equal([]);
    });
  }
});
