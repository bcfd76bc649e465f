import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { Lifecycle } from './lifecycle.js';
import type { MessageStore } from './store/message-store.js';

export interface ShutdownParts {
  lifecycle: Lifecycle;
  api: Server;
  metrics: Server;
  store: MessageStore;
  logger: Logger;
  delayMs: number;
  timeoutMs: number;
}

/**
 * Stops the process without dropping a request, in this order: unready (load balancers stop sending),
 * a drain delay while they notice, stop accepting, let in-flight requests finish, cut what is left at the
 * deadline, close the store, flush logs. Resolves true when nothing had to be cut.
 */
export async function shutDown(parts: ShutdownParts): Promise<boolean> {
  const { lifecycle, api, metrics, store, logger, delayMs, timeoutMs } = parts;
  lifecycle.shuttingDown = true;
  logger.info({ delayMs, timeoutMs }, 'shutting down: unready, draining');
  await sleep(delayMs);

  const clean = await closeServer(api, timeoutMs);
  if (!clean) logger.warn({ timeoutMs }, 'requests still running at the shutdown deadline were cut off');
  await closeServer(metrics, 0);
  await store.close();
  logger.info('shut down');
  logger.flush();
  return clean;
}

/**
 * Stops accepting, closes idle keep-alive sockets as they become idle, and cuts the rest at the deadline.
 * "Idle" is Node's: a connection counts as busy from its accept until its first request is answered, so one
 * accepted just before the close, its request not read yet, is answered (with Connection: close), not cut.
 * What this cannot prevent: closing the listening socket resets the connections the kernel completed into
 * its queue after the last accept, and a keep-alive connection idle since before SIGTERM may be closed as
 * its client sends on it. Neither request was read; the drain delay is what keeps clients away by then.
 */
async function closeServer(server: Server, timeoutMs: number): Promise<boolean> {
  if (!server.listening) return true;
  let cut = false;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const reaper = setInterval(() => server.closeIdleConnections(), 50);
  const deadline = setTimeout(() => {
    cut = true;
    server.closeAllConnections();
  }, timeoutMs);
  await closed;
  clearInterval(reaper);
  clearTimeout(deadline);
  return !cut;
}
