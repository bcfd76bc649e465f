import { expect } from 'chai';
import { type TestApp, startApp } from '../helpers/app.js';
import { getMessage, postJson, send } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';

const LIMIT = 1024;

describe('POST /messages with bad input', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp({ env: { MAX_BODY_BYTES: String(LIMIT) } });
  });
  after(() => app.close());

  function expectError(reply: { status: number; json: unknown }, status: number, pattern: RegExp) {
    expect(reply.status, JSON.stringify(reply.json)).to.equal(status);
    expect(reply.json).to.have.property('err_msg').that.matches(pattern);
  }

  describe('bodies that are not {"message": "<string>"}', () => {
    for (const [what, body, pattern] of [
      ['malformed JSON', '{"message": "foo"', /not valid JSON/],
      ['a trailing comma', '{"message": "foo",}', /not valid JSON/],
      ['JSON with single quotes', "{'message': 'foo'}", /not valid JSON/],
      ['an empty body', '', /empty/],
      ['only white space', '  \n ', /empty/],
      ['no message field', '{}', /field "message" is required/],
      ['a null message', '{"message": null}', /field "message" must be string/],
      ['a number message', '{"message": 42}', /field "message" must be string/],
      ['a boolean message', '{"message": true}', /field "message" must be string/],
      ['an array message', '{"message": ["foo"]}', /field "message" must be string/],
      ['an object message', '{"message": {"text": "foo"}}', /field "message" must be string/],
      ['an extra field', '{"message": "foo", "extra": 1}', /unknown field "extra"/],
      [
        'a misspelt field',
        '{"mesage": "foo"}',
        /unknown field "mesage".*field "message" is required|field "message" is required.*unknown field "mesage"/,
      ],
      ['a JSON array', '["foo"]', /the body must be object/],
      ['a JSON string', '"foo"', /the body must be object/],
      ['JSON null', 'null', /the body must be object/],
    ] as const) {
      it(`when the body is ${what}, then answers 400 saying so`, async () => {
        expectError(await postJson(app.url, '/messages', body), 400, pattern);
      });
    }
  });

  describe('content type and encoding', () => {
    const body = JSON.stringify({ message: 'typed' });

    for (const [what, headers] of [
      ['text/plain', { 'Content-Type': 'text/plain' }],
      ['form encoding', { 'Content-Type': 'application/x-www-form-urlencoded' }],
      ['no Content-Type at all', {}],
      ['a Content-Type that does not parse', { 'Content-Type': 'application/json; charset' }],
      ['charset latin1', { 'Content-Type': 'application/json; charset=iso-8859-1' }],
      ['gzip content encoding', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }],
      ['gzip transfer coding', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'gzip, chunked' }],
    ] as const) {
      it(`when the body is sent as ${what}, then answers 415`, async () => {
        const reply = await send(app.url, 'POST', '/messages', { body, headers });
        expectError(reply, 415, /Content-Type|charset|Content-Encoding|Transfer-Encoding/);
      });
    }

    it('when the content type has upper case and a utf-8 charset, then it is accepted', async () => {
      const headers = { 'Content-Type': 'Application/JSON; Charset="UTF-8"' };
      const reply = await send(app.url, 'POST', '/messages', { body, headers });
      expect(reply.status).to.equal(201);
    });
  });

  describe('body size', () => {
    // {"message":"aaa…"} is 14 bytes of JSON around the text.
    const bodyOf = (bytes: number) => JSON.stringify({ message: 'a'.repeat(bytes - 14) });

    it('when the body is exactly the limit, then it is stored', async () => {
      const body = bodyOf(LIMIT);
      expect(Buffer.byteLength(body)).to.equal(LIMIT);
      expect((await postJson(app.url, '/messages', body)).status).to.equal(201);
    });

    it('when the body is one byte over the limit, then answers 413 as JSON and stores nothing', async () => {
      const body = bodyOf(LIMIT + 1);
      const reply = await postJson(app.url, '/messages', body);

      expectError(reply, 413, new RegExp(`limit of ${LIMIT} bytes`));
      const digest = expectedDigest(JSON.parse(body).message);
      expect((await getMessage(app.url, digest)).status).to.equal(404);
    });

    it('when a chunked body grows past the limit, then answers 413', async () => {
      const reply = await send(app.url, 'POST', '/messages', {
        body: bodyOf(LIMIT * 4),
        headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      });
      expectError(reply, 413, /limit/);
    });

    it('when Content-Length announces a huge body, then answers 413 at once and closes the connection', async () => {
      const reply = await send(app.url, 'POST', '/messages', {
        headers: { 'Content-Type': 'application/json', 'Content-Length': String(10 * 1024 ** 3) },
      });

      expectError(reply, 413, /limit/);
      expect(reply.headers.connection).to.equal('close');
    });
  });

  describe('text that cannot round-trip', () => {
    it('when the message holds a lone surrogate, then answers 400 and stores nothing', async () => {
      const reply = await postJson(app.url, '/messages', '{"message": "ab\\ud800cd"}');

      expectError(reply, 400, /unpaired UTF-16 surrogate at character 2/);
      // Had it been stored, it would read back with U+FFFD in its place.
      expect((await getMessage(app.url, expectedDigest('ab\ufffdcd'))).status).to.equal(404);
    });

    it('when the message holds a lone low surrogate, then answers 400', async () => {
      expectError(await postJson(app.url, '/messages', '{"message": "\\udc00"}'), 400, /surrogate/);
    });

    it('when the message holds an escaped surrogate pair, then it is one character and is stored', async () => {
      const reply = await postJson(app.url, '/messages', '{"message": "\\ud83d\\ude00"}');

      expect(reply.status).to.equal(201);
      expect(reply.json.digest).to.equal(expectedDigest('😀'));
    });

    it('when the body is not valid UTF-8, then answers 400 and stores nothing', async () => {
      const body = Buffer.concat([Buffer.from('{"message": "caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
      const reply = await send(app.url, 'POST', '/messages', {
        body,
        headers: { 'Content-Type': 'application/json' },
      });

      expectError(reply, 400, /not valid UTF-8/);
      expect((await getMessage(app.url, expectedDigest('caf\ufffd'))).status).to.equal(404);
    });
  });
});
