import { expect } from 'chai';
import { type TestApp, startApp } from '../helpers/app.js';
import { getMessage, postJson, postMessage } from '../helpers/http.js';
import { expectedDigest } from '../helpers/sha256.js';

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
});
