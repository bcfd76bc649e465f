import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { getMessage, postMessage } from '../../tools/client/http.js';
import { RUN_PREFIX } from '../../tools/chart-play/objects.js';
import { PlayedRelease } from '../../tools/chart-play/release.js';
import { ScenarioTable, rowOf } from '../../tools/chart-play/table.js';
import { INSTALL_TIMEOUT_MS, requireChartPlay } from './fixture.js';

const SECRET = `${RUN_PREFIX}-es-auth`;
const KEY = 'redis-password';

describe('chart played as pods: two renders with one existing Secret (redis.auth.existingSecret)', function () {
  this.timeout(INSTALL_TIMEOUT_MS);
  const table = new ScenarioTable('existing Secret, two renders');
  let release: PlayedRelease | undefined;

  before(function () {
    requireChartPlay(this);
  });

  after(async () => {
    await release?.destroy();
    table.print();
  });

  it('when Redis is played from one render and the API from another, both naming the Secret, then they agree on the password and a POST succeeds', async () => {
    const set = { 'redis.auth.existingSecret': SECRET, 'redis.auth.existingSecretPasswordKey': KEY };
    release = await PlayedRelease.create('es', { set });
    // What `kubectl create secret generic` makes, once, before any render (README).
    const password = randomBytes(24).toString('hex');
    await release.createSecret({
      metadata: { name: SECRET },
      data: { [KEY]: Buffer.from(password).toString('base64') },
    });
    // Two renders, as `helm template` in Argo CD or Flux makes one on every sync.
    const [first, second] = [await release.render(), await release.render()];

    await release.apply(first, ['StatefulSet']);
    await release.apply(second, ['Deployment']);

    const url = release.apiUrls()[0]!;
    const posted = await postMessage(url, 'one password for Redis and the API');
    const got = await getMessage(url, posted.json?.digest ?? '');
    const samples = [posted, got].map((reply, i) => ({
      op: i === 0 ? ('POST' as const) : ('GET' as const),
      target: url,
      status: reply.status,
      at: 0,
      ms: reply.ms,
    }));
    table.add(rowOf('Redis from one render, API from another', samples, 1, got.status === 200 ? 0 : 1));
    expect([...first.all('Secret'), ...second.all('Secret')], 'Secrets the chart renders').to.deep.equal([]);
    expect(posted.status, posted.text).to.equal(201);
    expect(got.json).to.deep.equal({ message: 'one password for Redis and the API' });
  });
});
