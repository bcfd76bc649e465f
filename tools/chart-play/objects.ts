import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PODMAN_ENV, podman } from '../podman/podman.js';

/**
 * Every podman object this run made, by kind and exact name, so that the run removes all of it and nothing
 * else: other runs and other people share the podman store. Each name starts with RUN_PREFIX (the releases are
 * named with it, and the chart names everything after its release; a claim's volume is `<template>-<pod>`). What a scenario made is removed when it
 * ends; what is left when the process ends (a failed hook, Ctrl-C, SIGTERM from mocha's parent) is removed
 * then, synchronously.
 */
export const RUN_PREFIX = `cp${randomBytes(3).toString('hex')}`;

type Kind = 'pod' | 'volume' | 'secret' | 'network' | 'image';

// Pods first: volumes, secrets, networks and images cannot go while a container uses them.
const REMOVAL_ORDER: Kind[] = ['pod', 'volume', 'secret', 'network', 'image'];

function removeCommand(kind: Kind, name: string): string[] {
  switch (kind) {
    case 'pod':
      return ['pod', 'rm', '--force', '--time', '0', '--ignore', name];
    case 'volume':
      return ['volume', 'rm', '--force', name];
    case 'secret':
      return ['secret', 'rm', name];
    case 'network':
      return ['network', 'rm', name];
    case 'image':
      // Untags only our tag; --no-prune keeps the build's cached layers for the next run.
      return ['rmi', '--no-prune', '--ignore', name];
  }
}

const made: Record<Kind, Set<string>> = {
  pod: new Set(),
  volume: new Set(),
  secret: new Set(),
  network: new Set(),
  image: new Set(),
};
let exitHooked = false;

/** Notes an object this run has made (or is about to make), so that it is removed whatever happens. */
export function madeObject(kind: Kind, name: string): void {
  if (!name.includes(RUN_PREFIX))
    throw new Error(`${kind} ${name} does not carry this run's prefix ${RUN_PREFIX}`);
  made[kind].add(name);
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', removeAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      removeAllNow();
      process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
    });
}

/** Removes objects of this run now; one that is already gone is not an error. */
export async function removeObjects(kind: Kind, names: string[]): Promise<void> {
  for (const name of names) {
    if (!made[kind].has(name)) continue;
    await podman(...removeCommand(kind, name)).catch((error: Error) => {
      if (!/no such|not found|no secret/i.test(error.message)) throw error;
    });
    made[kind].delete(name);
  }
}

/** The last resort, when the process is going: no promise would be awaited any more. */
function removeAllNow(): void {
  for (const kind of REMOVAL_ORDER) {
    for (const name of made[kind]) {
      try {
        execFileSync('podman', removeCommand(kind, name), { env: PODMAN_ENV, stdio: 'ignore' });
      } catch {
        // Already gone, or in use by something this run did not make: either way not ours to force.
      }
    }
    made[kind].clear();
  }
}
