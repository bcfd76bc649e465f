import { expect } from 'chai';
import type { Context } from 'koa';
import { setImmediate as checkPhase } from 'node:timers/promises';
import { batchImmediateAnswers } from '../../service/http/response-batching.js';

const ctx = {} as Context;

describe('batchImmediateAnswers', () => {
  it('when an answer is ready in the turn its request arrived, then it leaves after the I/O of this turn', async () => {
    const batch = batchImmediateAnswers();

    // Answered at once, it would leave in a microtask, before any immediate; it leaves in the check phase
    // instead, which follows the turn's I/O, after the immediates queued before it.
    const order: string[] = [];
    setImmediate(() => order.push('I/O of this turn'));
    await batch(ctx, async () => undefined).then(() => order.push('answer'));

    expect(order).to.deep.equal(['I/O of this turn', 'answer']);
  });

  it('when an answer waited for a later turn (a store reply), then it leaves as soon as it is ready', async () => {
    const batch = batchImmediateAnswers();

    const order: string[] = [];
    await batch(ctx, async () => {
      // As a store's reply, which comes in a turn after the one the request arrived in.
      await checkPhase();
      setImmediate(() => order.push('I/O of the later turn'));
    }).then(() => order.push('answer'));

    expect(order).to.deep.equal(['answer']);
  });
});
