import FindMyWay from 'find-my-way';
import createError from 'http-errors';
import type { Middleware } from 'koa';
import type { ApiOperation } from './spec.js';
import type { Handlers } from './handlers.js';
import { noEndpoint } from './errors.js';
import { jsonBody } from './json-body.js';

/** Where a request goes once its path and method match an operation of openapi.yaml. */
interface Route {
  operationId: string;
  /** Whether its path has a parameter, which a static path of the API may also match by shape. */
  parametric: boolean;
  /** The body reader (when the operation has a body) and the handler, chained once at start-up. */
  run: Middleware;
}

export interface ApiRouter {
  /** Runs the operation a request matches, or passes it on. */
  routes: Middleware;
  /** The fallback after everything else: 405 with Allow for a path the API has, otherwise 404. */
  unmatched: Middleware;
}

/**
 * Routes every operation of openapi.yaml to its handler, behind the body reader the spec asks for.
 * find-my-way looks a route up in a radix tree and every route's chain is built once, so a request costs one
 * lookup; a router that tests each route's regex and composes the matched chain per request cost more than
 * the rest of a cached GET's own work.
 */
export function createApiRouter(
  operations: ApiOperation[],
  handlers: Handlers,
  { maxBodyBytes, batchMaxItems }: { maxBodyBytes: number; batchMaxItems: number },
): ApiRouter {
  assertSameOperations(operations, handlers);
  const router = FindMyWay({ ignoreTrailingSlash: true });
  const methods = new Set<string>();
  const staticPaths = new Set(operations.map((o) => o.path).filter((path) => !path.includes(':')));
  for (const { operationId, method, path, body } of operations) {
    const handler = handlers[operationId] as Middleware;
    const readBody = body && jsonBody({ limit: maxBodyBytes, maxItems: batchMaxItems, ...body });
    const run: Middleware = readBody ? (ctx, next) => readBody(ctx, () => handler(ctx, next)) : handler;
    // HEAD is a GET without the body (Koa leaves it out), as HTTP asks of every server.
    const routeMethods = method === 'GET' ? ['HEAD', 'GET'] : [method];
    for (const routeMethod of routeMethods) methods.add(routeMethod);
    router.on(routeMethods as FindMyWay.HTTPMethod[], path, () => undefined, {
      operationId,
      parametric: path.includes(':'),
      run,
    } satisfies Route);
  }

  const lookup = (method: string, path: string) => {
    const found = router.find(method as FindMyWay.HTTPMethod, path);
    // GET /messages/batch has the shape of /messages/{digest}, but it is the batch's path: the static path
    // wins, so the client gets a 405 naming the method it takes rather than a 404.
    if (found === null || !(found.store as Route).parametric) return found;
    return staticPaths.has(withoutTrailingSlash(path)) ? null : found;
  };

  return {
    routes(ctx, next) {
      const found = lookup(ctx.method, ctx.path);
      if (found === null) return next();
      const route = found.store as Route;
      ctx.state.route = route.operationId;
      ctx.params = found.params;
      return route.run(ctx, next);
    },
    unmatched(ctx) {
      const allowed = [...methods].filter((method) => lookup(method, ctx.path));
      if (allowed.length === 0) throw noEndpoint();
      const allow = allowed.join(', ');
      throw createError(405, `Method ${ctx.method} is not allowed here; use ${allow}`, {
        headers: { Allow: allow },
      });
    },
  };
}

function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function assertSameOperations(operations: ApiOperation[], handlers: Handlers): void {
  const specified = new Set(operations.map((o) => o.operationId));
  const missing = [...specified].filter((id) => !(id in handlers));
  const extra = Object.keys(handlers).filter((id) => !specified.has(id));
  if (missing.length || extra.length) {
    throw new Error(
      `openapi.yaml and handlers differ: no handler for [${missing}], no operation for [${extra}]`,
    );
  }
}
