import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { type Manifest, type RenderOptions, type Rendered, renderChart } from '../chart/render.js';
import { podman } from '../podman/podman.js';
import { pollUntil } from '../stack/poll.js';
import { playImages } from './images.js';
import { RUN_PREFIX, madeObject, removeObjects } from './objects.js';
import { containerName, probeTimeoutMs, runHandler } from './probes.js';
import { type ServiceProxy, startServiceProxy, targetPortOf } from './service-proxy.js';
import { type PodPlan, type ServicePlan, podmanSecret, selects, translate } from './translate.js';

export const NAMESPACE = 'default';
// How many API pods to play: two, so that one can go while the other serves.
const API_REPLICAS = 2;
// Pods are polled for readiness this often; the kubelet would wait each probe's periodSeconds.
const READINESS_POLL_MS = 500;
// Long enough for a Redis replica's first sync and for the API's start on a loaded two-core machine.
const READY_TIMEOUT_MS = 90_000;

/** Values for a scenario, on top of the chart's defaults and of the images the harness built. */
export interface ReleaseOptions {
  values?: string[];
  set?: Record<string, string | number | boolean>;
}

type Workload = 'StatefulSet' | 'Deployment';

/**
 * One release of the chart, played as pods on a podman network of its own: what `helm install` and the cluster's
 * controllers would do, done by hand. `apply` plays a render; the pod operations are those of the kubelet and
 * the controllers (start in order, delete with preStop and grace period, kill), which scenarios call.
 */
export class PlayedRelease {
  /** The latest plan of each pod (a later apply replaces it), and which of them are ready. */
  private readonly plans = new Map<string, PodPlan>();
  /** Pods played and not removed since, and those of them whose readiness probes have passed. */
  private readonly running = new Set<string>();
  private readonly ready = new Set<string>();
  private readonly secrets = new Set<string>();
  private readonly addresses = new Map<string, string>();
  private readonly configMaps = new Map<string, string>();
  private services: ServicePlan[] = [];
  private proxies: ServiceProxy[] = [];
  private statefulSet: Manifest | undefined;
  private lastRendered: Rendered | undefined;

  private constructor(
    readonly name: string,
    private readonly options: ReleaseOptions,
    private readonly network: string,
    /** The first three octets of the network's /24; pods get .10 and up. */
    private readonly subnetPrefix: string,
    /** The host's end of the network, where the Services' proxies listen. */
    readonly gateway: string,
    private readonly dir: string,
  ) {}

  /** A release named `<run prefix>-<suffix>`, on a network of its own, with nothing played yet. */
  static async create(suffix: string, options: ReleaseOptions = {}): Promise<PlayedRelease> {
    const name = `${RUN_PREFIX}-${suffix}`;
    const network = `${name}-net`;
    madeObject('network', network);
    // podman picks a free subnet, so that runs side by side do not collide.
    await podman('network', 'create', network);
    const [subnet, gateway] = (
      await podman(
        'network',
        'inspect',
        network,
        '--format',
        '{{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}}',
      )
    ).split(' ');
    if (!subnet?.endsWith('.0/24') || !gateway)
      throw new Error(`network ${network}: unexpected subnet ${subnet}`);
    const dir = mkdtempSync(join(tmpdir(), `${name}-`));
    return new PlayedRelease(name, options, network, subnet.slice(0, -'.0/24'.length), gateway, dir);
  }

  /** create, then apply a render of the chart with the scenario's values: what `helm install` starts. */
  static async install(suffix: string, options: ReleaseOptions = {}): Promise<PlayedRelease> {
    const release = await PlayedRelease.create(suffix, options);
    try {
      await release.apply(await release.render());
    } catch (error) {
      await release.destroy();
      throw error;
    }
    return release;
  }

