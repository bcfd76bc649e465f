import { expect } from 'chai';
import getPort from 'get-port';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, renderChart } from '../../tools/chart/render.js';
import { getMessage, postMessage, send } from '../../tools/client/http.js';
import { buildImage, ensureNodeBaseImage, podman } from '../../tools/podman/podman.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { RedisServer } from '../../tools/stack/redis-server.js';
import { requireRedisServer, requireRenderer } from '../helpers/require-command.js';
import { storedBytes } from '../helpers/stored-message.js';
import { requireCommand } from '../helpers/require-command.js';
import { expectedDigest } from '../../tools/client/sha256.js';

const IMAGE = 'localhost/shaservice:test';

describe('the container image (podman, from the real Dockerfile)', function () {
  // The first run makes the base image (debootstrap) and runs npm ci twice inside the build.
  this.timeout(15 * 60_000);

  let redis: RedisServer;
  let container = '';
  let url = '';

  before(async function () {
    requireCommand(this, 'podman');
    requireCommand(this, 'debootstrap', ['--version']);
    requireRedisServer(this);
    requireRenderer(this); // the helm test pod's command comes from the rendered chart
    ensureNodeBaseImage();
    await buildImage(IMAGE);
    const size = Number(await podman('image', 'inspect', '--format', '{{.Size}}', IMAGE));
    console.log(`      image ${IMAGE}: ${(size / 1e6).toFixed(0)} MB`);

    redis = await RedisServer.start(['--requirepass', 'image-test']);
    const port = await getPort({ host: '127.0.0.1' });
    const metricsPort = await getPort({ host: '127.0.0.1', exclude: [port] });
    url = `http://127.0.0.1:${port}`;
    container = await podman(
      ...['run', '--detach', '--network', 'host'],
      ...['--env', `PORT=${port}`, '--env', `METRICS_PORT=${metricsPort}`, '--env', `REDIS_URL=${redis.url}`],
      ...[
        '--env',
        'REDIS_PASSWORD=image-test',
        '--env',
        'SHUTDOWN_DELAY_MS=500',
        '--env',
        'SHUTDOWN_TIMEOUT_MS=3000',
      ],
      IMAGE,
    );
    const ready = async () => (await send(url, 'GET', '/readyz').catch(() => undefined))?.status === 200;
    await pollUntil('the container to be ready', ready, 30_000, 200);
  });

  after(async () => {
    if (container) await podman('rm', '--force', container);
    await redis?.destroy();
  });

  it('when a message is POSTed to the container, then GET answers it and Redis holds it', async () => {
    const message = 'from inside a container \u2713';

    const posted = await postMessage(url, message);
    const got = await getMessage(url, expectedDigest(message));

    expect(posted.status).to.equal(201);
    expect(got.json).to.deep.equal({ message });
    // Where the README's key layout says it is, read by a client of the test's own.
    const stored = await storedBytes(
      `redis://:image-test@127.0.0.1:${redis.port}`,
      'shaservice:',
      expectedDigest(message),
    );
    expect(stored?.toString('utf8')).to.equal(message);
  });

  it('when the container runs, then its process is node as uid 1000 and PID 1', async () => {
    // PID 1's command line, not /proc/1/comm: Node 24 (unlike 20) names its main thread "MainThread".
    const user = await podman('exec', container, 'sh', '-c', 'id -u; id -g; xargs -0 </proc/1/cmdline');

    expect(user.split('\n')).to.deep.equal(['1000', '1000', 'node dist/main.js']);
    expect(await podman('image', 'inspect', '--format', '{{.Config.User}}', IMAGE)).to.equal('1000:1000');
  });

  it('when the container runs, then its node is Node 24, the LTS the Dockerfile builds on by default', async () => {
    const version = await podman('exec', container, 'node', '--version');
    const dockerfileBase = /^ARG NODE_IMAGE=(\S+)$/m.exec(
      readFileSync(join(ROOT, 'Dockerfile'), 'utf8'),
    )?.[1];

    expect(version).to.match(/^v24\.\d+\.\d+$/);
    expect(dockerfileBase).to.equal('node:24-bookworm-slim');
  });

  it('when the helm test pod command runs in the image against the service, then it passes', async () => {
    const pod = renderChart().manifests.find((m) => m.kind === 'Pod')!;
    const command: string[] = pod.spec.containers[0].command;

    const output = await podman(
      'run',
      '--rm',
      '--network',
      'host',
      '--env',
      `SHASERVICE_URL=${url}`,
      IMAGE,
      ...command,
    );

    expect(output).to.match(/^ok: POST then GET through http:\/\/127\.0\.0\.1:\d+ returned the message/);
  });

  it('when podman stop sends SIGTERM, then the service shuts down and exits 0 inside the grace period', async () => {
    const graceSeconds = 15;
    const started = performance.now();

    await podman('stop', '--time', String(graceSeconds), container);

    const seconds = (performance.now() - started) / 1000;
    expect(await podman('inspect', '--format', '{{.State.ExitCode}}', container)).to.equal('0');
    expect(seconds).to.be.lessThan(graceSeconds);
  });
});
