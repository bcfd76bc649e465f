import { expect } from 'chai';
import type { Stack } from '../../tools/stack/stack.js';
import { type RawResponse, decodedBody, rawExchange } from '../helpers/raw-http.js';
import { caOf, useStack } from './stack-fixture.js';

/** Requests nginx refuses itself, before any replica sees them: [what, request line, extra headers, status]. */
const REFUSED: [string, string, string, number][] = [
  ['an invalid escape in the path (/messages/%zz)', 'GET /messages/%zz HTTP/1.1', '', 400],
  ['an escaped NUL in the path (/%00)', 'GET /%00 HTTP/1.1', '', 400],
  ['a path above the root (/../..)', 'GET /../.. HTTP/1.1', '', 400],
  [
    'an escaped path above the root (/messages/%2e%2e/%2e%2e/x)',
    'GET /messages/%2e%2e/%2e%2e/x HTTP/1.1',
    '',
    400,
  ],
  ['a lowercase method', 'get /healthz HTTP/1.1', '', 400],
  ['CONNECT', 'CONNECT localhost:443 HTTP/1.1', '', 400],
  ['OPTIONS *', 'OPTIONS * HTTP/1.1', '', 400],
  ['a request line that is not HTTP', 'hello', '', 400],
  ['an HTTP version nginx does not speak (HTTP/3.0)', 'GET /healthz HTTP/3.0', '', 400],
  ['TRACE', 'TRACE /healthz HTTP/1.1', '', 405],
  ['a 70 KB URI', `GET /messages/${'a'.repeat(70_000)} HTTP/1.1`, '', 414],
  ['a 20 KB header', 'GET /healthz HTTP/1.1', `X-Big: ${'b'.repeat(20_000)}\r\n`, 431],
  [
    'a transfer coding other than chunked',
    'POST /messages HTTP/1.1',
    'Content-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n',
    415,
  ],
];

interface RawAnswer {
  status: number;
  headers: Record<string, string | undefined>;
  body: string;
  received: string;
}

describe("e2e: the proxy's own answers to bad requests", () => {
  let stack: Stack;
  let ca: Buffer;

  before(async function () {
    stack = await useStack(this);
    ca = caOf(stack);
  });

  function expectJsonError(answer: RawAnswer, status: number): void {
    expect(answer.status, answer.received.slice(0, 300)).to.equal(status);
    expect(answer.headers['content-type'], answer.received.slice(0, 300)).to.match(/^application\/json/);
    expect(JSON.parse(answer.body).err_msg).to.be.a('string').and.have.length.above(0);
  }

  /** The first answer to `request` sent byte for byte (over verified TLS for https URLs), headers flattened. */
  async function sendRaw(url: string, request: string, tlsCa?: Buffer): Promise<RawAnswer> {
    const { protocol, port } = new URL(url);
    const tls = protocol === 'https:' ? { tls: { ca: tlsCa!, servername: 'localhost' } } : {};
    const exchange = await rawExchange(
      { host: '127.0.0.1', port: Number(port), ...tls },
      Buffer.from(request, 'latin1'),
    );
    const response: RawResponse | undefined = exchange.responses[0];
    return {
      status: response?.status ?? 0,
      headers: Object.fromEntries(
        Object.entries(response?.headers ?? {}).map(([name, values]) => [name, values[0]]),
      ),
      body: response ? decodedBody(response).toString('utf8') : '',
      received: exchange.received.toString('latin1'),
    };
  }

  for (const [what, requestLine, headers, status] of REFUSED) {
    it(`when a client sends ${what}, then nginx answers ${status} as JSON with err_msg`, async () => {
      const request = `${requestLine}\r\nHost: localhost\r\n${headers}Connection: close\r\n\r\n`;

      const answer = await sendRaw(stack.httpsUrl, request, ca);

      expectJsonError(answer, status);
    });
  }

  // Both framings at once, the length over the limit. nginx 1.22 checks the Content-Length again in the error
  // page's location, as it has not started discarding a chunked body: the fuzz suite found nginx's HTML 413 here.
  // Where it stops reading decides 413 (the limit) or 400 (the framing); either is the client's mistake.
  it('when a chunked body comes with a Content-Length over the limit, then nginx refuses it with a 4xx as JSON', async () => {
    const request =
      'POST /messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
      'Transfer-Encoding: chunked\r\nContent-Length: 1048580\r\nConnection: close\r\n\r\n' +
      '2\r\n{}\r\n0\r\n\r\n';

    const answer = await sendRaw(stack.httpsUrl, request, ca);

    expect([400, 413], answer.received.slice(0, 300)).to.include(answer.status);
    expectJsonError(answer, answer.status);
  });

  it('when a client asks for the path of one of the proxy error pages, then nginx answers 404 as JSON', async () => {
    const answer = await sendRaw(
      stack.httpsUrl,
      'GET /__errors/400 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
      ca,
    );

    expectJsonError(answer, 404);
  });

  it('when plain HTTP is sent to the HTTPS port, then nginx answers 400 as JSON', async () => {
    const httpsPort = new URL(stack.httpsUrl).port;

    const answer = await sendRaw(
      `http://localhost:${httpsPort}`,
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n',
    );

    expectJsonError(answer, 400);
  });

  it('when a bad request line reaches the plain HTTP port, then nginx answers 400 as JSON, not a redirect', async () => {
    const answer = await sendRaw(
      stack.httpUrl,
      'GET /%00 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n',
    );

    expectJsonError(answer, 400);
  });
});