  /** The chart rendered as `helm template` renders it for this release, with the harness's images. */
  async render(extra: Pick<RenderOptions, 'set'> = {}): Promise<Rendered> {
    const { api, redis } = await playImages();
    return renderChart({
      release: this.name,
      namespace: NAMESPACE,
      values: this.options.values,
      set: {
        'image.repository': api.repository,
        'image.tag': api.tag,
        'redis.image.repository': redis.repository,
        'redis.image.tag': redis.tag,
        // Built here, never pulled: podman must not try a registry.
        'image.pullPolicy': 'Never',
        'redis.image.pullPolicy': 'Never',
        // Off, so that a message read back is Redis's answer and not an API pod's memory of the POST.
        'config.cacheMaxBytes': 0,
        ...this.options.set,
        ...extra.set,
      },
    });
  }

  /**
   * What `kubectl apply` of a render and the controllers then do, for the chosen workloads: Secrets (replacing
   * those of the same name, as apply would) and ConfigMaps first, then the StatefulSet's pods in its
   * podManagementPolicy's order, then the Deployment's pods, each waited for until ready.
   */
  async apply(rendered: Rendered, workloads: Workload[] = ['StatefulSet', 'Deployment']): Promise<void> {
    const translation = translate(rendered, {
      namespace: NAMESPACE,
      apiReplicas: API_REPLICAS,
      addressOf: (pod) => this.addressOf(pod),
      serviceAddress: this.gateway,
    });
    for (const secret of rendered.all('Secret')) await this.createSecret(secret);
    for (const configMap of translation.configMaps) {
      const file = join(this.dir, `configmap-${configMap.metadata.name}.yaml`);
      writeFileSync(file, stringify(withoutSource(configMap)));
      this.configMaps.set(configMap.metadata.name, file);
      // podman keeps a ConfigMap volume as a named volume of the ConfigMap's name.
      madeObject('volume', configMap.metadata.name);
    }
    this.lastRendered = rendered;
    for (const pod of translation.pods) this.plans.set(pod.name, pod);
    this.services = translation.services;
    if (workloads.includes('StatefulSet')) {
      this.statefulSet = rendered.all('StatefulSet')[0];
      await this.startStatefulSet();
    }
    if (workloads.includes('Deployment')) {
      const pods = this.podsOf('Deployment');
      await Promise.all(pods.map((pod) => this.startPod(pod.name)));
    }
    await this.startServiceProxies();
  }

  /** A Secret as a podman secret `secretKeyRef` can read; one of the same name is replaced. */
  async createSecret(secret: Pick<Manifest, 'metadata' | 'data'>): Promise<void> {
    const { name, json } = podmanSecret(secret);
    await removeObjects('secret', [name]);
    const file = join(this.dir, `secret-${name}.json`);
    writeFileSync(file, json, { mode: 0o600 });
    madeObject('secret', name);
    this.secrets.add(name);
    try {
      await podman('secret', 'create', name, file);
    } finally {
      rmSync(file);
    }
  }

  pod(name: string): PodPlan {
    const plan = this.plans.get(name);
    if (!plan) throw new Error(`release ${this.name} has no pod ${name}`);
    return plan;
  }

  /** The render applied last. */
  get rendered(): Rendered {
    if (!this.lastRendered) throw new Error(`release ${this.name} has had no render applied`);
    return this.lastRendered;
  }

  /** Whether the pod has been played and not deleted since. */
  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /** The pods of the StatefulSet, the Deployment, or the bare Pods (helm tests), in ordinal order. */
  podsOf(kind: Workload | 'Pod'): PodPlan[] {
    return [...this.plans.values()].filter((pod) => pod.owner.kind === kind);
  }

  /** The base URL of each ready pod behind the API Service's `http` port, as an ingress controller sees them. */
  apiUrls(): string[] {
    const service = this.services[0];
    const http = service?.ports.find((port) => port.name === 'http');
    if (!service || !http) throw new Error(`release ${this.name} has no Service with an http port`);
    return this.endpoints(service).map((pod) => `http://${pod.ip}:${targetPortOf(pod, http.targetPort)}`);
  }

  /** The rendered StatefulSet's podManagementPolicy, Kubernetes's default when it says none. */
  get podManagementPolicy(): 'OrderedReady' | 'Parallel' {
    return this.statefulSet?.spec.podManagementPolicy ?? 'OrderedReady';
  }

