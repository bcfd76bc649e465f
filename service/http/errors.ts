import createError, { type HttpError, isHttpError } from 'http-errors';
import { LookupTooLargeError } from '../domain/lookup-budget.js';
import { InvalidMessageError } from '../domain/messages.js';
import { StoreUnavailableError } from '../store/message-store.js';
import type { StateMiddleware } from './request-state.js';

const RETRY_AFTER_SECONDS = '1';

// The everyday misses are built once and thrown again and again: creating an Error captures a stack trace,
// which cost more than the rest of a 404 together, and no 4xx ever shows its stack.
const NO_ENDPOINT = Object.freeze(createError(404, 'Not found: there is no endpoint at this path'));
export const MESSAGE_NOT_FOUND = Object.freeze(createError(404, 'Message not found'));

export function noEndpoint(): HttpError {
  return NO_ENDPOINT;
}

export function unavailable(reason: string, cause?: Error): HttpError {
  return createError(503, reason, { expose: true, headers: { 'Retry-After': RETRY_AFTER_SECONDS }, cause });
}

/** Turns any error into an HTTP error: known ones keep their meaning, anything else is a bug (500). */
export function toHttpError(error: unknown): HttpError {
  if (isHttpError(error)) return error;
  if (error instanceof InvalidMessageError) return createError(400, error.message, { index: error.index });
  // The request is well formed; its answer is what is too large, so not 413 (which is about the body sent).
  if (error instanceof LookupTooLargeError) return createError(422, error.message, { index: error.index });
  if (error instanceof StoreUnavailableError) {
    return unavailable('The message store is unavailable right now; retry shortly', error);
  }
  return createError(500, 'Internal server error', { cause: error, expose: false });
}

/**
 * The one place errors become responses: `{"err_msg": ...}` with the error's status and headers.
 * A 5xx that is not meant for clients answers a fixed sentence; the real error is kept for the request log.
 */
export function respondWithErrors(): StateMiddleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (thrown) {
      const error = toHttpError(thrown);
      ctx.state.error = error.status >= 500 && !error.expose ? (error.cause ?? error) : undefined;
      // Clients learn only that the store is unavailable; the operator reads why in the request's log line.
      if (error.status === 503 && error.cause instanceof Error) ctx.state.cause = error.cause.message;
      ctx.status = error.status;
      ctx.set((error.headers as Record<string, string> | undefined) ?? {});
      ctx.body = {
        err_msg: error.expose ? error.message : 'Internal server error',
        // In a batch, which item was refused.
        ...(typeof error.index === 'number' ? { index: error.index } : {}),
      };
    }
  };
}
