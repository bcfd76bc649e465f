import createError from 'http-errors';
import type { Middleware } from 'koa';
import type { Messages } from '../domain/messages.js';
import type { Lifecycle } from '../lifecycle.js';
import type { MessageStore } from '../store/message-store.js';
import { MESSAGE_NOT_FOUND, unavailable } from './errors.js';

/** One Koa middleware per operationId in openapi.yaml; the router checks that the two sets match. */
export type Handlers = Record<string, Middleware>;

// A digest names one message forever, so a found message may be cached by anyone for as long as they like.
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface HandlerLimits {
  batchMaxItems: number;
}

export function createHandlers(
  messages: Messages,
  store: MessageStore,
  lifecycle: Lifecycle,
  { batchMaxItems }: HandlerLimits,
): Handlers {
  function assertBatchSize(count: number, what: string): void {
    if (count > batchMaxItems) {
      throw createError(400, `A batch holds at most ${batchMaxItems} ${what}; this one has ${count}`);
    }
  }

  return {
    async postMessage(ctx) {
      const digest = await messages.save(ctx.state.body.message);
      ctx.status = 201;
      ctx.set('Location', `/messages/${digest}`);
      ctx.body = { digest };
    },

    async getMessage(ctx) {
      const found = await messages.find(ctx.params.digest ?? '');
      if (found === null) throw MESSAGE_NOT_FOUND;
      ctx.set('ETag', `"${found.digest}"`);
      ctx.set('Cache-Control', IMMUTABLE);
      ctx.status = 200;
      // Only a request with If-None-Match can be fresh (there is no Last-Modified); asking Koa about any other
      // copies every response header first.
      if (ctx.get('If-None-Match') && ctx.fresh) ctx.status = 304;
      else ctx.body = { message: found.message };
    },

    async postMessageBatch(ctx) {
      const list: string[] = ctx.state.body.messages;
      assertBatchSize(list.length, 'messages');
      ctx.status = 201;
      ctx.body = { digests: await messages.saveMany(list) };
    },

    async lookupDigests(ctx) {
      const digests: string[] = ctx.state.body.digests;
      assertBatchSize(digests.length, 'digests');
      const results = await messages.findMany(digests);
      ctx.body = {
        results: results.map(({ digest, message }) =>
          message === null ? { digest, found: false } : { digest, found: true, message },
        ),
      };
    },

    async getHealth(ctx) {
      ctx.body = { status: 'ok' };
    },

    async getReadiness(ctx) {
      if (lifecycle.shuttingDown) throw unavailable('Shutting down; no longer taking traffic');
      const { writesRefused } = await store.ping();
      ctx.body = { status: 'ready', ...(writesRefused ? { writesRefused } : {}) };
    },
  };
}
