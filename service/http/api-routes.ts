import type { Handlers } from './handlers.js';
import { jsonBody } from './json-body.js';
import type { StateMiddleware } from './request-state.js';
import type { Route } from './router.js';
import type { ApiOperation } from './spec.js';

/** Every operation of openapi.yaml as a route to its handler, behind the body reader the spec asks for. */
export function apiRoutes(
  operations: ApiOperation[],
  handlers: Handlers,
  { maxBodyBytes, batchMaxItems }: { maxBodyBytes: number; batchMaxItems: number },
): Route[] {
  assertSameOperations(operations, handlers);
  return operations.map(({ operationId, method, path, body }) => {
    const handler = handlers[operationId] as StateMiddleware;
    const readBody = body && jsonBody({ limit: maxBodyBytes, maxItems: batchMaxItems, ...body });
    return {
      method,
      path,
      label: operationId,
      run: readBody ? (ctx, next) => readBody(ctx, () => handler(ctx, next)) : handler,
    };
  });
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
