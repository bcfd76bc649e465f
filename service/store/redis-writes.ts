import type { ChainableCommander } from 'ioredis';

// Commands leave in pipelines (auto-pipelining, batches), which ioredis joins by appending strings; for a
// long message that means copying ever longer strings, so those go as bytes, which it joins in one copy.
const LONG_MESSAGE_CHARS = 1024;

// SET NX for each key with the message at the same position: nothing stored is ever replaced. One command
// for a whole batch; Redis runs it without interleaving other clients' commands.
const SET_EACH_NX = `for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i], 'NX') end
return #KEYS`;

/** Adds to the pipeline one command that stores each message at its digest, unless one is stored there. */
export function setEachNx(pipeline: ChainableCommander, entries: [string, string][]): void {
  pipeline.eval(
    SET_EACH_NX,
    entries.length,
    ...entries.map(([digest]) => digest),
    ...entries.map(([, message]) => wire(message)),
  );
}

/** The message as it is best sent to Redis. */
export function wire(message: string): string | Buffer {
  return message.length > LONG_MESSAGE_CHARS ? Buffer.from(message, 'utf8') : message;
}
