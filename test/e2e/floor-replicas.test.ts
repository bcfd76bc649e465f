import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { send } from '../../tools/client/http.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { FLOOR_KINDS } from '../../tools/stack/server-program.js';
import { type Stack, startStack } from '../../tools/stack/stack.js';
import { requireStackCommands } from './stack-fixture.js';

/**
 * `npm run bench:stack` compares the stack serving shaservice with the same stack serving each floor of
 * bench/baseline/ (`--replica`): each floor must really serve both routes through nginx over TLS, or the
 * bench's ratios compare against errors.
 */
for (const floor of FLOOR_KINDS) {
  describe(`the stack serving the ${floor} floor as its replicas (--replica ${floor})`, function () {
    this.timeout(60_000);
    let stack: Stack | undefined;

    before(async function () {
      requireStackCommands(this);
      stack = await startStack({ replica: floor, replicas: 2 });
    });

    after(async () => {
      await stack?.stop();
    });

    it('when a message is POSTed and its digest read back over HTTPS, then both answer as the service does', async () => {
      const tls = { ca: readFileSync(stack!.certificates.caFile) };
      const message = `through the ${floor} floor`;
      const body = JSON.stringify({ message });
      const headers = { 'Content-Type': 'application/json' };

      const posted = await send(stack!.httpsUrl, 'POST', '/messages', { ...tls, headers, body });
      const read = await send(stack!.httpsUrl, 'GET', `/messages/${expectedDigest(message)}`, tls);
      const unknown = await send(stack!.httpsUrl, 'GET', `/messages/${'0'.repeat(64)}`, tls);

      expect(posted.status).to.equal(201);
      expect(posted.json).to.deep.equal({ digest: expectedDigest(message) });
      expect(read.status).to.equal(200);
      expect(read.json).to.deep.equal({ message });
      expect(unknown.status).to.equal(404);
    });
  });
}
