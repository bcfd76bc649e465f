import type { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

/** The request listener, and a way to know when a connection's answers are all out. */
export type LimitedListener = Listener & {
  /**
   * Calls `done` once every whole request the connection carried has its answer written (a request still
   * being read, necessarily the last, has no answer due): at once if none is pending. Never, if the
   * connection is cut first: `done` is then dropped with the connection, no listener or timer left. One
   * wait per connection: a later call replaces it.
   */
  afterAnswers(socket: Socket, done: () => void): void;
};

/**
 * Requests one connection may have in flight (received, answer not yet handed to the kernel) before the
 * server stops reading from it. Browsers and proxies (nginx to its upstreams) never pipeline; a client
 * that does gains most of what pipelining gives by a depth of a few requests. Each one in flight may hold
 * a whole answer in memory (up to MAX_BODY_BYTES of message, more as JSON), so this bounds what one
 * connection costs: about 8 large answers, not as many as fit in one read of requests.
 */
export const MAX_IN_FLIGHT_PER_CONNECTION = 8;

// Node's own state on an HTTP server socket (lib/_http_server.js): `_paused` is the flag its listeners read
// before they start reading again ('resume' handler, request body reads); `parser` is the HTTP parser.
type ServerSocket = Socket & {
  _paused?: boolean;
  parser?: { resume(): void } | null;
};

interface Connection {
  running: number;
  /** A request with a body is running: nothing after it starts until it is answered. */
  alone: boolean;
  waiting: [IncomingMessage, ServerResponse][];
  held: boolean;
  /** The request parsed last, until it is answered. */
  last?: IncomingMessage;
  /** What afterAnswers waits to call. */
  answered?: () => void;
}

/**
 * Whether every whole request has its answer. Answers close in order, so a single one still pending is the
 * last request's, and the last request may be one still being read, whose answer is not due.
 */
function allAnswered(connection: Connection): boolean {
  const pending = connection.running + connection.waiting.length;
  return pending === 0 || (pending === 1 && connection.last?.complete === false);
}

/**
 * Wraps a request listener so that each connection has at most `limit` requests in flight, and a request with a
 * body none after it until it is answered (carriesBody). Node parses
 * every request of a received chunk at once (one read holds hundreds of pipelined GETs) and answers them
 * in order, holding each answer in memory until those before it are written; its own pause on
 * back-pressure comes after the whole chunk is parsed. Past the limit, requests wait here, parsed but not
 * started (no answer yet: a request object and an empty response each, at most what one read of 64 KiB
 * held), and the socket stops reading until an answer leaves: a pipelining client sees delay, never an error.
 */
export function limitPipelining(handle: Listener, limit = MAX_IN_FLIGHT_PER_CONNECTION): LimitedListener {
  const connections = new WeakMap<Socket, Connection>();

  const start = (
    connection: Connection,
    socket: ServerSocket,
    request: IncomingMessage,
    response: ServerResponse,
  ) => {
    connection.running += 1;
    const alone = carriesBody(request);
    if (alone) connection.alone = true;
    // 'close' follows the end of the answer, and also a connection cut before it.
    response.once('close', () => {
      connection.running -= 1;
      if (alone) connection.alone = false;
      if (connection.last === request) connection.last = undefined;
      // A connection cut closes its answers first: what still waits is dropped with it, never started.
      if (socket.destroyed) {
        connection.waiting.length = 0;
        connection.answered = undefined;
        return;
      }
      let next: [IncomingMessage, ServerResponse] | undefined;
      while (free(connection) && (next = connection.waiting.shift())) {
        start(connection, socket, ...next);
      }
      // Read again even while a request with a body runs alone: its body is still to be read.
      if (connection.running < limit && connection.held) release(connection, socket);
      const { answered } = connection;
      if (answered && allAnswered(connection)) {
        connection.answered = undefined;
        answered();
      }
    });
    handle(request, response);
  };

  const free = (connection: Connection) => connection.running < limit && !connection.alone;

  const listener: Listener = (request, response) => {
    const socket = request.socket as ServerSocket;
    let connection = connections.get(socket);
    if (!connection) {
      connection = { running: 0, alone: false, waiting: [], held: false };
      connections.set(socket, connection);
    }
    connection.last = request;
    if (free(connection) && connection.waiting.length === 0)
      return start(connection, socket, request, response);
    connection.waiting.push([request, response]);
    if (!connection.held) hold(connection, socket);
  };
  const afterAnswers = (socket: Socket, done: () => void) => {
    const connection = connections.get(socket);
    if (!connection || allAnswered(connection)) return done();
    connection.answered = done;
  };
  return Object.assign(listener, { afterAnswers });
}

/**
 * Whether a request has a body. Its answer may close the connection (a body too large or in a coding not
 * accepted: 413, 415), and no request after such an answer may be served (RFC 9112 9.6), so none starts
 * before it is answered: a POST after a refused one in the same read would otherwise be stored unanswered.
 * Pipelined GETs, the pipelining clients really send, still run side by side.
 */
function carriesBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Stops reading from the socket the way Node's own back-pressure does, and keeps Node from undoing it. */
function hold(connection: Connection, socket: ServerSocket): void {
  connection.held = true;
  socket._paused = true;
  socket.pause();
  // When its buffered answers drain, Node clears `_paused` and resumes the socket (socketOnDrain) whatever
  // else wants it paused; while held, that resume puts the pause back instead.
  socket.resume = function resumeUnlessHeld(this: ServerSocket) {
    if (!connection.held) return Socket.prototype.resume.call(this);
    this._paused = true;
    return this.pause();
  };
}

/** Reads again, in the order Node itself resumes a paused server socket. */
function release(connection: Connection, socket: ServerSocket): void {
  connection.held = false;
  Reflect.deleteProperty(socket, 'resume');
  if (socket.destroyed) return;
  socket._paused = false;
  socket.parser?.resume();
  socket.resume();
}
