import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMetricsApp } from '../../service/http/metrics-app.js';
import type { TestApp } from './app.js';
import { send } from '../../tools/client/http.js';

/** One scrape of an app's metrics: the value of a series, or undefined when the series is not exported. */
export type Scraped = (name: string, labels?: Record<string, string>) => number | undefined;

/**
 * Scrapes the app as Prometheus would: GET /metrics on a metrics port serving the app's registry, as main.ts
 * serves it, and reads the text format's samples.
 */
export async function scrape(app: TestApp): Promise<Scraped> {
  const server = createServer(createMetricsApp(app.metrics.registry).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const reply = await send(`http://127.0.0.1:${port}`, 'GET', '/metrics');
    if (reply.status !== 200) throw new Error(`GET /metrics answered ${reply.status}`);
    return samplesOf(reply.text);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

function samplesOf(text: string): Scraped {
  const samples = text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [, name = '', labelText = '', value = ''] = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line) ?? [];
      const labels = Object.fromEntries(
        [...labelText.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]),
      );
      return { name, labels, value: Number(value) };
    });
  return (name, labels = {}) =>
    samples.find(
      (sample) =>
        sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
    )?.value;
}
