import { expect } from 'chai';
import fc from 'fast-check';
import { type TestApp, startApp } from '../helpers/app.js';
import { getMessage, postJson, postMessage } from '../../tools/client/http.js';
import { useRedisServer } from '../helpers/redis-fixtures.js';
import { expectedDigest } from '../../tools/client/sha256.js';

const wellFormed = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
);

const withLoneSurrogate = fc
  .tuple(
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)),
    fc.string({ unit: 'binary', maxLength: 20 }),
  )
  // A high surrogate followed by a low one would be a valid pair, not a lone surrogate.
  .filter(([, lone, after]) => !(lone < '\udc00' && /^[\udc00-\udfff]/.test(after)))
  .map((parts) => parts.join(''));

/** The same properties, whichever store the app runs on. */
function roundTripProperties(appUnderTest: () => TestApp, numRuns: number) {
  it('when any well-formed Unicode text is posted, then the digest is SHA-256 of its UTF-8 bytes and GET answers it exactly', async () => {
    const { url } = appUnderTest();
    await fc.assert(
      fc.asyncProperty(wellFormed, async (message) => {
        const posted = await postMessage(url, message);
        expect(posted.status).to.equal(201);
        expect(posted.json.digest).to.equal(expectedDigest(message));

        const read = await getMessage(url, posted.json.digest);
        expect(read.status).to.equal(200);
        expect(read.json.message).to.equal(message);
      }),
      { numRuns },
    );
  });

  it('when text with an unpaired surrogate is posted, then it is refused with 400 and nothing is stored', async () => {
    const { url } = appUnderTest();
    await fc.assert(
      fc.asyncProperty(withLoneSurrogate, async (message) => {
        const reply = await postJson(url, '/messages', { message });
        expect(reply.status).to.equal(400);

        const asUtf8WouldStore = Buffer.from(message, 'utf8').toString('utf8');
        expect((await getMessage(url, expectedDigest(asUtf8WouldStore))).status).to.equal(404);
      }),
      { numRuns: Math.ceil(numRuns / 3) },
    );
  });
}

describe('round trip (property), embedded store', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  roundTripProperties(() => app, 300);
});

describe('round trip (property), Redis with the cache off', () => {
  // Without the cache every GET reads the bytes back from Redis.
  const { app } = useRedisServer({ app: { CACHE_MAX_BYTES: '0' } });

  roundTripProperties(app, 200);
});
