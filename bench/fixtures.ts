import { bigMessage, type Fixtures, randomDigest } from './scenarios.js';

const BATCH = 100;

/**
 * Stores `count` messages through shaservice's batch endpoint (both servers then read them: same Redis, same
 * keys) and makes the digests no message has and the pool of 64 KiB messages.
 */
export async function prepareFixtures(
  serviceUrl: string,
  count: number,
  bigCount: number,
): Promise<Fixtures> {
  const storedMessages = Array.from(
    { length: count },
    (_, i) => `stored message ${i} for GET and repeat POST`,
  );
  const storedDigests: string[] = [];
  for (let start = 0; start < count; start += BATCH) {
    storedDigests.push(...(await postBatch(serviceUrl, storedMessages.slice(start, start + BATCH))));
  }
  return {
    storedMessages,
    storedDigests,
    unknownDigests: Array.from({ length: count }, randomDigest),
    bigMessages: Array.from({ length: bigCount }, (_, i) => bigMessage(i)),
  };
}

export async function postBatch(url: string, messages: string[]): Promise<string[]> {
  const response = await fetch(`${url}/messages/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages }),
    signal: AbortSignal.timeout(10_000),
  });
  if (response.status !== 201) throw new Error(`POST /messages/batch answered ${response.status}`);
  return ((await response.json()) as { digests: string[] }).digests;
}
