import { expect } from 'chai';
import { type TestApp, startApp } from '../helpers/app.js';
import { send } from '../../tools/client/http.js';
import { decodedBody, rawExchange } from '../helpers/raw-http.js';

describe('routing, docs and the spec', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  for (const target of ['http://[/healthz', 'https://[::1/messages', 'http://a]/healthz']) {
    it(`when the request target is ${target}, which Node's URL parser refuses, then answers 400 with err_msg`, async () => {
      const port = Number(new URL(app.url).port);
      const request = `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
      const { responses } = await rawExchange({ host: '127.0.0.1', port }, Buffer.from(request, 'latin1'));

      expect(responses[0]?.status).to.equal(400);
      expect(JSON.parse(decodedBody(responses[0]!).toString('utf8')).err_msg).to.match(/not a valid URL/);
    });
  }

  for (const path of ['/', '/nope', '/message', '/messages/abc/extra', '/metrics', '/docsx']) {
    it(`when ${path} is asked for, then answers 404 with err_msg`, async () => {
      const reply = await send(app.url, 'GET', path);

      expect(reply.status).to.equal(404);
      expect(reply.json.err_msg).to.match(/no endpoint/);
    });
  }

  for (const [method, path, allow] of [
    ['GET', '/messages', 'POST'],
    ['PUT', '/messages', 'POST'],
    ['DELETE', `/messages/${'a'.repeat(64)}`, 'HEAD, GET'],
    ['POST', `/messages/${'a'.repeat(64)}`, 'HEAD, GET'],
    ['PATCH', '/healthz', 'HEAD, GET'],
    ['PROPFIND', '/readyz', 'HEAD, GET'],
    ['OPTIONS', '/messages', 'POST'],
    ['GET', '/messages/batch', 'POST'],
    ['DELETE', '/messages/batch/', 'POST'],
    ['GET', '/digests/lookup', 'POST'],
    ['POST', '/openapi.yaml', 'HEAD, GET'],
    ['DELETE', '/docs/index.html', 'HEAD, GET'],
  ] as const) {
    it(`when ${method} ${path.slice(0, 20)} is asked for, then answers 405 with Allow: ${allow}`, async () => {
      const reply = await send(app.url, method, path);

      expect(reply.status).to.equal(405);
      expect(reply.headers.allow).to.equal(allow);
      expect(reply.json.err_msg).to.include(`Method ${method} is not allowed`);
    });
  }

  it('when HEAD /healthz is asked for, then answers 200 with no body', async () => {
    const reply = await send(app.url, 'HEAD', '/healthz');

    expect(reply.status).to.equal(200);
    expect(reply.text).to.equal('');
  });

  it('when a trailing slash is added to /messages, then it is the same endpoint', async () => {
    const reply = await send(app.url, 'POST', '/messages/', {
      body: '{"message":"slash"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(reply.status).to.equal(201);
  });

  it('when /openapi.yaml is asked for, then answers the spec that drives the routes', async () => {
    const reply = await send(app.url, 'GET', '/openapi.yaml');

    expect(reply.status).to.equal(200);
    expect(reply.headers['content-type']).to.match(/^application\/yaml/);
    expect(reply.text).to.match(/^openapi: 3\./);
    expect(reply.text).to.include('operationId: postMessage');
  });

  it('when /docs is asked for, then redirects to the Swagger UI page', async () => {
    const reply = await send(app.url, 'GET', '/docs');

    expect(reply.status).to.equal(302);
    expect(reply.headers.location).to.equal('/docs/');
  });

  it('when /docs/ is asked for, then serves Swagger UI from the package, pointed at our spec', async () => {
    const page = await send(app.url, 'GET', '/docs/');
    const bundle = await send(app.url, 'GET', '/docs/swagger-ui-bundle.js');
    const initializer = await send(app.url, 'GET', '/docs/swagger-initializer.js');

    expect(page.status).to.equal(200);
    expect(page.text).to.include('swagger-ui-bundle.js');
    expect(page.text).not.to.match(/https?:\/\//i);
    expect(bundle.status).to.equal(200);
    expect(bundle.text.length).to.be.greaterThan(100_000);
    expect(initializer.text).to.include("url: '../openapi.yaml'");
    expect(initializer.text).not.to.include('petstore');
  });

  it('when a file under /docs/ does not exist, then answers 404 JSON', async () => {
    const reply = await send(app.url, 'GET', '/docs/../../package.json');

    expect(reply.status).to.equal(404);
    expect(reply.json).to.have.property('err_msg');
  });

  it("when every file Swagger UI's page names is asked for, with or without a trailing slash, then each is served", async () => {
    const page = await send(app.url, 'GET', '/docs/');
    const files = [...page.text.matchAll(/(?:href|src)="(?:\.\/)?([^"]+)"/g)].map((match) => match[1]!);

    expect(files).to.include.members(['swagger-ui.css', 'index.css', 'swagger-ui-bundle.js']);
    for (const file of files) {
      for (const path of [`/docs/${file}`, `/docs/${file}/`]) {
        expect((await send(app.url, 'GET', path)).status, path).to.equal(200);
      }
    }
  });

  for (const path of [
    '/docs/nope',
    '/docs/package.json',
    '/docs/swagger-ui-bundle.js.map',
    '/docs/./swagger-initializer.js',
    '/docs/x/../swagger-initializer.js',
  ]) {
    it(`when ${path}, which Swagger UI's page does not load, is asked for with any method, then answers 404`, async () => {
      for (const method of ['GET', 'POST']) {
        const reply = await send(app.url, method, path);

        expect(reply.status, `${method} ${path}`).to.equal(404);
        expect(reply.json.err_msg).to.match(/no endpoint/);
      }
    });
  }
});
