import { createHash } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import bodyParser from 'koa-bodyparser';
import { Redis } from 'ioredis';

/**
 * The floor of what a Koa developer writes by hand with the libraries this project was asked to use: koa,
 * @koa/router, koa-bodyparser and ioredis, the same two routes, bodies and statuses as shaservice, and nothing
 * else (no validation beyond what bodyparser does, no metrics, no logs). Keys are `<KEY_PREFIX><digest>`
 * (default `shaservice:`), the message as a string. Configured by PORT, REDIS_URL and KEY_PREFIX; prints
 * "listening <port>" once it accepts connections.
 */
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  keyPrefix: process.env.KEY_PREFIX ?? 'shaservice:',
});

const router = new Router();
router.post('/messages', async (ctx) => {
  const { message } = ctx.request.body as { message: string };
  const digest = createHash('sha256').update(message, 'utf8').digest('hex');
  await redis.set(digest, message, 'NX');
  ctx.status = 201;
  ctx.set('Location', `/messages/${digest}`);
  ctx.body = { digest };
});
router.get('/messages/:digest', async (ctx) => {
  const message = await redis.get(ctx.params.digest as string);
  if (message === null) {
    ctx.status = 404;
    ctx.body = { err_msg: 'Message not found' };
    return;
  }
  ctx.body = { message };
});

const app = new Koa();
app.use(bodyParser());
app.use(router.routes());

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
});
server.keepAliveTimeout = 65_000;
process.on('SIGTERM', () => {
  server.close();
  redis.disconnect();
  process.exit(0);
});
