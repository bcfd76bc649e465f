import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LimitedListener, limitPipelining } from '../../service/http/pipelining.js';
import { parseResponses, type RawResponse } from '../helpers/raw-http.js';
import { pollUntil } from '../../tools/stack/poll.js';

const LIMIT = 4;

describe('limitPipelining', () => {
  let server: Server;
  let limited: LimitedListener;
  let socket: Socket | undefined;
  let running = 0;
  let mostRunning = 0;
  let started = 0;
  /** While set, requests get no answer until their connection closes. */
  let hang = false;

  /** Echoes the path and body after a few ms, so that requests overlap when they can. */
  async function echo(request: IncomingMessage, response: ServerResponse): Promise<void> {
    running += 1;
    started += 1;
    mostRunning = Math.max(mostRunning, running);
    // A request that hangs is answered once the test stops hanging (within 50 ms), as the app answers late.
    while (hang) await sleep(10);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    await sleep(2);
    running -= 1;
    // Large enough to fill what the kernel buffers for a client that does not read: it stays unfinished.
    if (request.url === '/large') return void response.end(Buffer.alloc(32 * 1024 * 1024));
    response.end(`${request.url} ${Buffer.concat(chunks).toString('utf8')}`);
  }

  beforeEach(async () => {
    running = 0;
    mostRunning = 0;
    started = 0;
    hang = false;
    limited = limitPipelining((request, response) => void echo(request, response), LIMIT);
    server = createServer(limited);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterEach(async () => {
    socket?.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Writes each piece in turn on one connection (waiting `gapMs` between), and collects `count` answers. */
  async function pipeline(pieces: string[], count: number, gapMs = 0): Promise<RawResponse[]> {
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket = client;
    const chunks: Buffer[] = [];
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    for (const piece of pieces) {
      client.write(piece);
      await sleep(gapMs);
    }
    let answers: RawResponse[] = [];
    await pollUntil(
      `${count} answers`,
      () => (answers = parseResponses(Buffer.concat(chunks)).responses).length >= count,
    );
    return answers;
  }

  it('when 60 requests arrive in one write, then at most the limit run at once and all are answered in order', async () => {
    const requests = Array.from({ length: 60 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`);

    const answers = await pipeline([requests.join('')], 60);

    expect(answers.map((answer) => answer.body.toString('utf8'))).to.deep.equal(
      Array.from({ length: 60 }, (_, i) => `/${i} `),
    );
    expect(mostRunning).to.equal(LIMIT);
  });

  it('when a waiting request has a body that arrives later, then it is read and answered once its turn comes', async () => {
    const post = (i: number, body: string) =>
      `POST /${i} HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const whole = Array.from({ length: 10 }, (_, i) => post(i, `body ${i}`)).join('');
    const last = post(10, 'the last body');
    const cut = last.length - 5;

    const answers = await pipeline([whole + last.slice(0, cut), last.slice(cut)], 11, 50);

    expect(answers.map((answer) => answer.body.toString('utf8'))).to.deep.equal([
      ...Array.from({ length: 10 }, (_, i) => `/${i} body ${i}`),
      '/10 the last body',
    ]);
  });

  it('when the client goes away with requests waiting, then the connection is torn down without starting them all', async () => {
    hang = true;
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket = client;
    client.write(Array.from({ length: 40 }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    await pollUntil('the first requests to start', () => started === LIMIT);
    await sleep(50);
    const startedBeforeClose = started;
    client.destroy();
    hang = false;
    await pollUntil('the server to drop the connection', async () => (await connectionCount()) === 0);

    expect(startedBeforeClose).to.equal(LIMIT);
    expect(started).to.be.at.most(2 * LIMIT);
  });

  it('when answers wait behind one the client does not read, then later requests are not read, whatever Node resumes on its own', async () => {
    let parsed = 0;
    server.on('request', () => (parsed += 1));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket = client;
    client.pause();
    const gets = (from: number) =>
      Array.from({ length: 20 }, (_, i) => `GET /${from + i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
    client.write(`GET /large HTTP/1.1\r\nHost: x\r\n\r\n${gets(1)}`);
    await sleep(200);
    // Small answers queued behind the large one drain Node's own buffer count, and it resumes reading.
    client.write(gets(21));
    await sleep(200);

    expect(started).to.equal(LIMIT);
    expect(parsed).to.equal(21);
  });

  /** Three times the limit of GETs in one write, answers held: the limit runs, the rest wait. */
  const pipelineHeldRequests = async () => {
    hang = true;
    const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket = client;
    client.write(
      Array.from({ length: 3 * LIMIT }, (_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''),
    );
    await pollUntil('the first requests to start', () => started === LIMIT);
    return { client, accepted: await connected };
  };

  it('when requests wait past the limit, then afterAnswers calls back once, after the last of them is answered', async () => {
    const { accepted } = await pipelineHeldRequests();
    const calls: { started: number; running: number }[] = [];

    limited.afterAnswers(accepted, () => calls.push({ started, running }));
    hang = false;
    await pollUntil('the call back', () => calls.length > 0);
    await sleep(50);

    expect(calls).to.deep.equal([{ started: 3 * LIMIT, running: 0 }]);
  });

  it('when the client goes away while afterAnswers waits, then it never calls back and the connection is torn down', async () => {
    const { client, accepted } = await pipelineHeldRequests();
    let calls = 0;

    limited.afterAnswers(accepted, () => (calls += 1));
    client.destroy();
    hang = false;
    await pollUntil('the server to drop the connection', async () => (await connectionCount()) === 0);
    await sleep(50);

    expect(calls).to.equal(0);
  });

  function connectionCount(): Promise<number> {
    return new Promise((resolve, reject) =>
      server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
    );
  }
});
