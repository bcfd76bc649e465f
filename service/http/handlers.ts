import type { Messages } from '../domain/messages.js';
import type { Lifecycle } from '../lifecycle.js';
import { ifNoneMatchMatches } from './conditional.js';
import { MESSAGE_NOT_FOUND, unavailable } from './errors.js';
import type { StateMiddleware } from './request-state.js';

/** One Koa middleware per operationId in openapi.yaml; the API's routes check that the two sets match. */
export type Handlers = Record<string, StateMiddleware>;

// The shapes of openapi.yaml's request bodies: the body reader validated each body against its schema.
interface MessageBody {
  message: string;
}
interface MessageBatchBody {
  messages: string[];
}
interface LookupBody {
  digests: string[];
}

// A digest names one message forever, so a found message may be cached by anyone for as long as they like.
const IMMUTABLE = 'public, max-age=31536000, immutable';

export function createHandlers(messages: Messages, lifecycle: Lifecycle): Handlers {
  return {
    async postMessage(ctx) {
      const digest = await messages.save((ctx.state.body as MessageBody).message);
      ctx.status = 201;
      ctx.set('Location', `/messages/${digest}`);
      ctx.body = { digest };
    },

    async getMessage(ctx) {
      const found = await messages.find(ctx.state.params?.digest ?? '');
      if (found === null) throw MESSAGE_NOT_FOUND;
      const etag = `"${found.digest}"`;
      ctx.set('ETag', etag);
      ctx.set('Cache-Control', IMMUTABLE);
      if (ifNoneMatchMatches(ctx.get('If-None-Match'), etag)) ctx.status = 304;
      else ctx.body = { message: found.message };
    },

    async postMessageBatch(ctx) {
      ctx.status = 201;
      ctx.body = { digests: await messages.saveMany((ctx.state.body as MessageBatchBody).messages) };
    },

    async lookupDigests(ctx) {
      const results = await messages.findMany((ctx.state.body as LookupBody).digests);
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
      const { writesRefused } = await messages.readiness();
      ctx.body = { status: 'ready', ...(writesRefused ? { writesRefused } : {}) };
    },
  };
}
