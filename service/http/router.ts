import FindMyWay from 'find-my-way';
import createError from 'http-errors';
import { noEndpoint } from './errors.js';
import type { StateMiddleware } from './request-state.js';

/** A path and method the API port answers, and what answers it. */
export interface Route {
  method: string;
  /** In find-my-way's syntax: `/messages/:digest`. */
  path: string;
  /** Names the route in logs and metrics, where a raw path never goes. */
  label: string;
  /** Everything the route runs (a body reader, then its handler), chained once at start-up. */
  run: StateMiddleware;
}

interface Entry {
  label: string;
  /** Whether its path is a pattern, which a static path of the router may also match by shape. */
  pattern: boolean;
  run: StateMiddleware;
}

/**
 * The one router of the API port, API and docs alike, as the last middleware: it runs the route a request
 * matches, labels the request with it, and otherwise answers 405 with Allow for a path that takes other
 * methods, 404 for one that does not exist. A trailing slash never changes which route a path reaches.
 * find-my-way looks a route up in a radix tree and each route's chain is built once, so a request costs one
 * lookup: about a tenth of what @koa/router's scan of every route's regex and per-request compose cost
 * (README, "Design decisions").
 */
export function createRouter(routes: Route[]): StateMiddleware {
  const router = FindMyWay({ ignoreTrailingSlash: true });
  const methods = new Set<string>();
  const staticPaths = new Set(routes.map((r) => r.path).filter((path) => !isPattern(path)));
  for (const { method, path, label, run } of routes) {
    // HEAD is a GET without the body (Koa leaves it out), as HTTP asks of every server.
    const routeMethods = method === 'GET' ? ['HEAD', 'GET'] : [method];
    for (const routeMethod of routeMethods) methods.add(routeMethod);
    router.on(routeMethods as FindMyWay.HTTPMethod[], path, () => undefined, {
      label,
      pattern: isPattern(path),
      run,
    } satisfies Entry);
  }

  const lookup = (method: string, path: string) => {
    const found = router.find(method as FindMyWay.HTTPMethod, path);
    // GET /messages/batch has the shape of /messages/{digest}, but it is the batch's path: the static path
    // wins, so the client gets a 405 naming the method it takes rather than a 404.
    if (found === null || !(found.store as Entry).pattern) return found;
    return staticPaths.has(withoutTrailingSlash(path)) ? null : found;
  };

  return (ctx, next) => {
    const path = pathOf(ctx);
    const found = lookup(ctx.method, path);
    if (found !== null) ctx.state.route = (found.store as Entry).label;
    // Node hands the app a request whose Expect it does not know (server.ts): refused before any route runs
    // or reads its body, and logged and counted under the route it asked for.
    if (unmetExpectation(ctx.req.headers.expect)) throw EXPECTATION_FAILED;
    if (found === null) throw unmatched(ctx.method, path);
    const entry = found.store as Entry;
    ctx.state.params = found.params;
    return entry.run(ctx, next);
  };

  function unmatched(method: string, path: string) {
    const allowed = [...methods].filter((other) => lookup(other, path));
    if (allowed.length === 0) return noEndpoint();
    const allow = allowed.join(', ');
    return createError(405, `Method ${method} is not allowed here; use ${allow}`, {
      headers: { Allow: allow },
    });
  }
}

/**
 * The target's path, as Koa's `ctx.path` gives it, except that a target Node's URL parser refuses (an
 * absolute-form `http://[/x` that Node's HTTP parser let through) is the client's mistake: 400, not a 500.
 */
function pathOf(ctx: { path: string }): string {
  try {
    return ctx.path;
  } catch {
    throw BAD_TARGET;
  }
}

const BAD_TARGET = Object.freeze(createError(400, 'The request target is not a valid URL'));

// The body may follow the headers or not, as the client chose: the connection cannot be trusted for another request.
const EXPECTATION_FAILED = Object.freeze(
  createError(417, 'Only "Expect: 100-continue" is understood', { headers: { Connection: 'close' } }),
);

/** Node's own test for the one expectation it meets (lib/_http_server.js, continueExpression). */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

function unmetExpectation(expect: string | undefined): boolean {
  return expect !== undefined && !CONTINUE.test(expect);
}

function isPattern(path: string): boolean {
  return path.includes(':');
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}
