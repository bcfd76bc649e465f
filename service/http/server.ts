import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics.js';
import { lingerOnLastAnswer, lingeringClose } from './lingering-close.js';
import { limitPipelining } from './pipelining.js';
import { markRefused } from './refusal.js';

type Timeouts = Pick<Config, 'keepAliveTimeoutMs' | 'requestTimeoutMs' | 'headersTimeoutMs'>;

// How often Node looks for requests past their deadline (its default, 30 s, lets a slow client hold a socket
// for up to twice REQUEST_TIMEOUT_MS); the check walks the open connections, cheap at this pace.
const TIMEOUT_CHECK_MS = 1000;

/**
 * The API's HTTP server around the Koa app, with its timeouts, and JSON answers for what Node itself refuses
 * before a request reaches Koa (malformed HTTP, headers too large, a client too slow, no Host, CONNECT):
 * every error a client gets is `{"err_msg": ...}`, whoever answers it.
 */
export function createApiServer(app: Koa, timeouts: Timeouts, logger: Logger, metrics: Metrics): Server {
  const refused = (status: number, code: string) => {
    metrics.httpRequests.inc({ method: 'unknown', route: 'unmatched', status });
    logger.info({ status, code }, 'request refused by the HTTP parser');
  };
  const handle = app.callback();
  // Connections with a refusal under way, and those whose last answer (`Connection: close`) is sent: on the
  // latter, the requests that follow are neither served nor refused.
  const refusing = new WeakSet<Socket>();
  const closing = new WeakSet<Socket>();
  const listener = limitPipelining((request, response) => {
    // A request after one answered with `Connection: close` is read and discarded, not served (RFC 9112 9.6).
    if (closing.has(request.socket)) return void request.resume();
    if (request.headers.host !== undefined || request.httpVersion === '1.0') return handle(request, response);
    refused(400, 'missing-host');
    response.shouldKeepAlive = false;
    writeJson(response, 400, 'An HTTP/1.1 request must carry a Host header');
  });
  const server = createServer(
    {
      keepAliveTimeout: timeouts.keepAliveTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      headersTimeout: timeouts.headersTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_MS,
      // Node would answer a missing Host with an empty 400 of its own; the check below answers it as JSON.
      requireHostHeader: false,
    },
    listener,
  );
  server.on('connection', (socket: Socket) => lingerOnLastAnswer(socket, () => closing.add(socket)));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const { status, text } = clientErrorAnswer(error.code);
    if (status === 0) return socket.destroy();
    // One refusal per connection, for its first error, and none once its last answer is sent. While its
    // answers are still being sent, the failed parser fails again on each later read, and Node's request
    // timeout still runs on the bytes that failed or on the rest of a refused body (a 408): neither may write
    // a second refusal, nor cut the answers or the linger short.
    if (refusing.has(socket) || closing.has(socket)) return;
    refusing.add(socket);
    const answer = () => {
      if (!socket.writable) return socket.destroy();
      // What is still on the socket is the answer to a request still being read: once it has begun, a
      // refusal after it would be read as its end.
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
      if (inFlight?.headersSent) return socket.destroy();
      // A request the app is still reading (its body too slow, or not parsing) is the app's to log and count,
      // with its method and route, once it is done with it; a refusal of anything else is counted here.
      if (inFlight) markRefused(inFlight, status, error.code ?? 'unknown');
      else refused(status, error.code ?? 'unknown');
      refuse(socket, rawResponse(status, text));
    };
    // Bytes that fail to parse may follow whole requests whose answers are still on their way (pipelining,
    // some of them still waiting their turn in limitPipelining): those answers are finished first, and the
    // refusal follows the last. A request still being read (a body too slow, a chunk size that does not
    // parse) is the one refused: its answer would never come, so the refusal does not wait for it.
    listener.afterAnswers(socket, answer);
  });
  // A request with an Expect Node does not know goes to the app all the same: its router answers the 417, so
  // that the request is logged and counted once, with its method and route.
  server.on('checkExpectation', listener);
  // Without a listener Node drops a CONNECT's socket without a word.
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    refused(400, 'connect');
    refuse(socket, rawResponse(400, 'CONNECT is not supported: this server is not a proxy'));
  });
  return server;
}

/**
 * Writes the answer and closes the connection lingering (lingering-close.ts). The parser has failed, so what
 * the client still sends is thrown away unparsed.
 */
function refuse(socket: Socket, answer: string): void {
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  socket.resume();
  socket.write(answer);
  lingeringClose(socket);
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  431: 'Request Header Fields Too Large',
};

function clientErrorAnswer(code: string | undefined): { status: number; text: string } {
  switch (code) {
    // The client is gone (reset, or closed in the middle of a request): nobody to answer.
    case 'ECONNRESET':
    case 'EPIPE':
    case 'HPE_INVALID_EOF_STATE':
      return { status: 0, text: '' };
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, text: 'The request headers are too large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, text: 'The chunk extensions of the body are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, text: 'The request took too long to arrive' };
    default:
      return { status: 400, text: `The request is not valid HTTP/1.1 (${code ?? 'unknown'})` };
  }
}

function rawResponse(status: number, text: string): string {
  const body = `${JSON.stringify({ err_msg: text })}\n`;
  return [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status]}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

function writeJson(response: ServerResponse, status: number, text: string): void {
  const body = `${JSON.stringify({ err_msg: text })}\n`;
  response.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    Connection: 'close',
  });
  response.end(body);
}
