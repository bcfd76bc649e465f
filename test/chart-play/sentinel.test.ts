import { expect } from 'chai';
import { type Sample, countLost, runLoad } from '../../tools/client/load.js';
import { agreedPrimary, sentinelConfig, settled } from '../../tools/chart-play/sentinel.js';
import { type Row, ScenarioTable, rowOf } from '../../tools/chart-play/table.js';
import { apiTarget, loadWhile } from '../../tools/chart-play/traffic.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { installForSuite } from './fixture.js';

// The same load for the kill and the drain, so that their 503s and longest requests compare.
const LOAD = { durationMs: 15_000, concurrency: 4 };
const DISRUPT_AFTER_MS = 2_000;
// down-after-milliseconds (3 s in ci/sentinel-values.yaml), the election and the promotion, on a loaded machine.
const FAILOVER_TIMEOUT_MS = 60_000;
// Sentinels ask the primary for its replicas every 10 s: a few rounds of that.
const SETTLE_TIMEOUT_MS = 45_000;

describe('chart played as pods: Redis with Sentinel (ci/sentinel-values.yaml)', function () {
  this.timeout(5 * 60_000);
  const table = new ScenarioTable('sentinel (ci/sentinel-values.yaml)');
  const release = installForSuite('sn', { values: ['ci/sentinel-values.yaml'] }, table);
  const sentinel = () => sentinelConfig(release().rendered);
  let killed: { row: Row; writeGapMs: number } | undefined;

  /** The primary, once the group has settled (see `settled`): what a failover is measured from. */
  const settledPrimary = async () => {
    await pollUntil(
      'the sentinels to know every replica',
      () => settled(release(), sentinel()),
      SETTLE_TIMEOUT_MS,
      500,
    );
    return (await agreedPrimary(release(), sentinel()))!;
  };

  /**
   * Only 200, 201 and 503 while the primary changes, then 201s again, and nothing acknowledged lost. Answers the
   * longest time between two 201s: how long writes were unavailable.
   */
  const expectFailoverSeenAsUnavailable = (samples: Sample[], since: number, lost: number): number => {
    const failures = samples.filter((sample) => sample.status !== 200 && sample.status !== 201);
    const failuresEnd = Math.max(since, ...failures.map((sample) => sample.at + sample.ms));
    const created = samples.filter((sample) => sample.status === 201);
    const ends = created.map((sample) => sample.at + sample.ms).sort((a, b) => a - b);
    const writeGapMs = Math.round(Math.max(0, ...ends.slice(1).map((end, i) => end - ends[i]!)));
    const createdAfter = created.filter((sample) => sample.at >= failuresEnd).length;
    console.log(
      `      failures from ${Math.round(since)} to ${Math.round(failuresEnd)} ms into the load, then ` +
        `${createdAfter} 201s; longest time without a 201: ${writeGapMs} ms`,
    );
    expect(
      failures.filter((sample) => sample.status !== 503),
      'failures other than 503',
    ).to.deep.equal([]);
    expect(createdAfter, '201s once the failures ended').to.be.above(0);
    expect(lost, 'acknowledged messages that do not read back').to.equal(0);
    return writeGapMs;
  };

  it('when redis-0, the primary, stops, the others take writes, and all three pods then restart, then every acknowledged message reads back', async () => {
    const [first] = release().podsOf('StatefulSet');
    expect(await settledPrimary(), 'the primary of a new group').to.equal(first!.name);

    // redis-0's node goes away: its pod stays down while the others fail over and take writes.
    await release().deletePod(first!.name);
    await pollUntil(
      'a failover to another pod',
      async () => ![undefined, first!.name].includes(await agreedPrimary(release(), sentinel())),
      FAILOVER_TIMEOUT_MS,
      500,
    );
    await release().waitReadyAgain('Deployment');
    const { samples, acknowledged } = await runLoad(apiTarget(release()), {
      durationMs: 3_000,
      concurrency: 2,
    });
    expect(acknowledged.size, 'messages acknowledged while redis-0 was down').to.be.above(0);
    // Then the whole group restarts, as a cluster restart or a scale to zero and back does.
    await release().stopStatefulSet();
    await release().startStatefulSet();
    await release().waitReadyAgain('Deployment');

    const lost = await countLost(release().apiUrls()[0]!, acknowledged);
    table.add(rowOf(`full restart (${release().podManagementPolicy})`, samples, acknowledged.size, lost));
    const after = await agreedPrimary(release(), sentinel());
    expect(
      lost,
      `acknowledged messages that do not read back after the full restart (primary now: ${after})`,
    ).to.equal(0);
  });

  it('when every pod is killed and the primary comes back on an empty volume, then it does not start as primary and every acknowledged message reads back', async () => {
    const victim = await settledPrimary();
    const { samples, acknowledged } = await runLoad(apiTarget(release()), {
      durationMs: 3_000,
      concurrency: 2,
    });
    expect(acknowledged.size, 'messages acknowledged before the crash').to.be.above(0);

    // Every node fails at once, and the primary's disk with its node: its claim comes back empty.
    await Promise.all(
      release()
        .podsOf('StatefulSet')
        .map((pod) => release().killPod(pod.name)),
    );
    await release().loseClaims(victim);
    await release().startStatefulSet();
    await release().waitReadyAgain('Deployment');

    const lost = await countLost(release().apiUrls()[0]!, acknowledged);
    table.add(rowOf('all killed, primary back on an empty volume', samples, acknowledged.size, lost));
    const after = await agreedPrimary(release(), sentinel());
    expect(lost, `acknowledged messages that do not read back (primary now: ${after})`).to.equal(0);
    expect(after, 'the primary after the restart').to.not.equal(victim);
  });

  it('when the primary is killed under load, then requests get 503 only while it fails over, then 201s, and no acknowledged message is lost', async () => {
    const victim = await settledPrimary();

    const { load, startedAt } = await loadWhile(release(), LOAD, DISRUPT_AFTER_MS, () =>
      release().killPod(victim),
    );
    // The StatefulSet controller makes the pod again; it rejoins as a replica.
    await release().startPod(victim);

    const lost = await countLost(release().apiUrls()[0]!, load.acknowledged);
    const row = table.add(rowOf('primary killed under load', load.samples, load.acknowledged.size, lost));
    killed = { row, writeGapMs: expectFailoverSeenAsUnavailable(load.samples, startedAt, lost) };
  });

  // A kill fails fast here (refused connections: 503 within ~50 ms), where a planned failover holds requests
  // up to the store's deadline, so the longest request is not the measure; how long writes stop and how many
  // requests fail are, and the longest request must stay within that deadline.
  it('when the primary is drained under load (its preStop, then SIGTERM), then fewer requests get 503 than with a kill, writes stop for less long, and none is lost', async () => {
    const victim = await settledPrimary();
    const preStop = release()
      .pod(victim)
      .containers.find((container) => container.name === 'redis')?.lifecycle?.preStop;
    if (!preStop) {
      table.add(rowOf('primary drained: no preStop', [], 0, 0));
      expect.fail(
        'the redis container renders no preStop: a drain waits for down-after-milliseconds, as a kill does',
      );
    }
    expect(killed, 'the kill, measured before').to.not.equal(undefined);
    const config = release().rendered.one('ConfigMap', release().podsOf('Deployment')[0]!.owner.name).data;
    const deadlineMs = Number(config.REDIS_CONNECT_TIMEOUT_MS) + Number(config.REDIS_COMMAND_TIMEOUT_MS);

    const { load, startedAt } = await loadWhile(release(), LOAD, DISRUPT_AFTER_MS, () =>
      release().deletePod(victim),
    );
    await release().startPod(victim);

    const lost = await countLost(release().apiUrls()[0]!, load.acknowledged);
    const drained = table.add(
      rowOf('primary drained under load', load.samples, load.acknowledged.size, lost),
    );
    const writeGapMs = expectFailoverSeenAsUnavailable(load.samples, startedAt, lost);
    expect(drained.unavailable, '503s, drain vs kill').to.be.below(killed!.row.unavailable);
    expect(writeGapMs, 'longest time without a 201, drain vs kill').to.be.below(killed!.writeGapMs);
    expect(drained.longestMs, "longest request, against the store's connect + command timeouts").to.be.below(
      deadlineMs + 500,
    );
  });
});
