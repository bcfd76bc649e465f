import type { ServerResponse } from 'node:http';

/** An answer the HTTP server wrote on the socket in place of the app's, for a request the app was reading. */
export interface Refusal {
  status: number;
  /** Why, as Node names it: `ERR_HTTP_REQUEST_TIMEOUT`, `HPE_INVALID_CHUNK_SIZE`. */
  code: string;
  /** When the answer was written, on the clock of `performance.now()`. */
  at: number;
}

const REFUSAL = Symbol('refusal');

type Refusable = ServerResponse & { [REFUSAL]?: Refusal };

/**
 * Tells the app that its response will never be sent: the server answered the request itself (a body too
 * slow or one that does not parse) and closed the connection. The request's own log line and metrics, written
 * when the app is done with it, then carry this answer, so that it is counted once, with its route.
 */
export function markRefused(response: ServerResponse, status: number, code: string): void {
  (response as Refusable)[REFUSAL] = { status, code, at: performance.now() };
}

/** The answer the server sent in place of this response, if it did. */
export function refusalOf(response: ServerResponse): Refusal | undefined {
  return (response as Refusable)[REFUSAL];
}
