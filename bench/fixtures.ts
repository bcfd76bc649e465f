import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Target } from './servers.js';

/** Files of one target's own stored messages and their digests, one per line, for the wrk scripts. */
export interface TargetFixtures {
  messagesFile: string;
  digestsFile: string;
}

const CONCURRENCY = 16;
const UNKNOWN = '0'.repeat(64);

/** Plain ASCII with no quote or backslash: the Lua scripts put it into JSON as it is. */
export const storedMessage = (i: number) => `stored message ${i} for GET and repeat POST`;

/**
 * Stores `count` messages through the target's own `POST /messages` and writes the digests it answered. Each
 * server keeps its own key layout, so none reads what another stored. Then checks, once, the exact answers
 * wrk cannot tell apart (it counts only statuses of 400 or more): 200 with the message, 404 with err_msg.
 */
export async function prepareFixtures(target: Target, count: number, dir: string): Promise<TargetFixtures> {
  const messages = Array.from({ length: count }, (_, i) => storedMessage(i));
  const digests: string[] = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) digests[i] = await post(target, messages[i] as string);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await expectAnswer(target, digests[0] as string, 200, { message: messages[0] });
  await expectAnswer(target, UNKNOWN, 404, { err_msg: 'Message not found' });
  const fixtures = {
    messagesFile: `${dir}/${target.name}-messages.txt`,
    digestsFile: `${dir}/${target.name}-digests.txt`,
  };
  writeFileSync(fixtures.messagesFile, `${messages.join('\n')}\n`);
  writeFileSync(fixtures.digestsFile, `${digests.join('\n')}\n`);
  return fixtures;
}

async function post(target: Target, message: string): Promise<string> {
  const response = await fetch(`${target.url}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message }),
    signal: AbortSignal.timeout(10_000),
  });
  const { digest } = (await response.json()) as { digest: string };
  const wanted = createHash('sha256').update(message, 'utf8').digest('hex');
  const location = response.headers.get('location');
  if (response.status !== 201 || digest !== wanted || location !== `/messages/${wanted}`) {
    throw new Error(`${target.name}: POST /messages answered ${response.status} ${digest} at ${location}`);
  }
  return digest;
}

async function expectAnswer(target: Target, digest: string, status: number, body: unknown): Promise<void> {
  const response = await fetch(`${target.url}/messages/${digest}`, { signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== status || text !== JSON.stringify(body)) {
    throw new Error(`${target.name}: GET /messages/${digest} answered ${response.status} ${text}`);
  }
}
