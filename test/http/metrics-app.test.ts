import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { createMetricsApp } from '../../service/http/metrics-app.js';
import { createMetrics } from '../../service/metrics.js';
import { send } from '../../tools/client/http.js';

describe('the metrics port', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer(createMetricsApp(createMetrics().registry).callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  for (const path of ['/metrics', '/metrics/']) {
    it(`when GET ${path}, then answers the metrics in Prometheus's text format`, async () => {
      const reply = await send(url, 'GET', path);

      expect(reply.status).to.equal(200);
      expect(reply.headers['content-type']).to.match(/^text\/plain/);
      expect(reply.text).to.include('# TYPE http_requests_total counter');
    });
  }

  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
    it(`when ${method} /metrics, then answers 405 with Allow, as the API port does`, async () => {
      const reply = await send(url, method, '/metrics');

      expect(reply.status).to.equal(405);
      expect(reply.headers.allow).to.equal('HEAD, GET');
      expect(reply.json.err_msg).to.include(`Method ${method} is not allowed`);
    });
  }

  it('when another path is asked for, then answers 404 JSON', async () => {
    const reply = await send(url, 'GET', '/');

    expect(reply.status).to.equal(404);
    expect(reply.json.err_msg).to.match(/no endpoint/);
  });
});