  /** Starts every StatefulSet pod that is not running: in ordinal order, each once the one before is ready,
   * or all at once with Parallel. */
  async startStatefulSet(): Promise<void> {
    const pods = this.podsOf('StatefulSet').filter((pod) => !this.running.has(pod.name));
    if (this.podManagementPolicy === 'Parallel')
      await Promise.all(pods.map((pod) => this.startPod(pod.name)));
    else for (const pod of pods) await this.startPod(pod.name);
  }

  /** Deletes every StatefulSet pod still there: highest ordinal first, one after another, or all at once with
   * Parallel, as a scale to zero does. */
  async stopStatefulSet(): Promise<void> {
    const pods = this.podsOf('StatefulSet')
      .filter((pod) => this.running.has(pod.name))
      .reverse();
    if (this.podManagementPolicy === 'Parallel')
      await Promise.all(pods.map((pod) => this.deletePod(pod.name)));
    else for (const pod of pods) await this.deletePod(pod.name);
  }

  /** Plays a pod (its claims' volumes kept from before) and waits until every container's readiness probe passes. */
  async startPod(name: string): Promise<void> {
    await this.playPod(this.pod(name));
    await this.waitReady(this.pod(name));
    this.ready.add(name);
  }

  /**
   * Deletes a pod as the kubelet does: out of the Services' endpoints at once, then each container's rendered
   * preStop hook, then SIGTERM with what is left of terminationGracePeriodSeconds before SIGKILL. Its emptyDirs
   * go with it; its claims stay. Answers each container's exit code.
   */
  async deletePod(name: string): Promise<Record<string, number>> {
    const pod = this.pod(name);
    this.ready.delete(name);
    const started = performance.now();
    const graceMs = pod.terminationGracePeriodSeconds * 1000;
    await Promise.all(
      pod.containers.map((container) => {
        const preStop = container.lifecycle?.preStop;
        return preStop && runHandler(pod, container, preStop, graceMs);
      }),
    );
    const leftSeconds = Math.max(0, Math.ceil((graceMs - (performance.now() - started)) / 1000));
    await podman('pod', 'stop', '--ignore', '--time', String(leftSeconds), name);
    const exitCodes: Record<string, number> = {};
    for (const container of pod.containers) {
      const code = await podman('inspect', '--format', '{{.State.ExitCode}}', containerName(pod, container));
      exitCodes[container.name] = Number(code);
    }
    await this.removePod(pod);
    return exitCodes;
  }

  /**
   * The pod's claims lose their data, as when a node goes with its local disk and the claim is provisioned again
   * empty. The pod must not be running.
   */
  async loseClaims(name: string): Promise<void> {
    if (this.running.has(name)) throw new Error(`pod ${name} is running: stop it before its claims go`);
    await removeObjects('volume', this.pod(name).claims);
  }

  /** SIGKILL to every container of the pod, then the pod is gone: a node failing, or a forced delete. */
  async killPod(name: string): Promise<void> {
    const pod = this.pod(name);
    this.ready.delete(name);
    await podman('pod', 'kill', name);
    await this.removePod(pod);
  }

  /** Runs the helm test hook pods, each to its end; their exit codes and logs, then they are deleted. */
  async runTests(): Promise<{ name: string; exitCode: number; logs: string }[]> {
    const results = [];
    for (const pod of this.podsOf('Pod')) {
      await this.playPod(pod);
      const [container] = pod.containers.map((c) => containerName(pod, c));
      if (!container) throw new Error(`test pod ${pod.name} has no container`);
      await pollUntil(
        `test pod ${pod.name} to finish`,
        async () => (await podman('inspect', '--format', '{{.State.Status}}', container)) === 'exited',
        60_000,
        READINESS_POLL_MS,
      );
      const exitCode = Number(await podman('inspect', '--format', '{{.State.ExitCode}}', container));
      const logs = await podman('logs', container);
      await this.removePod(pod);
      results.push({ name: pod.name, exitCode, logs });
    }
    return results;
  }

  /** Runs a command in one of the pod's containers, as `kubectl exec` does. */
  exec(pod: string, container: string, command: string[]): Promise<string> {
    return podman('exec', `${pod}-${container}`, ...command);
  }

