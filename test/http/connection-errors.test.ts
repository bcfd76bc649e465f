import { expect } from 'chai';
import { type TestApp, metricValue, startApp } from '../helpers/app.js';
import { scrape } from '../helpers/scrape.js';
import { connect } from 'node:net';
import { pollUntil } from '../../tools/stack/poll.js';
import { postMessage, send } from '../../tools/client/http.js';
import { type RawResponse, decodedBody, parseResponses, rawExchange } from '../helpers/raw-http.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { MAX_IN_FLIGHT_PER_CONNECTION } from '../../service/http/pipelining.js';

/** The first answer to `bytes` sent as they are on a new connection, and how long it took to come. */
async function rawRequest(base: string, bytes: string, timeoutMs = 10_000) {
  const started = performance.now();
  const target = { host: '127.0.0.1', port: Number(new URL(base).port) };
  const exchange = await rawExchange(target, Buffer.from(bytes, 'latin1'), { timeoutMs });
  const response = exchange.responses[0];
  if (!response) throw new Error(`no answer (${exchange.end}): ${exchange.received.toString('latin1')}`);
  return { ...response, ms: performance.now() - started };
}

function expectJsonError(reply: RawResponse, status: number, pattern: RegExp): void {
  expect(reply.status).to.equal(status);
  expect(reply.headers['content-type']?.[0]).to.match(/^application\/json/);
  expect(reply.headers.connection?.[0]).to.equal('close');
  expect(JSON.parse(decodedBody(reply).toString('utf8')).err_msg).to.match(pattern);
}

/**
 * Sends `head`, waits for its answer to be written (reading nothing), then sends `body` and reads what came:
 * a client that sends a large body in one go while the server answers early.
 */
async function sendBodyAfterAnswer(base: string, head: string, body: Buffer) {
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  const started = performance.now();
  socket.pause();
  let writeError: string | undefined;
  socket.on('error', (error) => {
    writeError = error.message;
  });
  socket.write(head, 'latin1');
  await new Promise((resolve) => setTimeout(resolve, 300));
  await new Promise<void>((resolve) => socket.write(body, () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 100));
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.resume();
  await new Promise((resolve) => socket.once('close', resolve));
  return { writeError, received: Buffer.concat(received), closedAfterMs: performance.now() - started };
}

