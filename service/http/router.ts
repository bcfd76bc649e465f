import Router from '@koa/router';
import createError from 'http-errors';
import type { Middleware } from 'koa';
import type { ApiOperation } from './spec.js';
import type { Handlers } from './handlers.js';
import { noEndpoint } from './errors.js';
import { jsonBody } from './json-body.js';

/**
 * Routes every operation of openapi.yaml to its handler, behind the body reader the spec asks for.
 */
export function createApiRouter(
  operations: ApiOperation[],
  handlers: Handlers,
  maxBodyBytes: number,
): Router {
  assertSameOperations(operations, handlers);
  const router = new Router();
  for (const { operationId, method, path, body } of operations) {
    const handler = handlers[operationId] as Middleware;
    const readBody = body ? [jsonBody({ limit: maxBodyBytes, ...body })] : [];
    router.register(
      path,
      [method],
      [
        async (ctx, next) => {
          ctx.state.route = operationId;
          await next();
        },
        ...readBody,
        handler,
      ],
    );
  }
  return router;
}

/**
 * The fallback after the router: a path the API has, asked with another method, is 405 with Allow;
 * any other path is 404.
 */
export function unmatched(router: Router): Middleware {
  return (ctx) => {
    const allowed = new Set(router.match(ctx.path, ctx.method).path.flatMap((layer) => layer.methods));
    if (allowed.size === 0) throw noEndpoint();
    const allow = [...allowed].join(', ');
    throw createError(405, `Method ${ctx.method} is not allowed here; use ${allow}`, {
      headers: { Allow: allow },
    });
  };
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
