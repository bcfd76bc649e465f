// `npm run screenshot:prometheus`: the dashboard's request-rate query graphed by the stack's Prometheus, after a
// minute of mixed traffic, as docs/prometheus-requests.png.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { launchChromium } from '../client/chromium.js';
import { getMessage, postJson, postMessage } from '../client/http.js';
import { expectedDigest } from '../client/sha256.js';
import { queryPanels, readDashboard, resolveVariables, substituteVariables } from './dashboard.js';
import { pollUntil } from './poll.js';
import { ROOT } from './service-environment.js';
import { type Stack, startStack } from './stack.js';

const OUTPUT = join(ROOT, 'docs/prometheus-requests.png');
const TRAFFIC_MS = 60_000;
// Far above what a minute at this pace sends: only a runaway loop reaches it.
const MAX_REQUESTS = 20_000;
// Grafana's $__rate_interval for a short graph of a 1 s scrape is a few seconds; 15 s keeps lines readable.
const RATE_INTERVAL = '15s';
// The graph spans the traffic and a little before it, so the lines fill the picture.
const GRAPH_RANGE = '90s';

/**
 * POSTs, GETs of stored and unknown digests and malformed bodies, each kind at its own pace, until `stop()` (or
 * a hard bound, should the caller never call it). Resolves to the number of requests sent once stopped.
 */
function startTraffic(stack: Stack): { stop(): Promise<number> } {
  const tls = { ca: readFileSync(stack.certificates.caFile) };
  const stored: string[] = [];
  const deadline = performance.now() + TRAFFIC_MS + 60_000;
  let stopping = false;
  let sent = 0;
  const worker = async (send: (n: number) => Promise<unknown>, pauseMs: number) => {
    for (let n = 0; !stopping && performance.now() < deadline && sent < MAX_REQUESTS; n++, sent++) {
      await send(n);
      await sleep(pauseMs);
    }
  };
  const workers = Promise.all([
    worker(async () => {
      const message = `screenshot ${randomUUID()}`;
      if ((await postMessage(stack.httpsUrl, message, tls)).status === 201) stored.push(message);
    }, 40),
    worker(async (n) => {
      const message = stored[n % Math.max(stored.length, 1)];
      if (message !== undefined) await getMessage(stack.httpsUrl, expectedDigest(message), {}, tls);
    }, 15),
    worker(() => getMessage(stack.httpsUrl, expectedDigest(`unknown ${randomUUID()}`), {}, tls), 120),
    worker(() => postJson(stack.httpsUrl, '/messages', '{"message": ', {}, tls), 250),
  ]);
  return {
    async stop() {
      stopping = true;
      await workers;
      return sent;
    },
  };
}

async function main(): Promise<void> {
  const stack = await startStack();
  process.once('exit', () => stack.killNow());
  let traffic: { stop(): Promise<number> } | undefined;
  try {
    const dashboard = readDashboard();
    const panel = queryPanels(dashboard).find((p) => p.title === 'Request rate by route and status');
    if (!panel?.targets?.[0])
      throw new Error('the dashboard has no "Request rate by route and status" panel');
    console.log(`stack up; sending traffic for ${TRAFFIC_MS / 1000} s`);
    // Still sending while the graph is drawn, so its right edge shows the traffic rather than its end.
    traffic = startTraffic(stack);
    await sleep(TRAFFIC_MS);
    let variables: Record<string, string> | undefined;
    await pollUntil(
      'Prometheus to offer a value for every dashboard variable',
      async () =>
        (variables = await resolveVariables(stack.prometheusUrl, dashboard, RATE_INTERVAL)) !== undefined,
      20_000,
      250,
    );
    const expr = substituteVariables(panel.targets[0].expr, variables ?? {});
    console.log(`graphing ${expr}`);

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const query = new URLSearchParams({ 'g0.expr': expr, 'g0.tab': '0', 'g0.range_input': GRAPH_RANGE });
      await page.goto(`${stack.prometheusUrl}/graph?${query}`);
      // Debian's Prometheus serves the classic UI: a Rickshaw SVG graph, whose legend lists one line per series
      // once the range query has answered.
      await page.locator('.rickshaw_legend .line').first().waitFor({ timeout: 20_000 });
      await page.locator('.rickshaw_graph svg path').first().waitFor({ timeout: 5_000 });
      await page.screenshot({ path: OUTPUT, fullPage: true });
    } finally {
      await browser.close();
    }
    console.log(`${await traffic.stop()} requests sent; wrote ${OUTPUT}`);
  } finally {
    // Stopped again on failure (a no-op after success), so no request is in flight when the stack goes away.
    await traffic?.stop().catch(() => 0);
    await stack.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