describe('requests that Node refuses before the app sees them', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { REQUEST_TIMEOUT_MS: '1000' } });
  });
  after(() => app.close());

  const post = (headers: string, body = '{"message":"x"}') =>
    `POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;

  for (const [what, bytes] of [
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['a lowercase method', 'get /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a NUL in the path', 'GET /\0 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['two different Content-Lengths', post('Content-Length: 15\r\nContent-Length: 16\r\n')],
    ['a Content-Length that is not a number', post('Content-Length: 1x\r\n')],
    [
      'both Content-Length and Transfer-Encoding',
      post('Content-Length: 15\r\nTransfer-Encoding: chunked\r\n'),
    ],
  ] as const) {
    it(`when it sends ${what}, then answers 400 as JSON and closes`, async () => {
      const reply = await rawRequest(app.url, bytes);

      expectJsonError(reply, 400, /not valid HTTP\/1\.1 \(HPE_\w+\)/);
    });
  }

  it('when an HTTP/1.1 request has no Host, then answers 400 as JSON and closes', async () => {
    const reply = await rawRequest(app.url, 'GET /healthz HTTP/1.1\r\n\r\n');

    expectJsonError(reply, 400, /must carry a Host header/);
  });

  it('when it sends CONNECT, then answers 400 as JSON and closes', async () => {
    const reply = await rawRequest(app.url, 'CONNECT localhost:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n');

    expectJsonError(reply, 400, /not a proxy/);
  });

  it('when bytes that do not parse follow a good request, then its answer comes whole, then the 400', async () => {
    const target = { host: '127.0.0.1', port: Number(new URL(app.url).port) };
    const bytes = Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nxyz\r\n\r\n');

    const exchange = await rawExchange(target, bytes, { lingerMs: 300 });

    expect(exchange.responses.map((response) => response.status)).to.deep.equal([200, 400]);
    expect(JSON.parse(decodedBody(exchange.responses[0]!).toString())).to.deep.equal({ status: 'ok' });
    expectJsonError(exchange.responses[1]!, 400, /not valid HTTP/);
  });

  it('when bytes that do not parse follow 5 pipelined POSTs in one write, then all 5 answers come, then the 400, then the close', async () => {
    const target = { host: '127.0.0.1', port: Number(new URL(app.url).port) };
    const posts = Array.from({ length: 5 }, (_, i) => {
      const body = JSON.stringify({ message: `lost-${i}` });
      return post(`Content-Length: ${Buffer.byteLength(body)}\r\n`, body);
    });
    const bytes = Buffer.from(`${posts.join('')}BLAH / HTTP/1.1\r\nHost: x\r\n\r\n`);

    const exchange = await rawExchange(target, bytes, { lingerMs: 5_000 });

    expect(exchange.end).to.equal('closed');
    expect(exchange.responses.map((response) => response.status)).to.deep.equal([
      201, 201, 201, 201, 201, 400,
    ]);
    expectJsonError(exchange.responses[5]!, 400, /not valid HTTP\/1\.1 \(HPE_INVALID_METHOD\)/);
  });

  it('when bytes that do not parse follow more pipelined GETs than run at once, then every answer comes, then the 400', async () => {
    const target = { host: '127.0.0.1', port: Number(new URL(app.url).port) };
    const count = 2 * MAX_IN_FLIGHT_PER_CONNECTION + 4;
    const gets = Array.from(
      { length: count },
      (_, i) => `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: pipelined-${i}\r\n\r\n`,
    );
    const bytes = Buffer.from(`${gets.join('')}BLAH / HTTP/1.1\r\nHost: x\r\n\r\n`);

    const exchange = await rawExchange(target, bytes, { lingerMs: 5_000 });

    expect(exchange.end).to.equal('closed');
    const answers = exchange.responses.slice(0, -1);
    expect(answers.map((response) => response.headers['x-request-id']?.[0])).to.deep.equal(
      Array.from({ length: count }, (_, i) => `pipelined-${i}`),
    );
    expect(answers.every((response) => response.status === 200)).to.equal(true);
    expectJsonError(exchange.responses.at(-1)!, 400, /not valid HTTP\/1\.1 \(HPE_INVALID_METHOD\)/);
  });

  it('when the body is sent gzip with no chunked coding, then one error answers and the connection closes', async () => {
    const target = { host: '127.0.0.1', port: Number(new URL(app.url).port) };
    const bytes = Buffer.from(post('Transfer-Encoding: gzip\r\n'), 'latin1');

    const exchange = await rawExchange(target, bytes, { lingerMs: 300 });

    // Whichever notices first: the app (415, the coding) or the parser (400, no way to find the body's end).
    expect(exchange.responses).to.have.length(1);
    const [reply] = exchange.responses;
    expectJsonError(
      reply!,
      reply!.status,
      /Transfer-Encoding gzip is not accepted|HPE_INVALID_TRANSFER_ENCODING/,
    );
    expect(reply!.status).to.be.oneOf([400, 415]);
  });

  it('when a refused request is followed by 5 MB of body, then the 400 still reaches the client (no reset)', async () => {
    const target = { host: '127.0.0.1', port: Number(new URL(app.url).port) };
    const head = post('Content-Length: 5000000\r\nTransfer-Encoding: chunked\r\n', '');
    const bytes = Buffer.concat([Buffer.from(head, 'latin1'), Buffer.alloc(5_000_000, 'a')]);

    const exchange = await rawExchange(target, bytes);

    expect(exchange.end, exchange.received.toString('latin1')).to.equal('answered');
    expectJsonError(exchange.responses[0]!, 400, /HPE_UNEXPECTED_CONTENT_LENGTH|not valid HTTP/);
  });

  // The client reads nothing until it has sent its whole body, and sends it only once the answer has been
  // written and the connection closed: had the server closed at once, the body would meet a reset, which
  // fails the client's write and loses the answer it had not yet read (issue 14's CI: a POST without Host
  // and 1 MB of body got no answer at all).
  for (const [what, head, status, pattern] of [
    [
      'an HTTP/1.1 request has no Host',
      'POST /messages HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n',
      400,
      /Host/,
    ],
    [
      'Content-Length announces more than the limit',
      'POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n',
      413,
      /limit/,
    ],
  ] as const) {
    it(`when ${what} and its body comes after the answer, then the client still reads the ${status} (lingering close)`, async () => {
      const exchange = await sendBodyAfterAnswer(app.url, head, Buffer.alloc(1_000_000, 'a'));

      expect(exchange.writeError, 'the body met a reset').to.equal(undefined);
      expectJsonError(parseResponses(exchange.received).responses[0]!, status, pattern);
    });
  }

  it('when a request follows one answered with Connection: close, then it is not served and the connection still closes', async () => {
    const message = `after close ${Date.now()}`;
    const body = JSON.stringify({ message });
    const next = `POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const head = 'POST /messages HTTP/1.1\r\nContent-Length: 3\r\n\r\n';

    const exchange = await sendBodyAfterAnswer(app.url, head, Buffer.from(`{}\n${next}`, 'latin1'));

    expect(exchange.closedAfterMs).to.be.below(3_000);
    expect(parseResponses(exchange.received).responses.map((reply) => reply.status)).to.deep.equal([400]);
    const stored = await send(app.url, 'GET', `/messages/${expectedDigest(message)}`);
    expect(stored.status).to.equal(404);
  });

  it('when a POST follows a refused one (Transfer-Encoding gzip, chunked) in the same write, then only the 415 comes and nothing is stored', async () => {
    const message = `pipelined after a refusal ${Date.now()}`;
    const body = JSON.stringify({ message });
    const refused = post('Transfer-Encoding: gzip, chunked\r\n', '2\r\n{}\r\n0\r\n\r\n');
    const next = post(`Content-Length: ${body.length}\r\n`, body);
    const target = { host: '127.0.0.1', port: Number(new URL(app.url).port) };

    const exchange = await rawExchange(target, Buffer.from(refused + next, 'latin1'), { lingerMs: 500 });

    expect(exchange.responses.map((reply) => reply.status)).to.deep.equal([415]);
    const stored = await send(app.url, 'GET', `/messages/${expectedDigest(message)}`);
    expect(stored.status).to.equal(404);
  });

  it('when one header is 20 KiB, then answers 431 as JSON and closes', async () => {
    const reply = await rawRequest(
      app.url,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_480)}\r\n\r\n`,
    );

    expectJsonError(reply, 431, /headers are too large/);
  });

  it('when it sends 3,000 headers, then answers 431 as JSON and closes', async () => {
    const headers = Array.from({ length: 3000 }, (_, i) => `X-H${i}: v\r\n`).join('');

    const reply = await rawRequest(app.url, `GET /healthz HTTP/1.1\r\nHost: x\r\n${headers}\r\n`);

    expectJsonError(reply, 431, /headers are too large/);
  });

  it('when it expects something other than 100-continue, then answers 417 as JSON and closes', async () => {
    const reply = await rawRequest(app.url, post('Content-Length: 15\r\nExpect: foo\r\n'));

    expectJsonError(reply, 417, /100-continue/);
  });

  it('when its headers stop half way, then answers 408 as JSON within about REQUEST_TIMEOUT_MS', async () => {
    const reply = await rawRequest(app.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 5_000);

    expectJsonError(reply, 408, /took too long/);
    // 1 s to time out, plus up to one 1 s sweep of Node's timeout check.
    expect(reply.ms).to.be.below(2_500);
  });

  it('when a body arrives too slowly, then answers 408 as JSON within about REQUEST_TIMEOUT_MS', async () => {
    const { port } = new URL(app.url);
    const started = performance.now();
    const socket = connect(Number(port), '127.0.0.1');
    socket.write(
      'POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
    );
    const drip = setInterval(() => socket.write(' '), 200);
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('close', resolve)).finally(() => clearInterval(drip));
    const ms = performance.now() - started;
    const [reply] = parseResponses(Buffer.concat(received)).responses;

    expectJsonError(reply!, 408, /took too long/);
    expect(ms).to.be.below(3_000);
  });

  it('when a chunk size does not parse, then answers 400 as JSON at once, not at the request timeout', async () => {
    const head =
      'POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked';

    const reply = await rawRequest(app.url, `${head}\r\n\r\nzz\r\n`, 900);

    expectJsonError(reply, 400, /HPE_INVALID_CHUNK_SIZE/);
  });

  it('when a request is refused, then it is logged with its status and parser code, and counted', async () => {
    await rawRequest(app.url, 'get /healthz HTTP/1.1\r\nHost: x\r\n\r\n');

    const line = app.logs.find((entry) => entry.msg === 'request refused by the HTTP parser');
    expect(line).to.include({ status: 400, code: 'HPE_INVALID_METHOD' });
    const counted = await app.metrics.httpRequests.get();
    expect(counted.values.some((v) => v.labels.route === 'unmatched' && v.labels.status === 400)).to.equal(
      true,
    );
  });
});

describe('clients that hang up early', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { CACHE_MAX_BYTES: '0', MAX_BODY_BYTES: String(16 * 1024 * 1024) } });
  });
  after(() => app.close());

  it('when a client resets in the middle of a large answer, then one info line without a stack says so', async () => {
    const message = 'x'.repeat(8_000_000);
    await postMessage(app.url, message);
    const { port } = new URL(app.url);

    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.write(`GET /messages/${expectedDigest(message)} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    // Not reading fills the socket buffers, so the server is still writing when the reset comes.
    socket.once('data', () => {
      socket.pause();
      setTimeout(() => socket.resetAndDestroy(), 50);
    });
    let line: Record<string, unknown> | undefined;
    await pollUntil(
      'the log line',
      () => (line = app.logs.find((entry) => entry.code === 'ECONNRESET')) !== undefined,
    );

    expect(line).to.include({
      level: 'info',
      msg: 'client closed the connection before the response was complete',
    });
    expect(line?.reqId).to.be.a('string');
    expect(app.logs.filter((entry) => entry.level !== 'info')).to.deep.equal([]);
  });

  it('when a client closes in the middle of its body, then only its request line is logged', async () => {
    const before = app.logs.length;
    const { port } = new URL(app.url);
    const socket = connect(Number(port), '127.0.0.1', () =>
      socket.end(
        `${'POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n'}Content-Length: 100\r\n\r\n{"mes`,
      ),
    );

    await pollUntil('the request line', () => app.logs.length > before);
    // A later request's line shows that anything the hang-up logged would be there by now.
    await send(app.url, 'GET', '/healthz');

    expect(app.logs.slice(before)).to.have.length(2);
    expect(app.logs[before]).to.include({ msg: 'request', route: 'postMessage', status: 400 });
  });
});

