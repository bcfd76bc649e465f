import { setTimeout as sleep } from 'node:timers/promises';

/** Checks `condition` every `intervalMs` until it is true; throws, naming `what`, after `timeoutMs`. */
export async function pollUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  intervalMs = 20,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
