import { expect } from 'chai';
import { getMessage } from '../../tools/client/http.js';
import { countLost, runLoad } from '../../tools/client/load.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { ScenarioTable, rowOf } from '../../tools/chart-play/table.js';
import { apiTarget, loadWhile } from '../../tools/chart-play/traffic.js';
import { installForSuite } from './fixture.js';

describe('chart played as pods: standalone Redis (default values)', function () {
  this.timeout(3 * 60_000);
  const table = new ScenarioTable('standalone (default values)');
  const release = installForSuite('sa', {}, table);

  it('when the helm test pod runs, then it exits 0 and the message it stored reads back through the API', async () => {
    const tests = await release().runTests();

    expect(tests.map((test) => test.name)).to.have.lengthOf(1);
    const { exitCode, logs } = tests[0]!;
    expect(exitCode, logs).to.equal(0);
    // The pod prints the digest it stored; what the GET answers must hash to it.
    const digest = /under ([0-9a-f]{64})$/.exec(logs)?.[1] ?? '';
    const target = release().apiUrls()[0]!;
    const reply = await getMessage(target, digest);
    const lost = reply.status === 200 && expectedDigest(reply.json.message) === digest ? 0 : 1;
    const readBack = { op: 'GET' as const, target, status: reply.status, at: 0, ms: reply.ms };
    table.add(rowOf('helm test pod (POST, GET inside), then read back', [readBack], 1, lost));
    expect(lost, `GET of ${digest}: ${reply.status} ${reply.text}`).to.equal(0);
  });

  it('when the Redis pod is deleted and played again on its claim, then every acknowledged message reads back', async () => {
    const { samples, acknowledged } = await runLoad(apiTarget(release()), {
      durationMs: 3_000,
      concurrency: 4,
    });
    const [redis] = release().podsOf('StatefulSet');

    await release().deletePod(redis!.name);
    await release().startPod(redis!.name);
    await release().waitReadyAgain('Deployment');

    const lost = await countLost(release().apiUrls()[0]!, acknowledged);
    table.add(rowOf('Redis pod deleted, played again on its claim', samples, acknowledged.size, lost));
    expect(acknowledged.size).to.be.above(0);
    expect(lost, 'acknowledged messages that do not read back after the restart').to.equal(0);
  });

  it('when an API pod is stopped under load (preStop, then SIGTERM), then no request fails, on either pod', async () => {
    const [leaving, staying] = release().podsOf('Deployment');
    const urlOf = (pod: typeof leaving) =>
      release()
        .apiUrls()
        .find((url) => url.includes(`//${pod!.ip}:`))!;
    const [leavingUrl, stayingUrl] = [urlOf(leaving), urlOf(staying)];
    let exitCodes: Record<string, number> = {};

    const { load, startedAt, endedAt } = await loadWhile(
      release(),
      { durationMs: 18_000, concurrency: 4 },
      2_000,
      async () => (exitCodes = await release().deletePod(leaving!.name)),
    );

    const failed = (target: string) => {
      const failures = load.samples.filter((s) => s.target === target && (s.status === 0 || s.status >= 500));
      const statuses = [...new Set(failures.map((s) => s.status))].join(', ');
      const from = Math.round(failures[0]?.at ?? 0);
      return failures.length ? `${failures.length} (status ${statuses}; the first at ${from} ms)` : 'none';
    };
    const lost = await countLost(stayingUrl, load.acknowledged);
    table.add(rowOf('API pod stopped under load', load.samples, load.acknowledged.size, lost));
    expect(endedAt, 'the pod was gone before the load ended').to.be.below(18_000);
    expect(failed(stayingUrl), 'failed requests through the pod that stayed').to.equal('none');
    expect(failed(leavingUrl), 'failed requests through the pod that left').to.equal('none');
    expect(load.samples.some((s) => s.target === leavingUrl && s.at < startedAt)).to.equal(true);
    expect(load.samples.some((s) => s.target === stayingUrl && s.at > endedAt)).to.equal(true);
    expect(exitCodes, 'the service exits by itself within the grace period').to.deep.equal({ shaservice: 0 });
    expect(lost).to.equal(0);
  });
});
