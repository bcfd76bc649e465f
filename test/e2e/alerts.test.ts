import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Reply, type RequestOptions, getMessage, postMessage } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { type Stack, startStack } from '../../tools/stack/stack.js';
import { type Sample, queryPrometheus } from './prometheus.js';
import { buildService, caOf, requireStackCommands } from './stack-fixture.js';

// Each alert must fire well within this after its cause: a window of 10 s, `for` of 2-3 s, 1 s evaluations.
const FIRES_WITHIN_MS = 40_000;

/**
 * The chart's alert rules (charts/shaservice/files/alerts.yaml, loaded by the stack's Prometheus), driven by real
 * causes. A stack of its own, since stopping Redis and killing a replica would disturb the shared one; two
 * replicas, and the kubelet's readiness probe played every second.
 */
describe('e2e: alerts fire on their real causes (the stack Prometheus evaluating the chart rules)', () => {
  let stack: Stack;
  let tls: RequestOptions;

  before(async function () {
    requireStackCommands(this);
    this.timeout(120_000);
    buildService();
    stack = await startStack({
      replicas: 2,
      serviceEnv: { SHUTDOWN_DELAY_MS: '0', LOG_LEVEL: 'warn' },
      readinessProbeMs: 1_000,
    });
    process.once('exit', () => stack.killNow());
    tls = { ca: caOf(stack) };
  });

  after(async function () {
    this.timeout(60_000);
    await stack?.stop();
  });

  it('when the stack is healthy and serves traffic, then every rule is loaded and evaluates, and no alert is even pending', async function () {
    this.timeout(60_000);
    const messages = Array.from({ length: 50 }, () => `healthy ${randomUUID()}`);
    const replies: Reply[] = [];
    for (const message of messages) replies.push(await postMessage(stack.httpsUrl, message, tls));
    for (const message of messages)
      replies.push(await getMessage(stack.httpsUrl, expectedDigest(message), {}, tls));
    // Long enough for the traffic to fill the rates' window and for any condition to outlast its `for`.
    await sleep(12_000);

    const rules = await alertRules();
    const everAlerting = await queryPrometheus(stack.prometheusUrl, 'count_over_time(ALERTS[1m])');

    expect(replies.map((r) => r.status)).to.deep.equal([
      ...messages.map(() => 201),
      ...messages.map(() => 200),
    ]);
    expect(rules.map((r) => r.name)).to.have.members([
      'ShaserviceHighErrorRate',
      'ShaserviceHighLatency',
      'ShaserviceRedisUnavailable',
      'ShaserviceRedisWritesRefused',
      'ShaserviceTargetDown',
    ]);
    for (const rule of rules) expect(rule, rule.name).to.deep.include({ health: 'ok', state: 'inactive' });
    expect(everAlerting.map((s) => s.metric)).to.deep.equal([]);
  });

  it('when Redis is full (maxmemory reached, noeviction) and nothing is sent, then ShaserviceRedisWritesRefused fires from the readiness probes alone, the pods stay ready, and it resolves once Redis has room', async function () {
    this.timeout(90_000);
    const config = (name: string) =>
      stack.redis
        .cli('CONFIG', 'GET', name)
        .split('\n')[1]!
        .replace(/^\d+\) "?|"$/g, '');
    const [maxmemory, policy] = [config('maxmemory'), config('maxmemory-policy')];
    let fired: Sample[];
    let firedAfterMs: number;
    let unavailable: Sample[];
    let readiness: number[];
    stack.redis.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    // Full now: what it already holds is over a 1-byte maxmemory, as a Redis at its limit is.
    stack.redis.cli('CONFIG', 'SET', 'maxmemory', '1');
    const filled = performance.now();
    try {
      fired = await firing('ShaserviceRedisWritesRefused');
      firedAfterMs = performance.now() - filled;
      unavailable = await firingNow('ShaserviceRedisUnavailable');
      readiness = await Promise.all(
        stack.replicas.map(async (replica) => (await fetch(`${replica.url}/readyz`)).status),
      );
    } finally {
      stack.redis.cli('CONFIG', 'SET', 'maxmemory', maxmemory);
      stack.redis.cli('CONFIG', 'SET', 'maxmemory-policy', policy);
    }
    const restored = performance.now();
    await pollUntil(
      'ShaserviceRedisWritesRefused to resolve',
      async () => (await firingNow('ShaserviceRedisWritesRefused')).length === 0,
      FIRES_WITHIN_MS,
      250,
    );
    const resolvedAfterMs = performance.now() - restored;

    console.log(
      `      Redis full, no traffic: ShaserviceRedisWritesRefused firing after ${seconds(firedAfterMs)}, resolved ${seconds(resolvedAfterMs)} after Redis had room`,
    );
    expect(fired.map((s) => s.metric)).to.deep.equal([
      {
        __name__: 'ALERTS',
        alertname: 'ShaserviceRedisWritesRefused',
        alertstate: 'firing',
        job: 'shaservice',
        namespace: 'shaservice-stack',
        severity: 'critical',
      },
    ]);
    expect(unavailable).to.deep.equal([]);
    expect(readiness).to.deep.equal([200, 200]);
  });

  it('when Redis is stopped, then ShaserviceRedisUnavailable fires from the readiness probes alone, ShaserviceHighErrorRate once POSTs answer 503, and both resolve once Redis is back', async function () {
    this.timeout(120_000);
    await stack.redis.stop('SIGTERM');
    const stopped = performance.now();
    await pollUntil('a replica to count failed pings', async () => (await pingErrors()) > 0, 10_000, 100);
    const redisFired = await firing('ShaserviceRedisUnavailable');
    const redisAfterMs = performance.now() - stopped;
    const errorRatioWithoutTraffic = await firingNow('ShaserviceHighErrorRate');

    const traffic = posting();
    let errorsFired: Sample[];
    let errorsAfterMs: number;
    let resolvedAfterMs: number;
    let statuses: number[];
    try {
      const trafficStarted = performance.now();
      errorsFired = await firing('ShaserviceHighErrorRate');
      errorsAfterMs = performance.now() - trafficStarted;

      await stack.redis.startProcess();
      const restarted = performance.now();
      await pollUntil(
        'both alerts to resolve',
        async () =>
          (await firingNow('ShaserviceRedisUnavailable')).length +
            (await firingNow('ShaserviceHighErrorRate')).length ===
          0,
        FIRES_WITHIN_MS,
        250,
      );
      resolvedAfterMs = performance.now() - restarted;
    } finally {
      // Stopped whatever happened, so that a failure above cannot leave requests running into the next test.
      statuses = await traffic.stop();
    }

    console.log(
      `      Redis stopped: ShaserviceRedisUnavailable firing after ${seconds(redisAfterMs)}, ShaserviceHighErrorRate ${seconds(errorsAfterMs)} after POSTs began; both resolved ${seconds(resolvedAfterMs)} after Redis was back`,
    );
    expect(redisFired.map((s) => s.metric)).to.deep.equal([
      {
        __name__: 'ALERTS',
        alertname: 'ShaserviceRedisUnavailable',
        alertstate: 'firing',
        job: 'shaservice',
        namespace: 'shaservice-stack',
        severity: 'critical',
      },
    ]);
    expect(errorRatioWithoutTraffic).to.deep.equal([]);
    expect(errorsFired.map((s) => s.metric.severity)).to.deep.equal(['critical']);
    expect(statuses).to.include(503);
    expect(statuses[statuses.length - 1]).to.equal(201);
  });

  it('when a replica is killed, then ShaserviceTargetDown fires for its instance alone, and resolves once it is back', async function () {
    this.timeout(90_000);
    const [killed, alive] = stack.replicas as [Stack['replicas'][0], Stack['replicas'][0]];
    killed.signal('SIGKILL');
    const killedAt = performance.now();
    const fired = await firing('ShaserviceTargetDown');
    const firedAfterMs = performance.now() - killedAt;

    await killed.start();
    const back = performance.now();
    await pollUntil(
      'ShaserviceTargetDown to resolve',
      async () => (await firingNow('ShaserviceTargetDown')).length === 0,
      FIRES_WITHIN_MS,
      250,
    );
    const resolvedAfterMs = performance.now() - back;

    console.log(
      `      replica killed: ShaserviceTargetDown firing after ${seconds(firedAfterMs)}, resolved ${seconds(resolvedAfterMs)} after it was back`,
    );
    expect(fired.map((s) => s.metric.instance)).to.deep.equal([killed.metricsAddress]);
    expect(fired.map((s) => s.metric.instance)).not.to.include(alive.metricsAddress);
    expect(fired[0]?.metric.severity).to.equal('warning');
  });

  /** The firing ALERTS series of `alertname`, once there is one; throws after FIRES_WITHIN_MS. */
  async function firing(alertname: string) {
    let found = await firingNow(alertname);
    await pollUntil(
      `${alertname} to fire`,
      async () => (found = await firingNow(alertname)).length > 0,
      FIRES_WITHIN_MS,
      250,
    );
    return found;
  }

  function firingNow(alertname: string) {
    return queryPrometheus(stack.prometheusUrl, `ALERTS{alertname="${alertname}", alertstate="firing"}`);
  }

  /** shaservice_store_errors_total{operation="ping"} of replica 0, read from its own /metrics. */
  async function pingErrors(): Promise<number> {
    const response = await fetch(`http://${stack.replicas[0]!.metricsAddress}/metrics`);
    const line = /^shaservice_store_errors_total\{operation="ping"\} (\d+)$/m.exec(await response.text());
    return Number(line?.[1] ?? 0);
  }

  async function alertRules(): Promise<{ name: string; health: string; state: string }[]> {
    const response = await fetch(`${stack.prometheusUrl}/api/v1/rules?type=alert`);
    const body = (await response.json()) as {
      data: { groups: { rules: { name: string; health: string; state: string }[] }[] };
    };
    return body.data.groups
      .flatMap((group) => group.rules)
      .map(({ name, health, state }) => ({ name, health, state }));
  }

  /** New messages POSTed through nginx one after another, until `stop`, which answers their statuses. */
  function posting(): { stop(): Promise<number[]> } {
    const statuses: number[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        const reply = await postMessage(stack.httpsUrl, `alerting ${randomUUID()}`, tls).catch(
          () => undefined,
        );
        statuses.push(reply?.status ?? 0);
        await sleep(50);
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return statuses;
      },
    };
  }
});

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