  /** Removes everything of this release: pods, volumes (claims included), secrets, network, proxies. */
  async destroy(): Promise<void> {
    await Promise.all(this.proxies.map((proxy) => proxy.close()));
    const pods = [...this.plans.values()];
    await removeObjects(
      'pod',
      pods.map((pod) => pod.name),
    );
    await removeObjects('volume', [
      ...pods.flatMap((pod) => [...pod.claims, ...pod.scratch]),
      ...this.configMaps.keys(),
    ]);
    await removeObjects('secret', [...this.secrets]);
    await removeObjects('network', [this.network]);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async playPod(pod: PodPlan): Promise<void> {
    const file = join(this.dir, `pod-${pod.name}.yaml`);
    writeFileSync(file, stringify(pod.document));
    madeObject('pod', pod.name);
    for (const volume of [...pod.claims, ...pod.scratch]) madeObject('volume', volume);
    this.running.add(pod.name);
    await podman(
      ...['kube', 'play', '--network', this.network, '--ip', pod.ip, '--mac-address', pod.mac],
      ...[...this.configMaps.values()].flatMap((configMap) => ['--configmap', configMap]),
      file,
    );
  }

  /**
   * Waits until every running pod of the workload passes its readiness probes again, e.g. the API pods once Redis
   * is back: until then Kubernetes would keep a pod out of its Services' endpoints.
   */
  async waitReadyAgain(kind: Workload): Promise<void> {
    await Promise.all(
      this.podsOf(kind)
        .filter((pod) => this.running.has(pod.name))
        .map((pod) => this.waitReady(pod)),
    );
  }

  private async waitReady(pod: PodPlan): Promise<void> {
    const probes = pod.containers.flatMap((container) =>
      container.readinessProbe ? [{ container, probe: container.readinessProbe }] : [],
    );
    const isReady = async () => {
      const results = await Promise.all(
        probes.map(({ container, probe }) => runHandler(pod, container, probe, probeTimeoutMs(probe))),
      );
      return results.every(Boolean);
    };
    try {
      await pollUntil(`pod ${pod.name} to be ready`, isReady, READY_TIMEOUT_MS, READINESS_POLL_MS);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await this.describe(pod)}`, { cause: error });
    }
  }

  /** The state and last log lines of each container: what `kubectl describe` and `logs` would show. */
  private async describe(pod: PodPlan): Promise<string> {
    const lines = [];
    for (const container of pod.containers) {
      const name = containerName(pod, container);
      const state = await podman(
        'inspect',
        '--format',
        '{{.State.Status}} (restarts {{.RestartCount}})',
        name,
      ).catch((error: Error) => error.message);
      const logs = await podman('logs', '--tail', '15', name).catch((error: Error) => error.message);
      lines.push(`--- ${name}: ${state}\n${logs}`);
    }
    return lines.join('\n');
  }

  private async removePod(pod: PodPlan): Promise<void> {
    this.running.delete(pod.name);
    await removeObjects('pod', [pod.name]);
    await removeObjects('volume', pod.scratch);
  }

  private endpoints(service: ServicePlan): PodPlan[] {
    return [...this.plans.values()].filter(
      (pod) => this.ready.has(pod.name) && pod.owner.kind !== 'Pod' && selects(service.selector, pod.labels),
    );
  }

  private async startServiceProxies(): Promise<void> {
    await Promise.all(this.proxies.splice(0).map((proxy) => proxy.close()));
    this.proxies = await Promise.all(
      this.services.map((service) => startServiceProxy(this.gateway, service, () => this.endpoints(service))),
    );
  }

  private addressOf(pod: string): string {
    let address = this.addresses.get(pod);
    if (!address) {
      address = `${this.subnetPrefix}.${10 + this.addresses.size}`;
      this.addresses.set(pod, address);
    }
    return address;
  }
}

/** A rendered object as Kubernetes knows it, without the template name the renderer adds. */
function withoutSource(manifest: Manifest): object {
  return Object.fromEntries(Object.entries(manifest).filter(([field]) => field !== 'source'));
}
