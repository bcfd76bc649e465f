import Koa from 'koa';
import type { Registry } from 'prom-client';

/** `GET /metrics` in Prometheus text format, on a port of its own so the ingress never exposes it. */
export function createMetricsApp(registry: Registry): Koa {
  const app = new Koa();
  app.use(async (ctx) => {
    if (ctx.path !== '/metrics') {
      ctx.status = 404;
      ctx.body = { err_msg: 'Not found: metrics are at /metrics' };
      return;
    }
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return app;
}
