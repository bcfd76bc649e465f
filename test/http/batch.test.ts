import { expect } from 'chai';
import { type TestApp, startApp } from '../helpers/app.js';
import { getMessage, postJson, postMessage } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';

describe('POST /messages/batch and POST /digests/lookup', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { BATCH_MAX_ITEMS: '5', MAX_BODY_BYTES: '4096' } });
  });
  after(() => app.close());

  describe('POST /messages/batch', () => {
    it('when messages are posted together, then answers 201 with their digests in order, each readable', async () => {
      const messages = ['one', '', 'é漢字🎉', 'one'];

      const reply = await postJson(app.url, '/messages/batch', { messages });

      expect(reply.status).to.equal(201);
      expect(reply.json).to.deep.equal({ digests: messages.map((m) => expectedDigest(m)) });
      for (const message of messages) {
        expect((await getMessage(app.url, expectedDigest(message))).json).to.deep.equal({ message });
      }
    });

    it('when the batch is empty, then answers 201 with no digests', async () => {
      const reply = await postJson(app.url, '/messages/batch', { messages: [] });

      expect(reply.status).to.equal(201);
      expect(reply.json).to.deep.equal({ digests: [] });
    });

    it('when one item is not a string, then the whole batch is refused naming its index, and nothing is stored', async () => {
      const reply = await postJson(app.url, '/messages/batch', { messages: ['fine 1', 'fine 2', 42] });

      expect(reply.status).to.equal(400);
      expect(reply.json).to.deep.equal({
        err_msg: 'Invalid request: field "messages[2]" must be string',
        index: 2,
      });
      expect((await getMessage(app.url, expectedDigest('fine 1'))).status).to.equal(404);
    });

    it('when one item cannot round-trip, then the whole batch is refused naming its index, and nothing is stored', async () => {
      const reply = await postJson(app.url, '/messages/batch', '{"messages": ["kept out", "x\\ud800"]}');

      expect(reply.status).to.equal(400);
      expect(reply.json.index).to.equal(1);
      expect(reply.json.err_msg).to.match(/^messages\[1\] contains an unpaired UTF-16 surrogate/);
      expect((await getMessage(app.url, expectedDigest('kept out'))).status).to.equal(404);
    });

    for (const [what, body, pattern] of [
      [
        'more items than BATCH_MAX_ITEMS',
        { messages: ['1', '2', '3', '4', '5', '6'] },
        /field "messages" holds at most 5 items; this one has 6/,
      ],
      ['no messages field', { message: 'single' }, /unknown field "message".*|field "messages" is required/],
      ['messages that is not an array', { messages: 'one' }, /field "messages" must be array/],
      ['an extra field', { messages: [], extra: true }, /unknown field "extra"/],
    ] as const) {
      it(`when the body has ${what}, then answers 400 saying so`, async () => {
        const reply = await postJson(app.url, '/messages/batch', body);

        expect(reply.status).to.equal(400);
        expect(reply.json.err_msg).to.match(pattern);
      });
    }

    it('when the batch is larger than MAX_BODY_BYTES, then answers 413', async () => {
      const reply = await postJson(app.url, '/messages/batch', { messages: ['x'.repeat(5000)] });

      expect(reply.status).to.equal(413);
    });
  });

  describe('POST /digests/lookup', () => {
    it('when digests are looked up, then found ones carry their message and the rest are marked not found, in order', async () => {
      await postMessage(app.url, 'looked up');
      const known = expectedDigest('looked up');
      const unknown = expectedDigest('never stored');

      const reply = await postJson(app.url, '/digests/lookup', {
        digests: [unknown, known.toUpperCase(), 'not-a-digest', known],
      });

      expect(reply.status).to.equal(200);
      expect(reply.json).to.deep.equal({
        results: [
          { digest: unknown, found: false },
          { digest: known.toUpperCase(), found: true, message: 'looked up' },
          { digest: 'not-a-digest', found: false },
          { digest: known, found: true, message: 'looked up' },
        ],
      });
    });

    it('when more digests than BATCH_MAX_ITEMS are asked, then answers 400', async () => {
      const reply = await postJson(app.url, '/digests/lookup', { digests: ['a', 'b', 'c', 'd', 'e', 'f'] });

      expect(reply.status).to.equal(400);
      expect(reply.json.err_msg).to.match(/field "digests" holds at most 5 items/);
    });

    it('when a digest is not a string, then answers 400 naming its index', async () => {
      const reply = await postJson(app.url, '/digests/lookup', { digests: ['a', null] });

      expect(reply.status).to.equal(400);
      expect(reply.json.index).to.equal(1);
    });
  });

  describe('POST /digests/lookup within LOOKUP_MAX_BYTES', () => {
    // The body limit and the smallest answer budget it allows: one stored message of any size must fit.
    const limits = { BATCH_MAX_ITEMS: '200', MAX_BODY_BYTES: '16384', LOOKUP_MAX_BYTES: '20000' };
    let small: TestApp;
    before(async () => {
      small = await startApp({ env: limits });
    });
    after(() => small.close());

    /** Stores a message whose JSON string is `bytes` long (as the answer carries it) and answers its digest. */
    async function stored(bytes: number, fill: string): Promise<string> {
      const message = fill.repeat(bytes - 2);
      expect((await postMessage(small.url, message)).status).to.equal(201);
      return expectedDigest(message);
    }

    it('when the found messages would pass LOOKUP_MAX_BYTES, then answers 422 naming the first digest that does not fit', async () => {
      const digests = [await stored(8000, 'a'), await stored(8000, 'b'), await stored(8000, 'c')];

      const reply = await postJson(small.url, '/digests/lookup', { digests });

      expect(reply.status).to.equal(422);
      expect(reply.json).to.deep.equal({
        err_msg:
          'The messages found total more than 20000 bytes of JSON (LOOKUP_MAX_BYTES); the digests before ' +
          'index 2 fit in one answer: look those up, then the rest, or read messages one at a time with ' +
          'GET /messages/{digest}',
        index: 2,
      });
    });

    it('when a 422 names an index, then the digests before it are answered in full', async () => {
      const digests = [await stored(8000, 'd'), await stored(8000, 'e'), await stored(8000, 'f')];
      const refused = await postJson(small.url, '/digests/lookup', { digests });

      const first = await postJson(small.url, '/digests/lookup', {
        digests: digests.slice(0, refused.json.index),
      });
      const rest = await postJson(small.url, '/digests/lookup', {
        digests: digests.slice(refused.json.index),
      });

      expect(first.status).to.equal(200);
      expect(first.json.results.map((r: { message: string }) => r.message)).to.deep.equal(
        ['d', 'e'].map((c) => c.repeat(7998)),
      );
      expect(rest.status).to.equal(200);
      expect(rest.json.results[0].message).to.equal('f'.repeat(7998));
    });

    it('when one digest is repeated, then each repeat counts, since each is in the answer', async () => {
      const digest = await stored(3000, 'g');

      const fits = await postJson(small.url, '/digests/lookup', { digests: new Array(6).fill(digest) });
      const refused = await postJson(small.url, '/digests/lookup', { digests: new Array(200).fill(digest) });

      expect(fits.status).to.equal(200);
      expect(fits.json.results).to.have.length(6);
      expect(refused.status).to.equal(422);
      expect(refused.json.index).to.equal(6);
      expect(refused.text.length).to.be.below(300);
    });

    it('when messages need escaping in JSON, then the budget counts them as the answer carries them', async () => {
      // 1,500 control characters, each written \u000N (6 bytes) by JSON: 9,002 bytes in the answer, not 1,502.
      const messages = ['\u0001', '\u0002', '\u0003'].map((c) => c.repeat(1500));
      for (const message of messages) expect((await postMessage(small.url, message)).status).to.equal(201);

      const reply = await postJson(small.url, '/digests/lookup', {
        digests: messages.map((m) => expectedDigest(m)),
      });

      expect(reply.status).to.equal(422);
      expect(reply.json.index).to.equal(2);
    });

    it('when a message is as large as MAX_BODY_BYTES allows, then it is looked up alone under the smallest budget', async () => {
      const app = await startApp({ env: { MAX_BODY_BYTES: '4096', LOOKUP_MAX_BYTES: '4096' } });
      try {
        // {"message":"..."} with the message filling the body: the largest any client can store.
        const message = 'h'.repeat(4096 - '{"message":""}'.length);
        expect((await postMessage(app.url, message)).status).to.equal(201);

        const reply = await postJson(app.url, '/digests/lookup', { digests: [expectedDigest(message)] });

        expect(reply.status).to.equal(200);
        expect(reply.json.results[0].message).to.equal(message);
      } finally {
        await app.close();
      }
    });

    it('when small messages are looked up, then unknown, invalid and repeated digests answer as before', async () => {
      const digest = await stored(10, 'i');

      const reply = await postJson(small.url, '/digests/lookup', {
        digests: [digest, 'nope', digest, expectedDigest('x')],
      });

      expect(reply.status).to.equal(200);
      expect(reply.json.results.map((r: { found: boolean }) => r.found)).to.deep.equal([
        true,
        false,
        true,
        false,
      ]);
    });
  });
});
