import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from '../service/logger.js';

/** A logger writing into an array of parsed lines, as pino would write them to stdout. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', destination), lines };
}

describe('createLogger', () => {
  it('when a line is logged, then it carries the time of its writing in ISO 8601', () => {
    const { logger, lines } = capture();
    const before = Date.now();
    logger.info('hello');
    const after = Date.now();

    const time = Date.parse(String(lines[0]?.time));
    expect(String(lines[0]?.time)).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(time).to.be.within(before, after);
  });

  it('when the clock moves on between lines, then each line carries its own time, not a reused one', () => {
    const { logger, lines } = capture();
    const realNow = Date.now;
    try {
      Date.now = () => Date.UTC(2026, 10, 28, 12, 0, 0, 1);
      logger.info('first');
      logger.info('same millisecond');
      Date.now = () => Date.UTC(2026, 10, 28, 12, 0, 0, 2);
      logger.info('next millisecond');
    } finally {
      Date.now = realNow;
    }

    expect(lines.map((line) => line.time)).to.deep.equal([
      '2026-11-28T12:00:00.001Z',
      '2026-11-28T12:00:00.001Z',
      '2026-11-28T12:00:00.002Z',
    ]);
  });
});
