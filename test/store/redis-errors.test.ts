import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { loadConfig } from '../../service/config.js';
import { createLogger } from '../../service/logger.js';
import { createMetrics } from '../../service/metrics.js';
import { createRedisStore } from '../../service/store/redis-store.js';
import { type TestApp, captureLines } from '../helpers/app.js';
import { postMessage } from '../../tools/client/http.js';
import { startRedisApp, uniquePrefix } from '../helpers/redis-app.js';
import { requireRedisServer } from '../helpers/require-command.js';
import { expectedDigest } from '../../tools/client/sha256.js';
import { pollUntil } from '../../tools/stack/poll.js';
import { RedisServer } from '../../tools/stack/redis-server.js';

/** Every log line as one text, and a check that none of `secrets` is in it. */
function expectNoneOf(lines: Record<string, unknown>[], secrets: string[]): string {
  const text = lines.map((line) => JSON.stringify(line)).join('\n');
  for (const secret of secrets) expect(text, `the logs hold ${secret}`).not.to.include(secret);
  return text;
}

describe('Redis errors in logs', function () {
  let server: RedisServer | undefined;
  let app: TestApp | undefined;

  before(function () {
    requireRedisServer(this);
  });

  afterEach(async () => {
    await app?.close();
    await server?.destroy();
    app = undefined;
    server = undefined;
  });

  /** Posts a message nobody else could have written, and answers it with its key. */
  async function postUnique(): Promise<{ message: string; digest: string; status: number }> {
    const message = `secret text ${randomUUID()}`;
    const reply = await postMessage(app!.url, message);
    return { message, digest: expectedDigest(message), status: reply.status };
  }

  it('when the ACL user may not HSETNX (short messages are stored with it), then the request log names the command and error but not the message or its key', async () => {
    server = await RedisServer.start();
    server.cli('ACL', 'SETUSER', 'reader', 'on', '>reader-pw', '~*', '+@all', '-hsetnx');
    const prefix = uniquePrefix();
    app = await startRedisApp(server, {
      REDIS_USERNAME: 'reader',
      REDIS_PASSWORD: 'reader-pw',
      REDIS_KEY_PREFIX: prefix,
    });

    const { message, digest, status } = await postUnique();

    expect(status).to.equal(500);
    const text = expectNoneOf(app.logs, [message, digest]);
    const failed = app.logs.find((line) => line.msg === 'request failed');
    expect(failed, text).to.deep.include({ route: 'postMessage', status: 500 });
    expect(failed?.err).to.deep.include({ command: 'hsetnx' });
    expect((failed?.err as { message: string }).message).to.match(/^NOPERM /);
  });

  it('when Redis knows no HSETNX (renamed away), then the log keeps its "unknown command" but not the arguments it echoes', async () => {
    server = await RedisServer.start(['--rename-command', 'HSETNX', '']);
    const prefix = uniquePrefix();
    app = await startRedisApp(server, { REDIS_KEY_PREFIX: prefix });

    const { message, digest, status } = await postUnique();

    expect(status).to.equal(500);
    const text = expectNoneOf(app.logs, [message, digest]);
    const failed = app.logs.find((line) => line.msg === 'request failed');
    expect((failed?.err as { message: string }).message, text).to.match(/^ERR unknown command 'hsetnx'/i);
  });

  it('when Redis refuses the password, then the connection log line names AUTH and WRONGPASS but not the password', async () => {
    server = await RedisServer.start();
    server.cli('ACL', 'SETUSER', 'service', 'on', '>the-right-password', '~*', '+@all');
    const password = `wrong-${randomUUID()}`;
    const redis = loadConfig({
      REDIS_URL: server.url,
      REDIS_USERNAME: 'service',
      REDIS_PASSWORD: password,
    }).redis!;
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('info', captureLines(lines));
    const store = createRedisStore({ ...redis, logger, metrics: createMetrics() });
    await store.connect!();
    try {
      await pollUntil('the connection failure to be logged', () => lines.length > 0, 5000);
    } finally {
      await store.close();
    }

    const text = expectNoneOf(lines, [password]);
    expect(lines[0]?.err, text).to.deep.include({ command: 'auth' });
    expect((lines[0]?.err as { message: string }).message).to.match(/^WRONGPASS /);
  });
});