/** Sends a POST's headers declaring `declared` body bytes, then one byte every `everyMs`; the server's answer. */
async function dripBody(base: string, declared: number, everyMs: number): Promise<RawResponse | undefined> {
  const socket = connect(Number(new URL(base).port), '127.0.0.1');
  socket.write(
    `POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${declared}\r\n\r\n{`,
  );
  const drip = setInterval(() => socket.write(' '), everyMs);
  const received: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => received.push(chunk));
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('close', resolve)).finally(() => clearInterval(drip));
  return parseResponses(Buffer.concat(received)).responses[0];
}

describe('requests the server times out or refuses while the app reads them', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startApp({ env: { REQUEST_TIMEOUT_MS: '1000' } });
  });
  afterEach(() => app.close());

  const requestLines = () =>
    app.logs.filter((line) => line.msg === 'request' || line.msg === 'request refused by the HTTP parser');

  it('when 3 clients send a body a byte at a time, then each is one 408 of POST postMessage: one line, one count, one observation', async () => {
    const replies = await Promise.all([1, 2, 3].map(() => dripBody(app.url, 70, 200)));
    // The request's own chain ends when the refused socket closes: its line is the last thing written.
    await pollUntil('the 3 request lines', () => requestLines().length >= 3);

    expect(replies.map((reply) => reply?.status)).to.deep.equal([408, 408, 408]);
    const lines = requestLines();
    expect(lines).to.have.length(3);
    for (const line of lines) {
      expect(line).to.include({ msg: 'request', method: 'POST', route: 'postMessage', status: 408 });
      // Timed out after REQUEST_TIMEOUT_MS plus at most one 1 s sweep, not when the socket finally closed.
      expect(line.durationMs).to.be.within(900, 2_500);
    }
    const scraped = await scrape(app);
    const labels = { method: 'POST', route: 'postMessage', status: '408' };
    expect(scraped('http_requests_total', labels)).to.equal(3);
    expect(scraped('http_request_duration_seconds_count', labels)).to.equal(3);
    expect(scraped('http_request_duration_seconds_bucket', { ...labels, le: '2.5' })).to.equal(3);
    const text = await app.metrics.registry.metrics();
    expect(text.split('\n').filter((line) => line.startsWith('http_requests_total{'))).to.deep.equal([
      'http_requests_total{method="POST",route="postMessage",status="408"} 3',
    ]);
  });

  it('when a chunk size does not parse in a body the app is reading, then its one line and count are the 400 of postMessage', async () => {
    const head =
      'POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked';

    const reply = await rawRequest(app.url, `${head}\r\n\r\nzz\r\n`, 900);
    await pollUntil('the request line', () => requestLines().length >= 1);

    expect(reply.status).to.equal(400);
    expect(requestLines()).to.have.length(1);
    expect(requestLines()[0]).to.include({
      method: 'POST',
      route: 'postMessage',
      status: 400,
      code: 'HPE_INVALID_CHUNK_SIZE',
    });
    const text = await app.metrics.registry.metrics();
    expect(text.split('\n').filter((line) => line.startsWith('http_requests_total{'))).to.deep.equal([
      'http_requests_total{method="POST",route="postMessage",status="400"} 1',
    ]);
  });

  it('when POST /messages expects something other than 100-continue, then its one line and count are the 417 of POST postMessage', async () => {
    const bytes =
      'POST /messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 15\r\n' +
      'Expect: weird\r\nX-Request-Id: expects-weird\r\n\r\n{"message":"x"}';

    const reply = await rawRequest(app.url, bytes);

    expectJsonError(reply, 417, /100-continue/);
    expect(reply.headers['x-request-id']).to.deep.equal(['expects-weird']);
    expect(requestLines()).to.have.length(1);
    expect(requestLines()[0]).to.include({
      reqId: 'expects-weird',
      method: 'POST',
      route: 'postMessage',
      status: 417,
    });
    const scraped = await scrape(app);
    const labels = { method: 'POST', route: 'postMessage', status: '417' };
    expect(scraped('http_requests_total', labels)).to.equal(1);
    expect(scraped('http_request_duration_seconds_count', labels)).to.equal(1);
    expect(scraped('http_requests_total', { route: 'unmatched' })).to.equal(undefined);
    // Refused before the route ran: nothing was stored.
    expect((await send(app.url, 'GET', `/messages/${expectedDigest('x')}`)).status).to.equal(404);
  });

  it('when an unknown path expects something other than 100-continue, then it is still a 417, of route unmatched', async () => {
    const reply = await rawRequest(app.url, 'GET /nowhere HTTP/1.1\r\nHost: x\r\nExpect: weird\r\n\r\n');

    expectJsonError(reply, 417, /100-continue/);
    expect(requestLines()[0]).to.include({ method: 'GET', route: 'unmatched', status: 417 });
  });

  it('when headers stop half way, so that no request reached the app, then the refusal is still one line and one count', async () => {
    const reply = await rawRequest(app.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ', 5_000);

    expect(reply.status).to.equal(408);
    expect(requestLines()).to.have.length(1);
    expect(requestLines()[0]).to.include({ msg: 'request refused by the HTTP parser', status: 408 });
    expect(
      await metricValue(app.metrics, 'http_requests_total', { route: 'unmatched', status: '408' }),
    ).to.equal(1);
  });
});
