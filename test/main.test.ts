import { expect } from 'chai';
import { Agent, type ClientRequest, type IncomingHttpHeaders, request } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { getMessage, postJson, postMessage, send, type Reply } from '../tools/client/http.js';
import { storedBytes } from './helpers/stored-message.js';
import { useRedisServer } from './helpers/redis-fixtures.js';
import { pollUntil } from '../tools/stack/poll.js';
import { ServiceProcess } from '../tools/stack/service-process.js';
import { testService } from './helpers/test-service.js';
import { expectedDigest } from '../tools/client/sha256.js';

describe('main (the service process)', function () {
  // Each test starts a process that compiles the TypeScript with tsx as it loads; the first of them, on a cold
  // tsx cache and a CI machine busy with other suites, took more than mocha's default 15 s.
  this.timeout(40_000);
  const services: ServiceProcess[] = [];
  const sockets: { destroy(): void }[] = [];

  async function start(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await ServiceProcess.start(testService(env));
    services.push(service);
    return service;
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(services.splice(0).map((service) => service.stop('SIGKILL')));
  });

  it('when REDIS_URL is not set, then it warns that nothing persists and serves POST then GET', async () => {
    const service = await start();
    const message = 'hello from an operator';

    const posted = await postMessage(service.url, message);
    const got = await getMessage(service.url, expectedDigest(message));

    const warning = await service.waitForLog((line) => line.level === 'warn');
    expect(warning.msg)
      .to.match(/REDIS_URL is not set/)
      .and.match(/nothing persists/);
    expect(posted.status).to.equal(201);
    expect(posted.json).to.deep.equal({ digest: expectedDigest(message) });
    expect(got.status).to.equal(200);
    expect(got.json).to.deep.equal({ message });
  });

  it('when one request comes to an idle service, then its log line is out within half a second, though lines leave in runs of 4 KiB', async () => {
    const service = await start();
    await sleep(300);
    const requestId = `lone-${Date.now()}`;

    const sent = performance.now();
    await send(service.url, 'GET', '/healthz', { headers: { 'X-Request-Id': requestId } });
    await service.waitForLog((line) => line.reqId === requestId, 2_000);

    expect(performance.now() - sent).to.be.below(500);
  });

  it('when several settings are invalid, then it exits 2 at once and names every problem on stderr', async () => {
    const service = await ServiceProcess.spawn(
      testService({
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        REDIS_URL: 'http://x',
        CACHE_MAX_BYTES: '-1',
      }),
    );
    services.push(service);

    const exit = await service.waitForExit(8_000);

    expect(exit.code).to.equal(2);
    for (const name of ['PORT', 'LOG_LEVEL', 'REDIS_URL', 'CACHE_MAX_BYTES']) {
      expect(service.stderr).to.match(new RegExp(`^\\s*- ${name} `, 'm'));
    }
    expect(service.logs.map((line) => line.msg)).not.to.include('listening');
  });

  describe('when it cannot listen', () => {
    let taken: Server;
    before(async () => {
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    });
    after(() => new Promise((resolve) => taken.close(resolve)));

    async function failedStart(env: Record<string, string>) {
      const service = await ServiceProcess.spawn(testService(env));
      services.push(service);
      return { exit: await service.waitForExit(8_000), stderr: service.stderr };
    }

    for (const setting of ['PORT', 'METRICS_PORT']) {
      it(`when ${setting} is in use, then it exits 2 naming ${setting}, without a stack trace`, async () => {
        const port = String((taken.address() as AddressInfo).port);

        const { exit, stderr } = await failedStart({ [setting]: port });

        expect(exit.code).to.equal(2);
        expect(stderr).to.include(`  - ${setting} cannot be listened on: EADDRINUSE (got "${port}")`);
        expect(stderr).not.to.match(/^\s+at /m);
      });
    }

    it('when HOST does not resolve, then it exits 2 naming HOST, without a stack trace', async () => {
      const { exit, stderr } = await failedStart({ HOST: 'no.such.host.invalid' });

      expect(exit.code).to.equal(2);
      expect(stderr).to.match(
        /^ {2}- HOST cannot be listened on: [A-Z_]+ \(got "no\.such\.host\.invalid"\)$/m,
      );
      expect(stderr).not.to.match(/^\s+at /m);
    });
  });

  it('when SIGTERM arrives with requests in flight, then it turns unready, stops accepting, answers them all 201 and exits 0', async () => {
    const service = await start({ SHUTDOWN_DELAY_MS: '1000', SHUTDOWN_TIMEOUT_MS: '20000' });
    const messages = ['in flight 1', 'in flight 2', 'in flight 3', 'in flight 4'];
    const posts = await Promise.all(messages.map((message) => startPartialPost(service.url, message)));
    sockets.push(...posts);

    const signalledAt = service.signal('SIGTERM');
    // Both probes in each round, so liveness is seen during the 1 s drain delay, while /readyz says 503.
    let probes: Reply[] = [];
    await pollUntil(
      'GET /readyz to answer 503',
      async () => {
        probes = await Promise.all([
          send(service.url, 'GET', '/readyz'),
          send(service.url, 'GET', '/healthz'),
        ]);
        return probes[0]?.status === 503;
      },
      900,
    );
    await pollUntil('the API port to stop accepting', async () => !(await service.acceptsConnections()));
    for (const post of posts) post.finish();
    const replies = await Promise.all(posts.map((post) => post.response));
    const exit = await service.waitForExit(5_000);

    expect(probes.map((probe) => probe.status)).to.deep.equal([503, 200]);
    expect(replies.map((reply) => reply.status)).to.deep.equal([201, 201, 201, 201]);
    expect(replies.map((reply) => reply.json.digest)).to.deep.equal(messages.map((m) => expectedDigest(m)));
    expect(exit.code).to.equal(0);
    // The clients asked for keep-alive: once answered, their connections must not wait for the 20 s deadline.
    expect(exit.atMs - signalledAt).to.be.below(5_000);
    expect(await service.acceptsConnections()).to.equal(false);
  });

  it('when an idle keep-alive connection is open at SIGTERM, then it exits 0 long before the shutdown timeout', async () => {
    const service = await start({ SHUTDOWN_TIMEOUT_MS: '20000' });
    const idle = await openIdleKeepAlive(service.port);
    sockets.push(idle.socket);

    const signalledAt = service.signal('SIGTERM');
    const exit = await service.waitForExit(5_000);

    expect(idle.response)
      .to.match(/^HTTP\/1\.1 200 /)
      .and.match(/^Connection: keep-alive\r$/im);
    expect(exit.code).to.equal(0);
    expect(exit.atMs - signalledAt).to.be.below(3_000);
  });

  it('when a connection is opened before the server stops accepting and its request comes after, then it is answered with Connection: close', async () => {
    const service = await start({ SHUTDOWN_DELAY_MS: '300', SHUTDOWN_TIMEOUT_MS: '20000' });
    const early = connect(service.port, '127.0.0.1');
    sockets.push(early);
    let response = '';
    early.on('error', () => undefined);
    early.setEncoding('latin1').on('data', (text: string) => (response += text));
    const closed = new Promise((resolve) => early.once('close', resolve));
    await new Promise<void>((resolve, reject) => early.once('connect', resolve).once('error', reject));
    await sleep(200); // accepted by the service, which has nothing to read from it yet

    const signalledAt = service.signal('SIGTERM');
    await pollUntil('the API port to stop accepting', async () => !(await service.acceptsConnections()));
    early.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await closed;
    const exit = await service.waitForExit(5_000);

    expect(response)
      .to.match(/^HTTP\/1\.1 200 /)
      .and.match(/^Connection: close\r$/im);
    expect(exit.code).to.equal(0);
    expect(exit.atMs - signalledAt).to.be.below(5_000);
  });

  it('when SIGTERM arrives under load from 20 clients opening a connection per request, then every request the service received is answered, and it exits 0', async () => {
    const service = await start({ SHUTDOWN_DELAY_MS: '1000', SHUTDOWN_TIMEOUT_MS: '10000' });
    const outcomes = new Map<string, number | string>();
    let refused = false;
    let sent = 0;
    const worker = async (client: number) => {
      for (let i = 0; !refused; i++) {
        const id = `load-${client}-${i}`;
        const post = i % 2 === 0;
        sent += 1;
        const outcome = await send(service.url, post ? 'POST' : 'GET', post ? '/messages' : '/healthz', {
          headers: { 'X-Request-Id': id, ...(post ? { 'Content-Type': 'application/json' } : {}) },
          body: post ? JSON.stringify({ message: id }) : undefined,
        }).then(
          (reply) => reply.status,
          (error: NodeJS.ErrnoException) => error.code ?? String(error),
        );
        outcomes.set(id, outcome);
        if (outcome === 'ECONNREFUSED') refused = true;
      }
    };
    const load = Promise.all(Array.from({ length: 20 }, (_, client) => worker(client)));
    await pollUntil('some load before the signal', () => sent >= 400, 20_000);
    service.signal('SIGTERM');
    await load;
    const exit = await service.waitForExit(15_000);

    const received = new Map(
      service.logs.filter((line) => line.msg === 'request').map((line) => [line.reqId, line.status]),
    );
    const failed = [...outcomes].filter(([, outcome]) => typeof outcome === 'string');
    const resets = failed.filter(([, outcome]) => outcome === 'ECONNRESET').length;
    console.log(
      `      ${outcomes.size} requests, ${received.size} received, ${resets} reset before being received`,
    );
    expect(exit.code).to.equal(0);
    // Whatever reached the service was answered, with the status it logged: none was reset.
    for (const [id, outcome] of outcomes) {
      if (received.has(id)) expect(outcome, id).to.equal(received.get(id));
    }
    // What failed never reached it: refused once the listener closed, or reset by the kernel because the
    // handshake completed into the listen queue after the last accept (see README, Shutdown). At most one per
    // client, since each waits for its answer before it connects again.
    for (const [id, outcome] of failed) {
      expect(received.has(id), id).to.equal(false);
      expect(outcome, id).to.be.oneOf(['ECONNREFUSED', 'ECONNRESET']);
    }
    expect(resets).to.be.at.most(20);
  });

  it('when SIGINT arrives, then it shuts down like on SIGTERM and exits 0', async () => {
    const service = await start();

    service.signal('SIGINT');
    const exit = await service.waitForExit();

    expect(exit.code).to.equal(0);
    expect(service.logs.find((line) => line.msg === 'signal received')?.signal).to.equal('SIGINT');
    expect(service.logs.map((line) => line.msg)).to.include('shut down');
  });

  it('when a second signal arrives during the drain, then the process exits 1 at once', async () => {
    const service = await start({ SHUTDOWN_DELAY_MS: '5000' });

    service.signal('SIGINT');
    await service.waitForLog((line) => line.msg === 'signal received');
    const secondAt = service.signal('SIGINT');
    const exit = await service.waitForExit(3_000);

    expect(exit.code).to.equal(1);
    expect(exit.atMs - secondAt).to.be.below(1_000);
  });

  it('when a request is still unfinished at SHUTDOWN_TIMEOUT_MS, then it is cut and the process exits 0 on time', async () => {
    const service = await start({ SHUTDOWN_DELAY_MS: '200', SHUTDOWN_TIMEOUT_MS: '300' });
    const stuck = await startPartialPost(service.url, 'never finished');
    sockets.push(stuck);

    const signalledAt = service.signal('SIGTERM');
    const exit = await service.waitForExit(5_000);
    const outcome = await stuck.response.then(
      (reply) => `answered ${reply.status}`,
      (error: NodeJS.ErrnoException) => error.code,
    );

    expect(exit.code).to.equal(0);
    expect(exit.atMs - signalledAt).to.be.below(200 + 300 + 1_000);
    expect(outcome).to.equal('ECONNRESET');
    expect(service.logs.some((line) => line.level === 'warn' && /cut off/.test(String(line.msg)))).to.equal(
      true,
    );
  });

  it('when the client sends X-Request-Id, then its log line carries that id and no line carries the message', async () => {
    const service = await start();
    const message = 'confidential text 7c1e9a never to be logged';
    const requestId = 'operator-check-42';

    const posted = await postJson(service.url, '/messages', { message }, { 'X-Request-Id': requestId });
    const got = await getMessage(service.url, expectedDigest(message));
    const line = await service.waitForLog((entry) => entry.reqId === requestId);
    service.signal('SIGTERM');
    await service.waitForExit();

    expect(posted.status).to.equal(201);
    expect(got.json).to.deep.equal({ message });
    expect(line).to.include({ method: 'POST', route: 'postMessage', status: 201, msg: 'request' });
    expect(service.stdout).not.to.include(message);
    expect(service.stderr).not.to.include(message);
  });

  describe('with REDIS_URL set', () => {
    const redis = useRedisServer();

    it('when a message is posted, then it is in that Redis under the key prefix, and SIGTERM exits 0', async () => {
      const server = redis.server();
      const service = await start({ REDIS_URL: server.url, REDIS_KEY_PREFIX: 'main-test:' });
      const message = 'kept in redis';
      const digest = expectedDigest(message);

      const posted = await postMessage(service.url, message);
      const got = await getMessage(service.url, digest);
      const stored = await storedBytes(server.url, 'main-test:', digest);
      service.signal('SIGTERM');
      const exit = await service.waitForExit();

      expect(posted.status).to.equal(201);
      expect(got.status).to.equal(200);
      expect(got.json).to.deep.equal({ message });
      expect(stored?.toString('utf8')).to.equal(message);
      expect(exit.code).to.equal(0);
      // Quitting Redis cleanly means no connection error on the way out, and the last line is reached.
      expect(service.logs.filter((line) => line.level !== 'info')).to.deep.equal([]);
      expect(service.logs.at(-1)?.msg).to.equal('shut down');
    });

    it('when Redis is not up yet at start, then writes get 503 with Retry-After and readiness waits for it', async () => {
      const server = redis.server();
      await server.stop();
      const service = await ServiceProcess.spawn(testService({ REDIS_URL: server.url }));
      services.push(service);
      await pollUntil(
        'the service to be live',
        async () => (await send(service.url, 'GET', '/healthz').catch(() => undefined))?.status === 200,
        10_000,
      );

      const early = await postMessage(service.url, 'before redis');
      const earlyReady = await send(service.url, 'GET', '/readyz');
      await server.startProcess();
      await service.waitUntilReady();
      const late = await postMessage(service.url, 'before redis');

      expect(early.status).to.equal(503);
      expect(early.headers['retry-after']).to.equal('1');
      expect(early.json.err_msg).to.match(/unavailable/);
      expect(earlyReady.status).to.equal(503);
      expect(late.status).to.equal(201);
    });
  });
});

