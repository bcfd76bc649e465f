/**
 * The rendered chart as pods `podman kube play` (podman 4.3) can run: the one place where the chart is changed
 * to be played, and each change is a gap between podman 4.3 and Kubernetes. Containers, commands, scripts, env,
 * security contexts, resources, volume mounts and images stay as rendered. The gaps, and how each is bridged:
 *
 * - No StatefulSet kind: each ordinal is played as a Pod named `<sts>-<i>` with hostname `<sts>-<i>` and
 *   subdomain `<serviceName>`, and each volumeClaimTemplate as a claim `<template>-<sts>-<i>` (Kubernetes's own
 *   PVC name), which podman keeps as a named volume across the pod's deletes, as a PVC outlives its pod.
 *   The StatefulSet controller's work (start order by podManagementPolicy, recreating deleted pods) is the
 *   harness's (release.ts), when a scenario asks for it.
 * - No Deployment replicas: the harness chooses how many API pods to play, each a Pod `<deployment>-<i>`.
 * - No cluster DNS: every pod gets a static IP on a podman network made for the release, and hostAliases in every
 *   pod for each Service name and each headless-Service pod name (`<pod>.<service>.<ns>.svc.cluster.local`,
 *   and the shorter forms a search path would complete). Names resolve even while their pod is down, as with
 *   the chart's `publishNotReadyAddresses`; a headless Service's own name resolves to its first pod only.
 *   A pod played again keeps its IP (in a cluster it would get a new one under the same name), and with it its
 *   MAC, derived from the IP as the CNI bridge plugin does (0a:58 and the octets): with a new random MAC, the
 *   other pods' neighbour caches sent to the old one for about 25 s here.
 * - No kube-proxy: a ClusterIP Service is served by service-proxy.ts at the network's gateway address (the
 *   harness's host end of the network), forwarding each connection to a ready pod; one such Service per release.
 * - Annotations over 63 characters are refused: they are dropped. Only the checksum annotations are that long,
 *   and they only make Kubernetes roll pods when a ConfigMap or Secret changes.
 * - A played Secret is not readable through `secretKeyRef`: each rendered Secret becomes a podman secret of the
 *   same name holding its `data` as a JSON map (key to base64 value), the form kube play's `secretKeyRef` reads.
 *   The env entries stay `secretKeyRef`s, as rendered.
 * - Every `containerPort` would be published on the host (clashing with the machine's own Redis on 6379): `ports`
 *   are removed from the played containers; pods are reached on their IPs, as in a cluster.
 * - Exec probes lose their quoting and httpGet probes become `curl localhost:0`: probes are removed from the
 *   played containers, and probes.ts runs the rendered ones (exec through `podman exec`, httpGet from the host,
 *   as the kubelet does from the node) to wait for readiness. Readiness is probed to start a pod, not every
 *   periodSeconds after, so Service endpoints change only when a pod starts or its deletion begins; liveness is
 *   checked only where a scenario asks.
 * - emptyDirs become named volumes shared between pods: each becomes a claim `<pod>-<volume>` of its own,
 *   removed with its pod, as an emptyDir lives and dies with its pod (its sizeLimit is not enforced).
 * - No preStop hook, and a 10 s stop timeout: `lifecycle` is removed from the played containers; release.ts
 *   runs the rendered preStop with `podman exec`, then stops the pod with what is left of the rendered
 *   terminationGracePeriodSeconds.
 * - ConfigMaps are not objects of their own: they are given to every `kube play` (`--configmap`), and podman keeps a
 *   ConfigMap volume as a named volume of the ConfigMap's name, shared by the release's pods (read-only, as rendered).
 * - No pause image can be pulled: podman builds each pod's infra container from the catatonit package.
 * - No image can be pulled at all: the harness plays only the images it builds (the API's and Redis's, rendered
 *   with `imagePullPolicy: Never`). A container that would pull another image (the optional Redis exporter,
 *   `redis.metrics.exporter.enabled`) is refused when translated, naming it, rather than failing in podman.
 * Not bridged, and not needed by the scenarios: NetworkPolicy (podman does not enforce it), PodDisruptionBudget,
 * ServiceAccount, affinity and topology spread (one node), resource requests (podman turns cpu into shares).
 * podman gives a new named volume the owner of the container's user on first use, which stands in for fsGroup.
 */
import type { Manifest, Rendered } from '../chart/render.js';

/** The parts of a rendered container the harness acts on; the rest is played as it is. */
export interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: Handler };
  [field: string]: unknown;
}

