import { expect } from 'chai';
import { InvalidMessageError, createMessages } from '../../service/domain/messages.js';
import { createMemoryStore } from '../../service/store/memory-store.js';
import { expectedDigest } from '../helpers/sha256.js';

describe('createMessages', () => {
  it('when a message is saved, then it is stored under its digest and found by it in any case', async () => {
    const store = createMemoryStore();
    const messages = createMessages(store);

    const digest = await messages.save('hello');

    expect(digest).to.equal(expectedDigest('hello'));
    expect(await store.get(digest)).to.equal('hello');
    expect(await messages.find(digest.toUpperCase())).to.deep.equal({ digest, message: 'hello' });
  });

  it('when a message has an unpaired surrogate, then it is refused and nothing is stored', async () => {
    const store = createMemoryStore();
    const messages = createMessages(store);

    let refused: unknown;
    await messages.save('x\udfffy').catch((error: unknown) => (refused = error));

    expect(refused).to.be.instanceOf(InvalidMessageError);
    expect((refused as Error).message).to.include('at character 1');
    expect(await store.get(expectedDigest('x\ufffdy'))).to.equal(null);
  });

  it('when the digest text is no digest, then find answers null', async () => {
    expect(await createMessages(createMemoryStore()).find('../etc/passwd')).to.equal(null);
  });

  it('when a digest is already stored, then saving never replaces what is there', async () => {
    const store = createMemoryStore();
    const digest = expectedDigest('original');
    await store.put(digest, 'something already there');

    await createMessages(store).save('original');

    expect(await store.get(digest)).to.equal('something already there');
  });
});
