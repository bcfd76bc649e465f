import { expect } from 'chai';
import { createMetrics } from '../../service/metrics.js';
import { createCachedStore } from '../../service/store/cached-store.js';
import { createMemoryStore } from '../../service/store/memory-store.js';
import type { MessageStore } from '../../service/store/message-store.js';
import { metricValue } from '../helpers/app.js';

/** A real memory store that counts how often it is asked, to see which reads the cache saved. */
function countingStore(): MessageStore & { gets: number; budgets: number[] } {
  const store = createMemoryStore();
  const counting = {
    ...store,
    gets: 0,
    budgets: [] as number[],
    get(digest: string) {
      counting.gets += 1;
      return store.get(digest);
    },
    getMany(digests: string[], maxBytes: number) {
      counting.gets += digests.length;
      counting.budgets.push(maxBytes);
      return store.getMany(digests, maxBytes);
    },
  };
  return counting;
}

describe('createCachedStore', () => {
  it('when a message is read twice, then the second read does not reach the store', async () => {
    const backing = countingStore();
    await backing.put('d1', 'one');
    const metrics = createMetrics();
    const cached = createCachedStore(backing, 1024 * 1024, metrics);

    expect(await cached.get('d1')).to.equal('one');
    expect(await cached.get('d1')).to.equal('one');

    expect(backing.gets).to.equal(1);
    expect(await metricValue(metrics, 'shaservice_cache_misses_total')).to.equal(1);
    expect(await metricValue(metrics, 'shaservice_cache_hits_total')).to.equal(1);
  });

  it('when a message is written, then it is stored but not cached until it is read', async () => {
    const backing = countingStore();
    const metrics = createMetrics();
    const cached = createCachedStore(backing, 1024 * 1024, metrics);

    await cached.putMany([['d2', 'two']]);
    await cached.put('d4', 'four');

    expect(await metricValue(metrics, 'shaservice_cache_entries')).to.equal(0);
    expect(await cached.get('d2')).to.equal('two');
    expect(await cached.getMany(['d2', 'd4'], 1024)).to.deep.equal(['two', 'four']);
    expect(backing.gets).to.equal(2);
  });

  it('when cached messages use up part of a byte budget, then the store reads within what is left', async () => {
    const backing = countingStore();
    for (const [digest, message] of [
      ['d6', 'six'],
      ['d7', 'seven'],
      ['d8', 'eight'],
    ]) {
      await backing.put(digest!, message!);
    }
    const cached = createCachedStore(backing, 1024 * 1024, createMetrics());
    await cached.get('d6');

    const found = await cached.getMany(['d6', 'd7', 'd8'], 9);

    // 9 bytes: the cached "six" uses 3, "seven" fits in the 6 left, "eight" does not and is only measured.
    expect(found).to.deep.equal(['six', 'seven', { unreadBytes: 5 }]);
    expect(backing.budgets).to.deep.equal([6]);
  });

  it('when a digest is unknown, then it is not cached, so a later write elsewhere is seen', async () => {
    const backing = countingStore();
    const cached = createCachedStore(backing, 1024 * 1024, createMetrics());

    expect(await cached.get('d3')).to.equal(null);
    await backing.put('d3', 'written by another replica');

    expect(await cached.get('d3')).to.equal('written by another replica');
  });

  it('when more is read than it may hold, then the cache stays within its byte bound', async () => {
    const maxBytes = 64 * 1024;
    const metrics = createMetrics();
    const backing = createMemoryStore();
    const cached = createCachedStore(backing, maxBytes, metrics);

    for (let i = 0; i < 1000; i++) await backing.put(`d${i}`, 'x'.repeat(500));
    for (let i = 0; i < 1000; i++) await cached.get(`d${i}`);

    const bytes = await metricValue(metrics, 'shaservice_cache_bytes');
    expect(bytes)
      .to.be.greaterThan(maxBytes / 2)
      .and.at.most(maxBytes);
    expect(await metricValue(metrics, 'shaservice_cache_entries')).to.be.lessThan(1000);
    expect(await cached.get('d999')).to.equal('x'.repeat(500));
  });
});
