import { expect } from 'chai';
import type { TestApp } from '../helpers/app.js';
import { getMessage, postMessage, send } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';

/**
 * The API contract of the two message operations, as tests that any store must pass: the embedded one,
 * standalone Redis, a Sentinel group and a Cluster each run it.
 */
export function messageContract(appUnderTest: () => TestApp): void {
  const url = () => appUnderTest().url;

  describe('POST /messages', () => {
    it('when a message is posted, then answers 201 with its SHA-256 digest and a Location', async () => {
      const reply = await postMessage(url(), 'foo');

      expect(reply.status).to.equal(201);
      expect(reply.json).to.deep.equal({ digest: expectedDigest('foo') });
      expect(reply.headers.location).to.equal(`/messages/${expectedDigest('foo')}`);
      expect(reply.headers['content-type']).to.equal('application/json; charset=utf-8');
    });

    it('when the same message is posted twice, then both answers are the same 201', async () => {
      const first = await postMessage(url(), 'twice');
      const second = await postMessage(url(), 'twice');

      expect(second.status).to.equal(201);
      expect(second.json).to.deep.equal(first.json);
    });

    it('when the empty string is posted, then it is stored like any message', async () => {
      const posted = await postMessage(url(), '');
      const read = await getMessage(url(), posted.json.digest);

      expect(posted.json.digest).to.equal(expectedDigest(''));
      expect(read.json).to.deep.equal({ message: '' });
    });

    for (const [what, message] of [
      ['accents and CJK', 'héllo wörld 漢字かな'],
      ['emoji and ZWJ sequences', '👩‍👩‍👧‍👦🏳️‍🌈🎉'],
      ['combining marks left unnormalised', 'e\u0301 vs é'],
      ['NUL, control characters and a BOM', '\u0000\u0001\t\r\n\ufeff'],
      ['right-to-left text', 'שלום עולם مرحبا'],
      ['a private-use and a non-BMP code point', '\ue000\u{10ffff}\u{1d11e}'],
    ] as const) {
      it(`when a message holds ${what}, then GET answers it byte for byte`, async () => {
        const posted = await postMessage(url(), message);
        const read = await getMessage(url(), posted.json.digest);

        expect(posted.json.digest).to.equal(expectedDigest(message));
        expect(Buffer.from(read.json.message, 'utf8').equals(Buffer.from(message, 'utf8'))).to.equal(true);
      });
    }

    it('when the body holds a raw UTF-8 message, then the digest is over those exact bytes', async () => {
      const bytes = Buffer.from('{"message":"caf\u00e9 \u{1f600}"}', 'utf8');
      const reply = await send(url(), 'POST', '/messages', {
        body: bytes,
        headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      });

      expect(reply.status).to.equal(201);
      expect(reply.json.digest).to.equal(expectedDigest(Buffer.from('caf\u00e9 \u{1f600}', 'utf8')));
    });
  });

  describe('GET /messages/{digest}', () => {
    const message = 'cache me forever';
    const digest = expectedDigest(message);
    before(() => postMessage(url(), message));

    it('when the digest is known, then answers 200 with the message, an ETag and immutable caching', async () => {
      const reply = await getMessage(url(), digest);

      expect(reply.status).to.equal(200);
      expect(reply.json).to.deep.equal({ message });
      expect(reply.headers.etag).to.equal(`"${digest}"`);
      expect(reply.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    });

    it('when the digest is in upper case, then answers the same message', async () => {
      const reply = await getMessage(url(), digest.toUpperCase());

      expect(reply.status).to.equal(200);
      expect(reply.json).to.deep.equal({ message });
    });

    it('when If-None-Match carries the ETag, then answers 304 with no body', async () => {
      const reply = await getMessage(url(), digest, { 'If-None-Match': `"${digest}"` });

      expect(reply.status).to.equal(304);
      expect(reply.text).to.equal('');
      expect(reply.headers.etag).to.equal(`"${digest}"`);
    });

    it('when If-None-Match lists the ETag among others or weakly, then answers 304', async () => {
      const listed = await getMessage(url(), digest, { 'If-None-Match': `"other", "${digest}"` });
      const weak = await getMessage(url(), digest, { 'If-None-Match': `W/"${digest}"` });

      expect(listed.status).to.equal(304);
      expect(weak.status).to.equal(304);
    });

    it('when If-None-Match carries the ETag with Cache-Control: no-cache (as fetch sends it), then answers 304', async () => {
      const headers = { 'If-None-Match': `"${digest}"`, 'Cache-Control': 'no-cache', Pragma: 'no-cache' };

      const reply = await getMessage(url(), digest, headers);

      expect(reply.status).to.equal(304);
    });

    it('when If-None-Match is *, then answers 304 for a stored message', async () => {
      const reply = await getMessage(url(), digest, { 'If-None-Match': '*' });

      expect(reply.status).to.equal(304);
    });

    it('when If-None-Match carries another ETag, then answers 200 with the message', async () => {
      const reply = await getMessage(url(), digest, { 'If-None-Match': '"something-else"' });

      expect(reply.status).to.equal(200);
      expect(reply.json).to.deep.equal({ message });
    });

    it('when If-None-Match is given for an unknown digest, then answers 404, not 304', async () => {
      const unknown = expectedDigest('never posted');
      const reply = await getMessage(url(), unknown, { 'If-None-Match': `"${unknown}"` });

      expect(reply.status).to.equal(404);
    });

    it('when asked with HEAD, then answers 200 with the headers and no body', async () => {
      const reply = await send(url(), 'HEAD', `/messages/${digest}`);

      expect(reply.status).to.equal(200);
      expect(reply.text).to.equal('');
      expect(reply.headers.etag).to.equal(`"${digest}"`);
      expect(Number(reply.headers['content-length'])).to.equal(JSON.stringify({ message }).length);
    });

    for (const [what, path] of [
      ['an unknown digest', `/messages/${expectedDigest('nobody posted this')}`],
      ['a short non-digest', '/messages/aaaaaaaaaaaaaaaaaaa'],
      ['64 non-hex characters', `/messages/${'z'.repeat(64)}`],
      ['63 hex characters', `/messages/${digest.slice(1)}`],
      ['65 hex characters', `/messages/${digest}0`],
      ['a dot-dot segment', '/messages/..'],
      ['an encoded slash', `/messages/%2F${digest.slice(3)}`],
      ['an encoded dot-dot path', '/messages/..%2F..%2Fhealthz'],
      ['a digest with spaces', `/messages/${digest.slice(0, 32)}%20${digest.slice(33)}`],
    ] as const) {
      it(`when asked for ${what}, then answers 404 Message not found`, async () => {
        const reply = await send(url(), 'GET', path);

        expect(reply.status).to.equal(404);
        expect(reply.json).to.deep.equal({ err_msg: 'Message not found' });
      });
    }

    it('when a path climbs out with ../, then it reaches no other endpoint', async () => {
      const reply = await send(url(), 'GET', '/messages/../healthz');

      expect(reply.status).to.equal(404);
      expect(reply.json).to.have.property('err_msg').that.is.a('string');
    });
  });
}
