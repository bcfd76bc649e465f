import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../chart/render.js';

const execFileAsync = promisify(execFile);

/**
 * podman as this machine needs it (shared ENVIRONMENT.md): runc, no default ulimits (both in the project's
 * containers.conf), and the host network for builds and runs.
 */
export const PODMAN_ENV = { ...process.env, CONTAINERS_CONF: join(ROOT, 'tools/podman/containers.conf') };

/** The stand-in for the Dockerfile's default node:24-bookworm-slim, made here with the pinned Node 24. */
export const NODE_BASE_IMAGE = 'localhost/node-base:24';

export async function podman(...args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('podman', args, { env: PODMAN_ENV, maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}

/** Makes NODE_BASE_IMAGE unless it exists already with the pinned Node (about a minute the first time). */
export function ensureNodeBaseImage(): void {
  execFileSync('bash', [join(ROOT, 'tools/podman/node-base-image.sh')], {
    env: { ...PODMAN_ENV, NODE_BASE_IMAGE },
    stdio: 'inherit',
  });
}

/** Builds the real Dockerfile on the local base image; the layer cache makes a rebuild quick. */
export async function buildImage(tag: string): Promise<void> {
  await podman('build', '--network', 'host', '--build-arg', `NODE_IMAGE=${NODE_BASE_IMAGE}`, '-t', tag, ROOT);
}
