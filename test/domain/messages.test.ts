import { expect } from 'chai';
import { InvalidMessageError, createMessages } from '../../service/domain/messages.js';
import { LookupTooLargeError } from '../../service/domain/lookup-budget.js';
import { createMemoryStore } from '../../service/store/memory-store.js';
import { type Fetched, type MessageStore, StoreUnavailableError } from '../../service/store/message-store.js';
import { expectedDigest } from '../../tools/client/sha256.js';

const LIMITS = { lookupMaxBytes: 1000 };

/** A memory store that records each getMany, and leaves unread the messages listed in `unreadFirst` once. */
function recordingStore(unreadFirst: string[] = []): MessageStore & { asked: string[][] } {
  const store = createMemoryStore();
  const held = new Set(unreadFirst);
  const recording = {
    ...store,
    asked: [] as string[][],
    async getMany(digests: string[], maxBytes: number): Promise<Fetched[]> {
      recording.asked.push(digests);
      const found = await store.getMany(digests, maxBytes);
      return found.map((message, i) => {
        // As a Cluster node whose share of the budget was too small: its message is measured, not read.
        if (typeof message !== 'string' || !held.delete(digests[i]!)) return message;
        return { unreadBytes: Buffer.byteLength(message) };
      });
    },
  };
  return recording;
}

describe('createMessages', () => {
  it('when a message is saved, then it is stored under its digest and found by it in any case', async () => {
    const store = createMemoryStore();
    const messages = createMessages(store, LIMITS);

    const digest = await messages.save('hello');

    expect(digest).to.equal(expectedDigest('hello'));
    expect(await store.get(digest)).to.equal('hello');
    expect(await messages.find(digest.toUpperCase())).to.deep.equal({ digest, message: 'hello' });
  });

  it('when a message has an unpaired surrogate, then it is refused and nothing is stored', async () => {
    const store = createMemoryStore();
    const messages = createMessages(store, LIMITS);

    let refused: unknown;
    await messages.save('x\udfffy').catch((error: unknown) => (refused = error));

    expect(refused).to.be.instanceOf(InvalidMessageError);
    expect((refused as Error).message).to.include('at character 1');
    expect(await store.get(expectedDigest('x\ufffdy'))).to.equal(null);
  });

  it('when the digest text is no digest, then find answers null', async () => {
    expect(await createMessages(createMemoryStore(), LIMITS).find('../etc/passwd')).to.equal(null);
  });

  it('when a digest is already stored, then saving never replaces what is there', async () => {
    const store = createMemoryStore();
    const digest = expectedDigest('original');
    await store.put(digest, 'something already there');

    await createMessages(store, LIMITS).save('original');

    expect(await store.get(digest)).to.equal('something already there');
  });

  describe('findMany within lookupMaxBytes', () => {
    const text = (char: string, bytes: number) => char.repeat(bytes - 2); // as JSON: bytes, quotes included

    it('when a digest is asked for many times, then the store reads it once, and each time counts', async () => {
      const store = recordingStore();
      const messages = createMessages(store, LIMITS);
      const digest = await messages.save(text('a', 300));

      const three = await messages.findMany([digest, digest.toUpperCase(), digest]);
      const refused = await messages.findMany(new Array(10).fill(digest)).catch((error: unknown) => error);

      expect(three.map((r) => r.message)).to.deep.equal(new Array(3).fill(text('a', 300)));
      expect(store.asked).to.deep.equal([[digest], [digest]]);
      expect(refused).to.be.instanceOf(LookupTooLargeError).and.include({ index: 3, maxBytes: 1000 });
    });

    it('when the store leaves a message unread that fits after all, then it is read and answered', async () => {
      const store = recordingStore([expectedDigest(text('b', 600))]);
      const messages = createMessages(store, LIMITS);
      const digests = [await messages.save(text('b', 600)), await messages.save(text('c', 300))];

      const found = await messages.findMany(digests);

      expect(found.map((r) => r.message)).to.deep.equal([text('b', 600), text('c', 300)]);
      expect(store.asked).to.deep.equal([digests, [digests[0]]]);
    });

    it('when an unread message would pass the budget even at its smallest, then it is never read', async () => {
      const store = recordingStore();
      const messages = createMessages(store, LIMITS);
      const digests = [await messages.save(text('d', 600)), await messages.save(text('e', 600))];

      const refused = await messages.findMany(digests).catch((error: unknown) => error);

      expect(refused).to.be.instanceOf(LookupTooLargeError).and.include({ index: 1 });
      expect(store.asked).to.deep.equal([digests]);
    });
  });

  describe('readiness', () => {
    it('when the store answers a round trip, then readiness answers what the store can do', async () => {
      const refusing = { ...createMemoryStore(), ping: async () => ({ writesRefused: 'OOM' }) };

      expect(await createMessages(refusing, LIMITS).readiness()).to.deep.equal({ writesRefused: 'OOM' });
    });

    it('when the store cannot answer, then readiness rejects with its StoreUnavailableError', async () => {
      const down = new StoreUnavailableError('Redis is unavailable');
      const failing = { ...createMemoryStore(), ping: () => Promise.reject(down) };

      const refused = await createMessages(failing, LIMITS)
        .readiness()
        .catch((error: unknown) => error);

      expect(refused).to.equal(down);
    });
  });
});
