import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PODMAN_ENV } from '../podman/podman.js';
import type { Container, Handler, PodPlan } from './translate.js';

const execFileAsync = promisify(execFile);

// `podman exec` itself takes a few hundred ms to set up on this machine, more under load; the rendered timeouts
// are for the command, so it gets this much more.
const EXEC_SETUP_MS = 2_000;

/** The name podman gives a played container: the pod's name, a dash, the container's. */
export function containerName(pod: PodPlan, container: Container): string {
  return `${pod.name}-${container.name}`;
}

/**
 * Runs a rendered probe or hook handler once, as the kubelet does: an exec command inside the container with its
 * arguments as rendered (no shell in between), an httpGet from outside the pod to its IP. True when it succeeds
 * within `timeoutMs`.
 */
export async function runHandler(
  pod: PodPlan,
  container: Container,
  handler: Handler,
  timeoutMs: number,
): Promise<boolean> {
  if (handler.exec) {
    const args = ['exec', containerName(pod, container), ...handler.exec.command];
    return execFileAsync('podman', args, { env: PODMAN_ENV, timeout: timeoutMs + EXEC_SETUP_MS }).then(
      () => true,
      () => false,
    );
  }
  if (handler.httpGet) {
    const url = `http://${pod.ip}:${portOf(container, handler.httpGet.port)}${handler.httpGet.path ?? '/'}`;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
      await response.arrayBuffer();
      return response.status >= 200 && response.status < 400;
    } catch {
      return false;
    }
  }
  throw new Error(
    `${pod.name}/${container.name}: a handler the harness cannot run: ${JSON.stringify(handler)}`,
  );
}

/** A probe's timeoutSeconds, as the kubelet defaults it. */
export function probeTimeoutMs(probe: { timeoutSeconds?: number }): number {
  return (probe.timeoutSeconds ?? 1) * 1000;
}

/** A named port resolves against the container's rendered ports, as Kubernetes does. */
export function portOf(container: Container, port: number | string): number {
  if (typeof port === 'number') return port;
  const found = container.ports?.find((candidate) => candidate.name === port);
  if (!found) throw new Error(`container ${container.name} has no port named ${port}`);
  return found.containerPort;
}
