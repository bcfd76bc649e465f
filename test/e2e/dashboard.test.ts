import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import {
  type Dashboard,
  legendLabels,
  queryPanels,
  readDashboard,
  resolveVariables,
  substituteVariables,
  variableValues,
} from '../../tools/stack/dashboard.js';
import { pollUntil } from '../../tools/stack/poll.js';
import type { Stack } from '../../tools/stack/stack.js';
import { getMessage, postJson, postMessage, type RequestOptions } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { queryPrometheus } from './prometheus.js';
import { caOf, useStack } from './stack-fixture.js';

// What Grafana puts for $__rate_interval is at least four scrape intervals; the stack scrapes each second, and a
// minute keeps this run's traffic inside every window while the panels are queried one after the other.
const RATE_INTERVAL = '1m';
const dashboard: Dashboard = readDashboard();

describe('e2e: every Grafana dashboard panel, queried against the stack’s Prometheus', () => {
  let stack: Stack;
  let tls: RequestOptions;
  let variables: Record<string, string>;

  /** POSTs, GETs of stored and unknown digests, and malformed bodies: 201 and 400 on POST, 200 and 404 on GET. */
  async function sendTraffic(): Promise<void> {
    const messages = Array.from({ length: 6 }, (_, i) => `dashboard ${i} ${randomUUID()}`);
    for (const message of messages)
      expect((await postMessage(stack.httpsUrl, message, tls)).status).to.equal(201);
    for (const message of [...messages, ...messages])
      expect((await getMessage(stack.httpsUrl, expectedDigest(message), {}, tls)).status).to.equal(200);
    for (let i = 0; i < 3; i++) {
      const unknown = expectedDigest(`never stored ${randomUUID()}`);
      expect((await getMessage(stack.httpsUrl, unknown, {}, tls)).status).to.equal(404);
      expect((await postJson(stack.httpsUrl, '/messages', '{"message": ', {}, tls)).status).to.equal(400);
    }
  }

  /** `route status` pairs whose request rate, as the dashboard's request-rate panel computes it, is above 0. */
  async function answeredRoutes(): Promise<Set<string>> {
    const panel = queryPanels(dashboard).find((p) => p.title === 'Request rate by route and status')!;
    const samples = await queryPrometheus(
      stack.prometheusUrl,
      substituteVariables(panel.targets![0]!.expr, variables),
    );
    return new Set(samples.filter((s) => s.value > 0).map((s) => `${s.metric.route} ${s.metric.status}`));
  }

  /** The values Grafana would offer for one query variable, given the ones before it. */
  function offered(name: string, known: Record<string, string>): Promise<string[]> {
    return variableValues(
      stack.prometheusUrl,
      dashboard.templating.list.find((v) => v.name === name)!,
      known,
    );
  }

  before(async function () {
    stack = await useStack(this);
    tls = { ca: caOf(stack) };
    // Counters are born at their first increment, and a rate needs two samples after it: a first round makes
    // the series, a second one, once they are scraped, makes every rate the panels show above 0.
    await sendTraffic();
    // The second round must come after a scrape that saw the first: a series first scraped at its final value
    // has no increase inside the window, and its rate stays 0.
    const expected = ['postMessage 201', 'postMessage 400', 'getMessage 200', 'getMessage 404'];
    await pollUntil(
      `Prometheus to have scraped ${expected.join(', ')}`,
      async () => {
        const samples = await queryPrometheus(
          stack.prometheusUrl,
          'sum by (route, status) (http_requests_total)',
        );
        const scraped = new Set(samples.map((s) => `${s.metric.route} ${s.metric.status}`));
        return expected.every((pair) => scraped.has(pair));
      },
      20_000,
      250,
    );
    let resolved: Record<string, string> | undefined;
    await pollUntil(
      'Prometheus to offer a value for every dashboard variable',
      async () =>
        (resolved = await resolveVariables(stack.prometheusUrl, dashboard, RATE_INTERVAL)) !== undefined,
      20_000,
      250,
    );
    variables = resolved!;
    await sendTraffic();
    await pollUntil(
      `the request-rate panel to show ${expected.join(', ')}`,
      async () => {
        const routes = await answeredRoutes();
        return expected.every((pair) => routes.has(pair));
      },
      30_000,
      250,
    );
  });

  it('when the namespace and job variables are resolved as Grafana resolves them, then they find the stack’s scrape job', async () => {
    expect(await offered('namespace', {})).to.deep.equal(['shaservice-stack']);
    expect(await offered('job', { namespace: 'shaservice-stack' })).to.deep.equal(['shaservice']);
    expect(await offered('job', { namespace: 'another-namespace' })).to.deep.equal([]);
    expect(variables).to.include({ namespace: 'shaservice-stack', job: 'shaservice' });
  });

  for (const panel of queryPanels(dashboard)) {
    const legends = [...new Set((panel.targets ?? []).flatMap((t) => legendLabels(t.legendFormat)))];
    const labels = legends.length ? legends.join(', ') : 'no label';
    it(`when the "${panel.title}" panel is queried, then every target answers a number per series, with ${labels}`, async () => {
      for (const target of panel.targets ?? []) {
        const expr = substituteVariables(target.expr, variables);
        const samples = await queryPrometheus(stack.prometheusUrl, expr);
        const where = `${target.refId}: ${expr}`;

        expect(expr, where).not.to.match(/\$|\[\[/);
        expect(samples, `${where} returned no series`).to.have.length.above(0);
        expect(
          samples.some((sample) => Number.isFinite(sample.value)),
          `${where} returned only NaN`,
        ).to.equal(true);
        for (const label of legendLabels(target.legendFormat))
          for (const sample of samples) expect(sample.metric, where).to.have.property(label);
      }
    });
  }
});
