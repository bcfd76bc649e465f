import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { pollUntil } from '../../tools/stack/poll.js';
import { statusOf } from '../../tools/stack/probe.js';
import { Replica } from '../../tools/stack/replica.js';
import { useRedisServer } from '../helpers/redis-fixtures.js';
import { buildService } from './stack-fixture.js';

describe('e2e: a stack replica that dies (npm run stack restarts it, as Kubernetes restarts a pod)', () => {
  const redis = useRedisServer();
  let replica: Replica | undefined;
  let dir: string;

  before(async function () {
    this.timeout(60_000);
    buildService();
    dir = mkdtempSync(join(tmpdir(), 'shaservice-replica-'));
  });

  after(async () => {
    await replica?.stop('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('when it is killed, then it is started again and ready; once stopped, it stays stopped', async function () {
    this.timeout(40_000);
    const port = await getPort({ host: '127.0.0.1' });
    const metricsPort = await getPort({ host: '127.0.0.1', exclude: [port] });
    const env = { REDIS_URL: redis.server().url, SHUTDOWN_DELAY_MS: '0' };
    replica = new Replica({ index: 0, port, metricsPort, env, logFile: join(dir, 'replica.log') });
    await replica.start();
    const lines: string[] = [];
    replica.restartWhenItDies((line) => lines.push(line));

    replica.signal('SIGKILL');
    await pollUntil('the replica to be ready again', () => lines.some((l) => /ready again/.test(l)), 30_000);
    const readyAgain = await statusOf(`${replica.url}/readyz`);
    await replica.stop();
    await new Promise((resolve) => setTimeout(resolve, 1_500)); // longer than the first restart delay

    expect(lines[0]).to.equal('replica 0 exited (SIGKILL); restarting in 1 s');
    expect(readyAgain).to.equal(200);
    expect(replica.running).to.equal(false);
    expect(lines).to.have.length(2);
  });
});