export interface Handler {
  exec?: { command: string[] };
  httpGet?: { path?: string; port: number | string };
}

export interface Probe extends Handler {
  timeoutSeconds?: number;
}

/** A pod as the harness plays it: the document for podman and the rendered containers it came from. */
export interface PodPlan {
  name: string;
  ip: string;
  mac: string;
  /** `Deployment` or `StatefulSet` for the pods of a workload, `Pod` for a bare pod (the helm test). */
  owner: { kind: string; name: string };
  labels: Record<string, string>;
  /** The Pod document given to `podman kube play`. */
  document: object;
  /** The containers as rendered, with the probes, ports and preStop hooks the played ones lack. */
  containers: Container[];
  terminationGracePeriodSeconds: number;
  /** Named volumes standing for the pod's PersistentVolumeClaims: they outlive the pod. */
  claims: string[];
  /** Named volumes standing for its emptyDirs: removed when the pod is. */
  scratch: string[];
}

/** A ClusterIP Service as service-proxy.ts serves it. */
export interface ServicePlan {
  name: string;
  selector: Record<string, string>;
  ports: { name?: string; port: number; targetPort: number | string }[];
}

export interface Translation {
  pods: PodPlan[];
  services: ServicePlan[];
  /**
   * Each rendered ConfigMap, for `podman kube play --configmap` (envFrom and configMap volumes). podman keeps a
   * ConfigMap volume as a named volume of the ConfigMap's name, shared by the release's pods.
   */
  configMaps: Manifest[];
}

export interface Placement {
  namespace: string;
  /** How many pods to play for each Deployment. */
  apiReplicas: number;
  /** The address of each pod by name, fixed before any pod is played since every pod's hosts name them all. */
  addressOf(pod: string): string;
  /** Where the ClusterIP Service's proxy listens. */
  serviceAddress: string;
}

const MAX_ANNOTATION = 63;
// What the harness does in podman's place: publishing nothing, probing, running preStop.
const KEPT_ASIDE = ['ports', 'readinessProbe', 'livenessProbe', 'startupProbe', 'lifecycle'];

export function translate(rendered: Rendered, placement: Placement): Translation {
  const pods = [
    ...rendered.all('StatefulSet').flatMap((sts) => statefulSetPods(sts, placement)),
    ...rendered.all('Deployment').flatMap((deployment) => deploymentPods(deployment, placement)),
    ...rendered
      .all('Pod')
      .map(({ metadata, spec }) =>
        podOf(metadata.name, { metadata, spec }, { kind: 'Pod', name: metadata.name }, placement),
      ),
  ];
  const services = rendered.all('Service');
  const hostAliases = aliases(services, pods, placement);
  const clusterIp = services.filter((service) => service.spec.clusterIP !== 'None');
  if (clusterIp.length > 1)
    throw new Error(`one ClusterIP Service per release can be played, not ${clusterIp.length}`);
  return {
    pods: pods.map((pod) => ({
      ...pod,
      document: { ...pod.document, spec: { ...pod.document.spec, hostAliases } },
    })),
    services: clusterIp.map((service) => ({
      name: service.metadata.name,
      selector: service.spec.selector,
      ports: service.spec.ports.map(({ name, port, targetPort }: ServicePlan['ports'][number]) => ({
        name,
        port,
        targetPort: targetPort ?? port,
      })),
    })),
    configMaps: rendered.all('ConfigMap'),
  };
}

/** A Kubernetes Secret as kube play's `secretKeyRef` reads a podman secret: a JSON map of base64 values. */
export function podmanSecret(secret: Pick<Manifest, 'metadata' | 'data'> & { stringData?: object }) {
  const data: Record<string, string> = { ...secret.data };
  for (const [key, value] of Object.entries(secret.stringData ?? {}))
    data[key] = Buffer.from(String(value)).toString('base64');
  return { name: secret.metadata.name, json: JSON.stringify(data) };
}

type PodDraft = Omit<PodPlan, 'document'> & {
  document: { apiVersion: string; kind: string; metadata: object; spec: Record<string, unknown> };
};

