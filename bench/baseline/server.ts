import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Redis } from 'ioredis';

/**
 * The physical floor of a Node service: the fastest thing a Node developer would plausibly write for the two
 * routes, node:http, one ioredis client, JSON.parse, SET NX. No framework, validation, metrics or logs. Keys
 * are `<KEY_PREFIX><digest>` (default `shaservice:`), the message as a string: the simple layout, whatever
 * shaservice's own becomes. Configured by PORT, REDIS_URL and KEY_PREFIX; prints "listening <port>" once it
 * accepts connections.
 */
const PREFIX = process.env.KEY_PREFIX ?? 'shaservice:';
const NOT_FOUND = JSON.stringify({ err_msg: 'Message not found' });
const GET_PATH = /^\/messages\/([0-9a-f]{64})$/;

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { keyPrefix: PREFIX });

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  if (req.method === 'POST' && url === '/messages') {
    const { message } = JSON.parse(await readBody(req)) as { message: string };
    const digest = createHash('sha256').update(message, 'utf8').digest('hex');
    await redis.set(digest, message, 'NX');
    return reply(res, 201, JSON.stringify({ digest }), { Location: `/messages/${digest}` });
  }
  const get = req.method === 'GET' ? GET_PATH.exec(url) : null;
  if (get) {
    const message = await redis.get(get[1] as string);
    if (message === null) return reply(res, 404, NOT_FOUND);
    return reply(res, 200, JSON.stringify({ message }));
  }
  reply(res, 404, JSON.stringify({ err_msg: 'No such endpoint' }));
}

const server = createServer((req, res) => {
  // Even a bare server must not crash on a bad body; the bench never sends one.
  handle(req, res).catch(() => reply(res, 500, JSON.stringify({ err_msg: 'Internal error' })));
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  redis.disconnect();
  process.exit(0);
});
