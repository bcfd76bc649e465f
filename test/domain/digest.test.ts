import { expect } from 'chai';
import { parseDigest, sha256Hex } from '../../service/domain/digest.js';
import { expectedDigest } from '../../tools/client/sha256.js';

describe('sha256Hex', () => {
  it('when given the empty string, then answers the published SHA-256 of no bytes', () => {
    expect(sha256Hex('')).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('when given "foo", then answers the digest from the challenge', () => {
    expect(sha256Hex('foo')).to.equal('2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae');
  });

  it('when given multi-byte text, then hashes its UTF-8 bytes', () => {
    const message = 'é漢字🎉\u0000';
    expect(sha256Hex(message)).to.equal(expectedDigest(Buffer.from(message, 'utf8')));
  });
});

describe('parseDigest', () => {
  const digest = '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';

  it('when given upper-case hex, then answers it in lower case', () => {
    expect(parseDigest(digest.toUpperCase())).to.equal(digest);
  });

  for (const [what, text] of [
    ['63 characters', digest.slice(1)],
    ['65 characters', `${digest}0`],
    ['64 non-hex characters', 'g'.repeat(64)],
    ['a short string', 'aaaaaaaaaaaaaaaaaaa'],
    ['path characters', `../${digest.slice(3)}`],
    ['the empty string', ''],
  ] as const) {
    it(`when given ${what}, then answers null`, () => {
      expect(parseDigest(text)).to.equal(null);
    });
  }
});
