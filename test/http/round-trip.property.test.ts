import { expect } from 'chai';
import fc from 'fast-check';
import { type TestApp, startApp } from '../helpers/app.js';
import { getMessage, postJson, postMessage } from '../helpers/http.js';
import { expectedDigest } from '../helpers/sha256.js';

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

describe('round trip (property)', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  it('when any well-formed Unicode text is posted, then the digest is SHA-256 of its UTF-8 bytes and GET answers it exactly', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', maxLength: 50 }),
    );
    await fc.assert(
      fc.asyncProperty(text, async (message) => {
        const posted = await postMessage(app.url, message);
        expect(posted.status).to.equal(201);
        expect(posted.json.digest).to.equal(expectedDigest(message));

        const read = await getMessage(app.url, posted.json.digest);
        expect(read.status).to.equal(200);
        expect(read.json.message).to.equal(message);
      }),
      { numRuns: 300 },
    );
  });

  it('when text with an unpaired surrogate is posted, then it is refused with 400 and nothing is stored', async () => {
    const broken = fc
      .tuple(
        fc.string({ unit: 'binary', maxLength: 20 }),
        loneSurrogate,
        fc.string({ unit: 'binary', maxLength: 20 }),
      )
      // A high surrogate followed by a low one would be a valid pair, not a lone surrogate.
      .filter(([, lone, after]) => !(lone < '\udc00' && /^[\udc00-\udfff]/.test(after)))
      .map((parts) => parts.join(''));
    await fc.assert(
      fc.asyncProperty(broken, async (message) => {
        const reply = await postJson(app.url, '/messages', { message });
        expect(reply.status).to.equal(400);

        const asUtf8WouldStore = Buffer.from(message, 'utf8').toString('utf8');
        expect((await getMessage(app.url, expectedDigest(asUtf8WouldStore))).status).to.equal(404);
      }),
      { numRuns: 100 },
    );
  });
});
