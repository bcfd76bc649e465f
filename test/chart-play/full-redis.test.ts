import { expect } from 'chai';
import { type Reply, postMessage } from '../../tools/client/http.js';
import { type Sample, countLost } from '../../tools/client/load.js';
import { probeTimeoutMs, runHandler } from '../../tools/chart-play/probes.js';
import { ScenarioTable, rowOf } from '../../tools/chart-play/table.js';
import { podman } from '../../tools/podman/podman.js';
import { installForSuite } from './fixture.js';

const LIMIT_BYTES = 64 * 1024 * 1024;
// The chart's maxmemory is 70% of the container's memory limit.
const MAXMEMORY = Math.floor(LIMIT_BYTES * 0.7);
// Large messages fill it fast; a large write is refused while smaller ones still fit (its own request counts
// towards used_memory while Redis checks), so smaller and smaller ones fill the rest, down to a small message.
const MESSAGE_BYTES = [256 * 1024, 4 * 1024, 64, 16];
// 400 of the largest are over twice what maxmemory holds: the fill ends, should Redis never refuse.
const MAX_POSTS_PER_SIZE = 400;
// One refusal is not yet full: it frees the refused request's buffers, so used_memory can dip under maxmemory
// and the next small write fit (seen in CI, also after 5 refusals in a row: Redis shrinks idle clients' buffers
// too). Full is this many refusals of the smallest size in a row, after which no further POST is sent.
const REFUSALS_WHEN_FULL = 5;

describe('chart played as pods: a full Redis (redis.resources.limits.memory 64Mi)', function () {
  this.timeout(3 * 60_000);
  const table = new ScenarioTable('full Redis (memory limit 64Mi)');
  const release = installForSuite('full', { set: { 'redis.resources.limits.memory': '64Mi' } }, table);

  it('when Redis is filled to its maxmemory, then POST answers 503 with Retry-After, GETs of stored messages 200, and Redis is not restarted', async () => {
    const [redis] = release().podsOf('StatefulSet');
    const container = redis!.containers.find((c) => c.name === 'redis')!;
    const startState = () =>
      podman('inspect', '--format', '{{.RestartCount}} {{.State.StartedAt}}', `${redis!.name}-redis`);
    const startedAs = await startState();
    const url = release().apiUrls()[0]!;
    const began = performance.now();
    const samples: Sample[] = [];
    const acknowledged = new Map<string, string>();
    const post = async (message: string) => {
      const at = performance.now() - began;
      const reply = await postMessage(url, message);
      samples.push({ op: 'POST', target: url, status: reply.status, at, ms: reply.ms });
      if (reply.status === 201) acknowledged.set(reply.json.digest, message);
      return reply;
    };

    let refused: Reply | undefined;
    let last: Reply | undefined;
    for (const bytes of MESSAGE_BYTES) {
      const refusals = bytes === MESSAGE_BYTES.at(-1) ? REFUSALS_WHEN_FULL : 1;
      let inARow = 0;
      refused = undefined;
      for (let i = 0; i < MAX_POSTS_PER_SIZE && inARow < refusals; i++) {
        const reply = (last = await post(`${bytes}/${i} `.padEnd(bytes, 'x')));
        if (reply.status === 201) inARow = 0;
        else [refused, inARow] = [reply, inARow + 1];
      }
    }
    const lost = await countLost(url, acknowledged);
    const memory = await release().exec(redis!.name, 'redis', ['redis-cli', 'info', 'memory']);
    const used = Number(/^used_memory:(\d+)/m.exec(memory)?.[1]);
    table.add(rowOf('filled to maxmemory, then read back', samples, acknowledged.size, lost));

    expect(refused?.status, refused?.text).to.equal(503);
    expect(refused?.headers['retry-after']).to.match(/^\d+$/);
    expect(last?.status, 'the last, small POST once full').to.equal(503);
    expect(/^maxmemory:(\d+)/m.exec(memory)?.[1], 'the running maxmemory').to.equal(String(MAXMEMORY));
    expect(used, 'used_memory once refused').to.be.above(MAXMEMORY * 0.95);
    expect(acknowledged.size).to.be.above(0);
    expect(lost, 'stored messages that do not read back').to.equal(0);
    expect(await startState(), 'restart count and start time of the redis container').to.equal(startedAs);
    const liveness = container.livenessProbe!;
    expect(
      await runHandler(redis!, container, liveness, probeTimeoutMs(liveness)),
      'liveness probe',
    ).to.equal(true);
  });
});
