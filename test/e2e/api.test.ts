import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Stack } from '../../tools/stack/stack.js';
import { type RequestOptions, getMessage, postJson, postMessage, send } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { caOf, useStack } from './stack-fixture.js';

const NOT_FOUND = { err_msg: 'Message not found' };

describe('e2e: the API contract through nginx over verified TLS', () => {
  let stack: Stack;
  let base: string;
  let tls: RequestOptions;

  before(async function () {
    stack = await useStack(this);
    base = stack.httpsUrl;
    tls = { ca: caOf(stack) };
  });

  it('when a message is posted, then 201 gives its digest and Location, and GET gives it back with caching headers', async () => {
    const message = `through the proxy ${randomUUID()} ☃`;
    const digest = expectedDigest(message);

    const posted = await postMessage(base, message, tls);
    const got = await getMessage(base, digest, {}, tls);
    const again = await getMessage(
      base,
      digest.toUpperCase(),
      { 'If-None-Match': `${got.headers.etag}` },
      tls,
    );

    expect(posted.status).to.equal(201);
    expect(posted.json).to.deep.equal({ digest });
    expect(posted.headers.location).to.equal(`/messages/${digest}`);
    expect(got.status).to.equal(200);
    expect(got.json).to.deep.equal({ message });
    expect(got.headers['cache-control']).to.equal('public, max-age=31536000, immutable');
    expect(again.status).to.equal(304);
  });

  for (const digest of ['aaaaaaaaaaaaaaaaaaa', 'a'.repeat(64)]) {
    it(`when GET asks for ${digest.length === 64 ? '64 a characters' : digest}, then 404 with err_msg`, async () => {
      const reply = await getMessage(base, digest, {}, tls);

      expect(reply.status).to.equal(404);
      expect(reply.json).to.deep.equal(NOT_FOUND);
    });
  }

  it('when the body is not right, then 400, 415, 405 and 404 come from the service as JSON', async () => {
    const badJson = await postJson(base, '/messages', '{"message": ', {}, tls);
    const notString = await postJson(base, '/messages', { message: 42 }, {}, tls);
    const extraField = await postJson(base, '/messages', { message: 'x', more: 1 }, {}, tls);
    const textPlain = await postJson(
      base,
      '/messages',
      '{"message":"x"}',
      { 'Content-Type': 'text/plain' },
      tls,
    );
    const wrongMethod = await send(base, 'DELETE', '/messages', tls);
    const unknownPath = await send(base, 'GET', '/nothing/here', tls);

    expect([badJson, notString, extraField].map((reply) => reply.status)).to.deep.equal([400, 400, 400]);
    expect(textPlain.status).to.equal(415);
    expect(wrongMethod.status).to.equal(405);
    expect(wrongMethod.headers.allow).to.match(/POST/);
    expect(unknownPath.status).to.equal(404);
    for (const reply of [badJson, notString, extraField, textPlain, wrongMethod, unknownPath]) {
      expect(reply.json?.err_msg, reply.text).to.be.a('string').and.have.length.above(0);
    }
  });

  it('when a body is exactly MAX_BODY_BYTES long, then nginx lets it through and the service stores it', async () => {
    const envelope = JSON.stringify({ message: '' }).length;
    const message = 'b'.repeat(1024 * 1024 - envelope);

    const reply = await postMessage(base, message, tls);

    expect(reply.status).to.equal(201);
    expect(reply.json).to.deep.equal({ digest: expectedDigest(message) });
  });

  it('when a body is one byte over MAX_BODY_BYTES, then 413 with a JSON err_msg a client can read', async () => {
    const envelope = JSON.stringify({ message: '' }).length;
    const message = 'b'.repeat(1024 * 1024 - envelope + 1);

    const reply = await postMessage(base, message, tls);

    expect(reply.status).to.equal(413);
    expect(reply.headers['content-type']).to.match(/^application\/json/);
    expect(reply.json.err_msg).to.match(/larger than the limit of 1048576 bytes/);
  });

  it('when a chunked body (no Content-Length) grows past the limit, then 413 with JSON too', async () => {
    const body = JSON.stringify({ message: 'c'.repeat(2 * 1024 * 1024) });

    const reply = await send(base, 'POST', '/messages', {
      ...tls,
      body,
      headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
    });

    expect(reply.status).to.equal(413);
    expect(reply.json.err_msg)
      .to.be.a('string')
      .and.match(/larger than the limit/);
  });

  it('when the probes, the spec and the docs are asked for, then they answer through the proxy, and /metrics does not', async () => {
    const get = (path: string) => send(base, 'GET', path, tls);
    const [health, ready, spec, docs, metrics] = [
      await get('/healthz'),
      await get('/readyz'),
      await get('/openapi.yaml'),
      await get('/docs/'),
      await get('/metrics'),
    ];

    expect([health.status, ready.status, spec.status, docs.status]).to.deep.equal([200, 200, 200, 200]);
    expect(spec.text).to.match(/^openapi: /m);
    expect(docs.text).to.match(/swagger-ui/i);
    expect(metrics.status).to.equal(404);
    expect(metrics.text).not.to.match(/http_requests_total/);
  });
});
