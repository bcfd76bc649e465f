import { expect } from 'chai';
import { type TestApp, metricValue, startApp } from '../helpers/app.js';
import { getMessage, postMessage, send } from '../../tools/client/http.js';
import { createMemoryStore } from '../../service/store/memory-store.js';
import { type MessageStore, StoreUnavailableError } from '../../service/store/message-store.js';

/** A real memory store whose operations can be made to fail the way a broken backend fails. */
function breakableStore(): MessageStore & { failWith: Error | undefined } {
  const store = createMemoryStore();
  const healthy = () => {
    if (breakable.failWith) throw breakable.failWith;
  };
  const breakable = {
    failWith: undefined as Error | undefined,
    get: async (digest: string) => (healthy(), store.get(digest)),
    put: async (digest: string, message: string) => (healthy(), store.put(digest, message)),
    getMany: async (digests: string[], maxBytes: number) => (healthy(), store.getMany(digests, maxBytes)),
    putMany: async (entries: [string, string][]) => (healthy(), store.putMany(entries)),
    ping: async () => (healthy(), {}),
    close: () => store.close(),
  };
  return breakable;
}

describe('failing and slow stores', () => {
  let app: TestApp;
  let store: ReturnType<typeof breakableStore>;
  beforeEach(async () => {
    store = breakableStore();
    app = await startApp({ store, env: { CACHE_MAX_BYTES: '0' } });
  });
  afterEach(() => app.close());

  it('when the store is unavailable, then POST, GET and /readyz answer 503 with Retry-After, and the log says why', async () => {
    const reason = 'Redis is unavailable: connect ECONNREFUSED 10.0.0.1:6379';
    store.failWith = new StoreUnavailableError(reason);

    for (const reply of [
      await postMessage(app.url, 'later'),
      await getMessage(app.url, 'a'.repeat(64)),
      await send(app.url, 'GET', '/readyz'),
    ]) {
      expect(reply.status).to.equal(503);
      expect(reply.headers['retry-after']).to.equal('1');
      expect(reply.json.err_msg).to.be.a('string').and.not.include('ECONNREFUSED');
    }
    expect(await send(app.url, 'GET', '/healthz')).to.have.property('status', 200);
    const requests = app.logs.filter((line) => line.msg === 'request');
    expect(requests.filter((line) => line.status === 503).map((line) => line.cause)).to.deep.equal([
      reason,
      reason,
      reason,
    ]);
    expect(requests.find((line) => line.status === 200)).not.to.have.property('cause');
  });

  it('when the store fails with a bug, then answers 500 with no internals, and logs the error', async () => {
    store.failWith = new TypeError('secret internals: cannot read x of undefined');

    const reply = await postMessage(app.url, 'boom');

    expect(reply.status).to.equal(500);
    expect(reply.json).to.deep.equal({ err_msg: 'Internal server error' });
    expect(reply.text).not.to.include('secret internals');
    const failed = app.logs.find((line) => line.msg === 'request failed') as { err?: { message: string } };
    expect(failed?.err?.message).to.equal('secret internals: cannot read x of undefined');
    expect(await metricValue(app.metrics, 'shaservice_store_errors_total', { operation: 'put' })).to.equal(1);
  });

  it('when the store comes back, then requests succeed again', async () => {
    store.failWith = new StoreUnavailableError('down');
    expect((await postMessage(app.url, 'again')).status).to.equal(503);

    store.failWith = undefined;
    expect((await postMessage(app.url, 'again')).status).to.equal(201);
    expect((await send(app.url, 'GET', '/readyz')).json).to.deep.equal({ status: 'ready' });
  });

  it('when a slow request is still in flight as shutdown begins, then its response closes the connection', async () => {
    let release = () => {};
    let entered = () => {};
    const inStore = new Promise<void>((resolve) => (entered = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const get = store.get;
    store.get = async (digest) => {
      entered();
      await gate;
      return get(digest);
    };

    const reply = getMessage(app.url, 'b'.repeat(64), { Connection: 'keep-alive' });
    await inStore;
    app.lifecycle.shuttingDown = true;
    release();

    expect((await reply).headers.connection).to.equal('close');
  });
});

describe('health endpoints', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  it('when the store answers, then /healthz and /readyz answer 200', async () => {
    expect((await send(app.url, 'GET', '/healthz')).json).to.deep.equal({ status: 'ok' });
    expect((await send(app.url, 'GET', '/readyz')).json).to.deep.equal({ status: 'ready' });
  });

  it('when shutting down, then /readyz answers 503, /healthz 200, and responses close their connection', async () => {
    app.lifecycle.shuttingDown = true;

    const ready = await send(app.url, 'GET', '/readyz');
    const live = await send(app.url, 'GET', '/healthz');

    expect(ready.status).to.equal(503);
    expect(ready.json.err_msg).to.match(/shutting down/i);
    expect(live.status).to.equal(200);
    expect(live.headers.connection).to.equal('close');
  });
});
