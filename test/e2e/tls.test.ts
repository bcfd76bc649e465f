import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Stack } from '../../tools/stack/stack.js';
import { type RequestOptions, getMessage, send } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { caOf, useStack } from './stack-fixture.js';

const HSTS = 'max-age=31536000; includeSubDomains';

describe('e2e: TLS, redirects and request ids at the proxy', () => {
  let stack: Stack;
  let tls: RequestOptions;

  before(async function () {
    stack = await useStack(this);
    tls = { ca: caOf(stack) };
  });

  it('when curl posts and reads with --cacert and the name localhost, then it verifies the certificate and gets the message back', () => {
    const message = 'hello from curl';
    const curl = (...args: string[]) =>
      execFileSync(
        'curl',
        ['--silent', '--show-error', '--fail-with-body', '--cacert', stack.certificates.caFile, ...args],
        {
          encoding: 'utf8',
          timeout: 10_000,
        },
      );

    const posted = curl(
      `${stack.httpsUrl}/messages`,
      '-H',
      'Content-Type: application/json',
      '-d',
      JSON.stringify({ message }),
    );
    const got = curl(`${stack.httpsUrl}/messages/${expectedDigest(message)}`);

    expect(stack.httpsUrl).to.match(/^https:\/\/localhost:\d+$/);
    expect(JSON.parse(posted)).to.deep.equal({ digest: expectedDigest(message) });
    expect(JSON.parse(got)).to.deep.equal({ message });
  });

  it('when a client does not trust the generated CA, then the TLS handshake fails', async () => {
    const error = await send(stack.httpsUrl, 'GET', '/healthz').then(
      () => undefined,
      (thrown: NodeJS.ErrnoException) => thrown,
    );

    expect(error?.code).to.equal('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('when a request comes over plain HTTP, then nginx redirects it (308) to the same path over HTTPS', async () => {
    const reply = await send(stack.httpUrl, 'GET', '/messages/abc?x=1');

    expect(reply.status).to.equal(308);
    expect(reply.headers.location).to.equal(`${stack.httpsUrl}/messages/abc?x=1`);
  });

  it('when answers come from the service or from nginx itself, then both carry HSTS', async () => {
    const fromService = await getMessage(stack.httpsUrl, 'a'.repeat(64), {}, tls);
    const fromNginx = await send(stack.httpsUrl, 'POST', '/messages', {
      ...tls,
      body: 'x'.repeat(1024 * 1024 + 1),
      headers: { 'Content-Type': 'application/json' },
    });

    expect(fromService.status).to.equal(404);
    expect(fromNginx.status).to.equal(413);
    expect(fromService.headers['strict-transport-security']).to.equal(HSTS);
    expect(fromNginx.headers['strict-transport-security']).to.equal(HSTS);
  });

  it('when a client sends X-Request-Id, then the replica that served it logs that id and the answer echoes it', async () => {
    const id = `e2e-${Date.now()}`;

    const reply = await send(stack.httpsUrl, 'GET', '/healthz', { ...tls, headers: { 'X-Request-Id': id } });

    expect(reply.headers['x-request-id']).to.equal(id);
    await pollUntil('a replica to log the request id', () => replicaLogs(stack).includes(`"reqId":"${id}"`));
  });

  it('when a client sends no X-Request-Id, then nginx makes one, the replica uses it, and the answer carries it', async () => {
    const reply = await send(stack.httpsUrl, 'GET', '/healthz', tls);

    const id = String(reply.headers['x-request-id']);
    expect(id).to.match(/^[0-9a-f]{32}$/);
    await pollUntil('a replica to log the request id', () => replicaLogs(stack).includes(`"reqId":"${id}"`));
  });
});

function replicaLogs(stack: Stack): string {
  return stack.replicas.map((replica) => readFileSync(replica.logFile, 'utf8')).join('');
}
