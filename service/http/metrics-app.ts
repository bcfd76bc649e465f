import Koa from 'koa';
import type { Registry } from 'prom-client';
import { respondWithErrors } from './errors.js';
import type { RequestState } from './request-state.js';
import { createRouter } from './router.js';

/**
 * `GET /metrics` in Prometheus text format, on a port of its own so the ingress never exposes it. The API's
 * router and error answers, so the same 404, 405 with Allow and trailing-slash rule hold here.
 */
export function createMetricsApp(registry: Registry): Koa<RequestState> {
  const app = new Koa<RequestState>();
  app.use(respondWithErrors());
  app.use(
    createRouter([
      {
        method: 'GET',
        path: '/metrics',
        label: 'metrics',
        async run(ctx) {
          ctx.type = registry.contentType;
          ctx.body = await registry.metrics();
        },
      },
    ]),
  );
  return app;
}
