import { expect } from 'chai';
import { postJson, send } from '../tools/client/http.js';
import { memoryOf, resetPeakRss } from './helpers/proc-memory.js';
import { ServiceProcess } from '../tools/stack/service-process.js';
import { testService } from './helpers/test-service.js';

// The largest body the service takes by default (MAX_BODY_BYTES, 1 MiB): what one hostile request can cost at most.
const MAX_BODY_BYTES = 1024 * 1024;

/** `{"<field>":[<item>,<item>,...]}` as close to the body limit as the item allows. */
function filledBatch(field: string, item: string): string {
  const head = `{"${field}":[`;
  const count = Math.floor((MAX_BODY_BYTES - head.length - 2) / (item.length + 1));
  return `${head}${new Array<string>(count).fill(item).join(',')}]}`;
}

describe('hostile bodies (the service process, with the production heap cap)', () => {
  let service: ServiceProcess;

  before(async function () {
    this.timeout(40_000); // start-up compiles the TypeScript (see main.test.ts)
    // serviceEnvironment gives the process the image's NODE_OPTIONS: the heap cap a pod runs with.
    service = await ServiceProcess.start(testService());
  });

  after(() => service.stop('SIGKILL'));

  for (const [path, field] of [
    ['/messages/batch', 'messages'],
    ['/digests/lookup', 'digests'],
  ] as const) {
    for (const [what, item] of [
      ['non-string items', '1'],
      ['strings, past the batch size', '"x"'],
      ['nested arrays', '[[[[[[[[]]]]]]]]'],
    ] as const) {
      it(`when ${path} gets a 1 MiB body of ${what}, then a short 400 answers and the process serves on`, async () => {
        const body = filledBatch(field, item);

        const reply = await postJson(service.url, path, body, {}, { timeoutMs: 20_000 });
        const health = await send(service.url, 'GET', '/healthz');

        expect(body.length).to.be.within(MAX_BODY_BYTES - 32, MAX_BODY_BYTES);
        expect(reply.status).to.equal(400);
        expect(reply.text.length).to.be.below(300);
        expect(reply.json.err_msg).to.match(
          new RegExp(`"${field}" holds at most 1000 items; this one has \\d{5,}`),
        );
        expect(health.status).to.equal(200);
      });
    }
  }

  it('when a batch within the size has a bad item at the end, then the 400 names that first bad index', async () => {
    const items = [...new Array<string>(999).fill('"fine"'), '1'];

    const reply = await postJson(service.url, '/messages/batch', `{"messages":[${items.join(',')}]}`);

    expect(reply.status).to.equal(400);
    expect(reply.json).to.deep.equal({
      err_msg: 'Invalid request: field "messages[999]" must be string',
      index: 999,
    });
  });

  it('when a field name is 1 MiB long, then the 400 quotes only its start', async () => {
    const name = 'k'.repeat(MAX_BODY_BYTES - 32);

    const reply = await postJson(
      service.url,
      '/messages',
      `{"message":"x","${name}":1}`,
      {},
      { timeoutMs: 20_000 },
    );

    expect(reply.status).to.equal(400);
    expect(reply.text.length).to.be.below(300);
    expect(reply.json.err_msg).to.include(`"${'k'.repeat(64)}…"`);
  });

  it('when a small body has many problems, then the 400 names the first five', async () => {
    const fields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`extra${i}`, i]));

    const reply = await postJson(service.url, '/messages', { message: 'ok', ...fields });

    expect(reply.status).to.equal(400);
    expect(reply.json.err_msg.match(/unknown field/g)).to.have.length(5);
  });

  for (const [what, body] of [
    ['all `[`', '['.repeat(MAX_BODY_BYTES - 1)],
    ['a message nested in `[` to the limit', `{"message":${'['.repeat(MAX_BODY_BYTES - 16)}`],
  ] as const) {
    it(`when a 1 MiB body is ${what}, then a 400 says how deep it may nest and the peak RSS hardly moves`, async () => {
      const before = memoryOf(service.pid).rssMiB;
      resetPeakRss(service.pid);

      const reply = await postJson(service.url, '/messages', body, {}, { timeoutMs: 20_000 });
      const { peakRssMiB } = memoryOf(service.pid);

      expect(reply.status).to.equal(400);
      // The body itself is 1 MiB, read into one Buffer; parsing it used to add 33-42 MiB.
      expect(
        peakRssMiB - before,
        `peak ${peakRssMiB.toFixed(1)} MiB, before ${before.toFixed(1)} MiB`,
      ).to.be.below(8);
      expect(reply.json.err_msg).to.equal('Request body nests deeper than 32 levels');
    });
  }

  it('when a body nests 500,000 arrays deep, then a short 400 answers and the process serves on', async () => {
    const depth = 500_000;
    const body = `{"message":${'['.repeat(depth)}${']'.repeat(depth)}}`;

    const reply = await postJson(service.url, '/messages', body, {}, { timeoutMs: 20_000 });
    const health = await send(service.url, 'GET', '/healthz');

    expect(reply.status).to.equal(400);
    expect(reply.text.length).to.be.below(300);
    expect(health.status).to.equal(200);
  });
});
