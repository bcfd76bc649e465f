import { setImmediate as afterThisTurnsReads } from 'node:timers/promises';
import type { Middleware } from 'koa';

/**
 * Holds an answer that is ready in the event-loop turn its request arrived in (a cache hit, a 404, a refused
 * body) until that turn has read every socket that is ready; the answers of the turn then leave back to
 * back, and the client wakes once for many of them instead of once per answer. An answer that waited for
 * the store arrives in a later turn, together with the store's other replies, and leaves at once: holding
 * those too cost the server more CPU per request, not less (README, "Design decisions").
 */
export function batchImmediateAnswers(): Middleware {
  // Stands for the current turn until its check phase, when the immediate below ends it.
  let turn: object | undefined;
  return async (_ctx, next) => {
    if (turn === undefined) {
      turn = {};
      setImmediate(() => (turn = undefined));
    }
    const arrivedIn = turn;
    await next();
    if (turn === arrivedIn) await afterThisTurnsReads();
  };
}