function statefulSetPods(sts: Manifest, placement: Placement): PodDraft[] {
  const name = sts.metadata.name;
  return Array.from({ length: sts.spec.replicas ?? 1 }, (_, ordinal) => {
    const podName = `${name}-${ordinal}`;
    const pod = podOf(podName, sts.spec.template, { kind: 'StatefulSet', name }, placement);
    const claims = (sts.spec.volumeClaimTemplates ?? []).map((claim: Manifest) => ({
      name: claim.metadata.name,
      persistentVolumeClaim: { claimName: `${claim.metadata.name}-${podName}` },
    }));
    const spec = pod.document.spec;
    return {
      ...pod,
      claims: claims.map(
        (claim: { persistentVolumeClaim: { claimName: string } }) => claim.persistentVolumeClaim.claimName,
      ),
      document: {
        ...pod.document,
        spec: {
          ...spec,
          hostname: podName,
          subdomain: sts.spec.serviceName,
          volumes: [...(spec.volumes as object[]), ...claims],
        },
      },
    };
  });
}

function deploymentPods(deployment: Manifest, placement: Placement): PodDraft[] {
  const { name } = deployment.metadata;
  return Array.from({ length: placement.apiReplicas }, (_, i) =>
    podOf(`${name}-${i}`, deployment.spec.template, { kind: 'Deployment', name }, placement),
  );
}

/** One pod from a pod template (or a rendered Pod): the played document and what the harness keeps aside. */
function podOf(
  name: string,
  template: { metadata: Manifest['metadata']; spec: Record<string, unknown> & { containers: Container[] } },
  owner: PodPlan['owner'],
  placement: Placement,
): PodDraft {
  const { spec } = template;
  for (const container of spec.containers) refuseToPull(name, container);
  const rendered = (spec.volumes ?? []) as { name: string; emptyDir?: object }[];
  const scratch = rendered.filter((volume) => volume.emptyDir).map((volume) => `${name}-${volume.name}`);
  const volumes = rendered.map(({ emptyDir, ...volume }) =>
    emptyDir ? { name: volume.name, persistentVolumeClaim: { claimName: `${name}-${volume.name}` } } : volume,
  );
  const annotations = Object.fromEntries(
    Object.entries(template.metadata.annotations ?? {}).filter(([, value]) => value.length <= MAX_ANNOTATION),
  );
  const played = spec.containers.map((container) =>
    Object.fromEntries(Object.entries(container).filter(([field]) => !KEPT_ASIDE.includes(field))),
  );
  return {
    name,
    ip: placement.addressOf(name),
    mac: macOf(placement.addressOf(name)),
    owner,
    labels: template.metadata.labels ?? {},
    containers: spec.containers,
    terminationGracePeriodSeconds: Number(spec.terminationGracePeriodSeconds ?? 30),
    claims: [],
    scratch,
    document: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: placement.namespace, labels: template.metadata.labels, annotations },
      spec: { ...spec, volumes, containers: played },
    },
  };
}

/** Fails, naming the container and its image, when podman would have to pull that image from a registry. */
function refuseToPull(pod: string, container: Container): void {
  if (container.imagePullPolicy === 'Never') return;
  const hint =
    container.name === 'metrics' ? ' (set redis.metrics.exporter.enabled=false: it is off by default)' : '';
  throw new Error(
    `container ${container.name} of pod ${pod} would pull ${String(container.image)}, and no registry can be ` +
      `reached here: the chart is played only with the images the harness builds${hint}`,
  );
}

/** hostAliases for every pod: each Service's names and each headless Service's pod names, with their addresses. */
function aliases(services: Manifest[], pods: PodDraft[], placement: Placement) {
  const { namespace } = placement;
  const forms = (name: string) => [
    name,
    `${name}.${namespace}`,
    `${name}.${namespace}.svc`,
    `${name}.${namespace}.svc.cluster.local`,
  ];
  const byAddress = new Map<string, string[]>();
  const add = (ip: string, names: string[]) => byAddress.set(ip, [...(byAddress.get(ip) ?? []), ...names]);
  for (const service of services) {
    const selected = pods.filter(
      (pod) => selects(service.spec.selector, pod.labels) && pod.owner.kind !== 'Pod',
    );
    if (service.spec.clusterIP !== 'None') {
      add(placement.serviceAddress, forms(service.metadata.name));
      continue;
    }
    const [first] = selected;
    if (first) add(first.ip, forms(service.metadata.name));
    for (const pod of selected)
      if (pod.document.spec.subdomain === service.metadata.name)
        add(pod.ip, forms(`${pod.name}.${service.metadata.name}`));
  }
  return [...byAddress].map(([ip, hostnames]) => ({ ip, hostnames }));
}

function macOf(ip: string): string {
  return ['0a', '58', ...ip.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'))].join(':');
}

export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
