import Koa from 'koa';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createMessages } from './domain/messages.js';
import { apiRoutes } from './http/api-routes.js';
import { docsRoutes } from './http/docs.js';
import { respondWithErrors } from './http/errors.js';
import { createHandlers } from './http/handlers.js';
import { observeRequests } from './http/observe.js';
import { batchImmediateAnswers } from './http/response-batching.js';
import type { RequestState } from './http/request-state.js';
import { createRouter } from './http/router.js';
import { loadSpec } from './http/spec.js';
import type { Lifecycle } from './lifecycle.js';
import type { Metrics } from './metrics.js';
import { createCachedStore } from './store/cached-store.js';
import { instrumentStore } from './store/instrumented-store.js';
import type { MessageStore } from './store/message-store.js';

const CLIENT_GONE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

export interface AppDependencies {
  config: Config;
  store: MessageStore;
  logger: Logger;
  metrics: Metrics;
  lifecycle: Lifecycle;
}

/** Builds the API as an unstarted Koa app; main.ts (or a test) decides where it listens. */
export async function createApp({
  config,
  store,
  logger,
  metrics,
  lifecycle,
}: AppDependencies): Promise<Koa<RequestState>> {
  const spec = await loadSpec();
  const measured = instrumentStore(store, metrics);
  const cached =
    config.cacheMaxBytes > 0 ? createCachedStore(measured, config.cacheMaxBytes, metrics) : measured;
  const handlers = createHandlers(
    createMessages(cached, { lookupMaxBytes: config.lookupMaxBytes }),
    lifecycle,
  );
  const router = createRouter([...apiRoutes(spec.operations, handlers, config), ...docsRoutes(spec.yaml)]);

  const app = new Koa<RequestState>();
  app.use(batchImmediateAnswers());
  app.use(observeRequests(logger, metrics));
  app.use(async (ctx, next) => {
    await next();
    // Decided when the response leaves, so that a request which arrived before SIGTERM does not leave behind
    // a keep-alive socket the server is about to close; the client reconnects, to another replica.
    if (lifecycle.shuttingDown) ctx.set('Connection', 'close');
  });
  app.use(respondWithErrors());
  app.use(router);
  // Errors outside the middleware chain (a socket failing mid-response) have no response left to write.
  app.on('error', (error: NodeJS.ErrnoException, ctx?: Koa.Context) => {
    const reqId = ctx?.response.get('X-Request-Id') || undefined;
    // A client that hangs up early is routine (a timeout on its side, a closed tab): one line, no stack.
    if (CLIENT_GONE.has(error.code ?? '')) {
      logger.info(
        { reqId, code: error.code },
        'client closed the connection before the response was complete',
      );
    } else logger.warn({ reqId, err: error }, 'response could not be completed');
  });
  return app;
}
