import { expect } from 'chai';
import { type TestApp, metricValue, startApp } from '../helpers/app.js';
import { getMessage, postMessage, send } from '../../tools/client/http.js';

describe('request logs and metrics', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startApp();
  });
  afterEach(() => app.close());

  const requestLines = () => app.logs.filter((line) => line.msg === 'request');

  it('when a request arrives, then exactly one JSON line is logged with method, route, status, duration and id', async () => {
    const reply = await postMessage(app.url, 'logged');

    expect(requestLines()).to.have.length(1);
    const line = requestLines()[0]!;
    expect(line).to.include({ level: 'info', method: 'POST', route: 'postMessage', status: 201 });
    expect(line.durationMs).to.be.a('number').and.to.be.at.least(0);
    expect(line.reqId).to.equal(reply.headers['x-request-id']);
  });

  it('when the client sends X-Request-Id, then it is echoed and logged', async () => {
    const reply = await send(app.url, 'GET', '/healthz', { headers: { 'X-Request-Id': 'trace-abc.123' } });

    expect(reply.headers['x-request-id']).to.equal('trace-abc.123');
    expect(requestLines()[0]!.reqId).to.equal('trace-abc.123');
  });

  for (const [what, id] of [
    ['spaces and quotes', 'bad id "x"'],
    ['more than 128 characters', 'a'.repeat(129)],
    ['an empty value', ''],
  ] as const) {
    it(`when X-Request-Id has ${what}, then a fresh UUID replaces it`, async () => {
      const reply = await send(app.url, 'GET', '/healthz', { headers: { 'X-Request-Id': id } });

      expect(reply.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
      expect(requestLines()[0]!.reqId).to.equal(reply.headers['x-request-id']);
    });
  }

  it('when messages are posted and read, then their text never reaches the logs', async () => {
    const secret = 'correct horse battery staple';
    const posted = await postMessage(app.url, secret);
    await getMessage(app.url, posted.json.digest);
    await send(app.url, 'POST', '/messages', {
      body: `{"message": "${secret}", "x": 1}`,
      headers: { 'Content-Type': 'application/json' },
    });

    expect(JSON.stringify(app.logs)).not.to.include(secret);
    expect(requestLines()).to.have.length(3);
  });

  it('when requests are answered, then the counter and histogram are labelled by operationId and status', async () => {
    await postMessage(app.url, 'counted');
    await getMessage(app.url, 'f'.repeat(64));

    expect(
      await metricValue(app.metrics, 'http_requests_total', { route: 'postMessage', status: '201' }),
    ).to.equal(1);
    expect(
      await metricValue(app.metrics, 'http_requests_total', { route: 'getMessage', status: '404' }),
    ).to.equal(1);
    const text = await app.metrics.registry.metrics();
    expect(text).to.match(
      /http_request_duration_seconds_count\{method="GET",route="getMessage",status="404"\} 1/,
    );
  });

  it('when many different unknown paths are hit, then they share one "unmatched" label', async () => {
    for (let i = 0; i < 50; i++) await send(app.url, 'GET', `/random/${i}/${Math.random()}`);
    for (let i = 0; i < 50; i++) await send(app.url, 'GET', `/messages/${i}-not-a-digest`);

    const text = await app.metrics.registry.metrics();
    const series = text.split('\n').filter((line) => line.startsWith('http_requests_total{'));
    expect(series).to.deep.equal([
      'http_requests_total{method="GET",route="unmatched",status="404"} 50',
      'http_requests_total{method="GET",route="getMessage",status="404"} 50',
    ]);
  });

  it('when metrics are read, then default process metrics and cache counters are there', async () => {
    const posted = await postMessage(app.url, 'cached');
    await getMessage(app.url, posted.json.digest);
    await getMessage(app.url, posted.json.digest);

    const text = await app.metrics.registry.metrics();
    expect(text).to.include('process_cpu_seconds_total');
    expect(text).to.include('nodejs_eventloop_lag_seconds');
    expect(await metricValue(app.metrics, 'shaservice_cache_hits_total')).to.equal(1);
    expect(await metricValue(app.metrics, 'shaservice_cache_bytes')).to.be.greaterThan(0);
  });
});
