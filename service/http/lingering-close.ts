import type { Socket } from 'node:net';

// How long a closing connection is still read from, at most: enough for the client to read the answer.
const LINGER_MS = 2000;

// Node closes a connection after its last answer with `socket.destroySoon()` (lib/_http_server.js resOnFinish).
type ClosableSocket = Socket & { destroySoon?: () => void };

/**
 * Closes the connection as RFC 9112 (9.6) and nginx's lingering close do: a FIN after the answer, then
 * what the client still sends is read and thrown away until it closes its side or LINGER_MS pass. Closing at
 * once while the client is still sending (the body of a request refused before it was read: a 413, no Host,
 * bytes that do not parse) answers its next bytes with a reset, and a reset makes the client's kernel drop
 * the answer before the client reads it.
 */
export function lingeringClose(socket: Socket): void {
  socket.end();
  socket.once('end', () => socket.destroy());
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * Makes Node's own close after a last answer (one sent with `Connection: close`) a lingering close, and calls
 * `closing` when it begins: the parser goes on reading the rest of the request (its body is discarded) and
 * any request after it, which must then not be served.
 */
export function lingerOnLastAnswer(socket: Socket, closing: () => void): void {
  (socket as ClosableSocket).destroySoon = () => {
    closing();
    lingeringClose(socket);
  };
}
