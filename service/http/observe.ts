import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import { refusalOf } from './refusal.js';
import type { StateMiddleware } from './request-state.js';

// A client's request id is echoed into logs, so it must be short and free of control characters.
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * Outermost middleware: gives each request an id, then, once the response status is final, writes the one
 * log line and the metrics for it. The route is the operationId a router set, or "unmatched".
 */
export function observeRequests(logger: Logger, metrics: Metrics): StateMiddleware {
  return async (ctx, next) => {
    const started = performance.now();
    const offered = ctx.get('X-Request-Id');
    const requestId = REQUEST_ID.test(offered) ? offered : randomUUID();
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      // When the server answered in the app's place (a 408 to a body too slow), that answer is what the client
      // got, at the time it was written; whatever the app made of the cut connection afterwards never left.
      const refusal = refusalOf(ctx.res);
      const seconds = ((refusal?.at ?? performance.now()) - started) / 1000;
      const status = refusal?.status ?? ctx.status;
      const labels = { method: ctx.method, route: ctx.state.route ?? 'unmatched', status };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, seconds);
      const line = {
        reqId: requestId,
        ...labels,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        cause: ctx.state.cause,
        code: refusal?.code,
      };
      if (ctx.state.error) logger.error({ ...line, err: ctx.state.error }, 'request failed');
      else logger.info(line, 'request');
    }
  };
}
