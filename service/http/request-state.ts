import type { Middleware } from 'koa';

/**
 * What the middleware of one request tell each other, as Koa's `ctx.state`. Koa starts it empty, so every
 * field is optional: each is set by one middleware and read by those that run after it.
 */
export interface RequestState {
  /** The route's label for logs and metrics (an operationId, `docs`, `openapi`); set by the router. */
  route?: string;
  /** The path's parameters (`digest`), decoded; set by the router. */
  params?: Record<string, string | undefined>;
  /** The request body, parsed and validated against the operation's schema; set by the body reader. */
  body?: unknown;
  /** What a 5xx hides from its client, for the request's log line; set by the error mapper. */
  error?: unknown;
  /** Why the store was unavailable, for the log line of a 503; set by the error mapper. */
  cause?: string;
}

export type StateMiddleware = Middleware<RequestState>;