interface PartialPost {
  /** Resolves with the answer once the body is finished, or rejects when the connection is cut. */
  response: Promise<{ status: number; headers: IncomingHttpHeaders; json: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Sends the rest of the body. */
  finish(): void;
  destroy(): void;
}

/**
 * Starts `POST /messages` on a keep-alive connection and sends half its body. `Expect: 100-continue` makes
 * the server say when it has read the headers, so the request is known to be in flight, not just queued.
 */
async function startPartialPost(base: string, message: string): Promise<PartialPost> {
  const body = Buffer.from(JSON.stringify({ message }), 'utf8');
  const half = Math.floor(body.length / 2);
  const { hostname, port } = new URL(base);
  // Its own keep-alive agent: answered, the connection stays open on the client side, as in a proxy's pool.
  const agent = new Agent({ keepAlive: true });
  const req: ClientRequest = request({
    host: hostname,
    port,
    method: 'POST',
    path: '/messages',
    agent,
    headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, Expect: '100-continue' },
  });
  const response = new Promise<Awaited<PartialPost['response']>>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json: JSON.parse(text) });
      });
    });
  });
  // A test that expects the cut reads the rejection later; until then it must not count as unhandled.
  response.catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    req.once('continue', resolve);
    req.once('error', reject);
    req.flushHeaders();
  });
  await new Promise<void>((resolve, reject) =>
    req.write(body.subarray(0, half), (error) => (error ? reject(error) : resolve())),
  );
  return {
    response,
    finish: () => req.end(body.subarray(half)),
    destroy() {
      req.destroy();
      agent.destroy();
    },
  };
}

/** One `GET /healthz` on a raw socket that is then left open and idle, as a proxy's upstream pool does. */
async function openIdleKeepAlive(port: number): Promise<{ socket: Socket; response: string }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined); // a reset at shutdown is one way of being closed
  let response = '';
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.setEncoding('utf8').on('data', (text: string) => {
      response += text;
      if (response.includes('{"status":"ok"}')) resolve();
    });
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
  });
  return { socket, response };
}
