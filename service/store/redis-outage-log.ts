import { Cluster, type Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redact } from './redis-errors.js';

/** Logs transitions, not every failed reconnect attempt, so an outage is a few lines rather than a flood. */
export function logTransitions(client: Redis | Cluster, logger: Logger): void {
  // Each node connection of a cluster reports its own errors too; the cluster's own events below already
  // cover them, and without a listener ioredis prints every failed reconnect to stderr.
  if (client instanceof Cluster) client.on('+node', (node: Redis) => node.on('error', () => undefined));
  let healthy = true;
  client.on('ready', () => {
    if (!healthy) logger.info('redis connection ready again');
    healthy = true;
  });
  client.on('error', (error: Error) => {
    if (healthy)
      logger.warn({ err: redact(error) }, 'redis connection failed; requests get 503 until it returns');
    healthy = false;
  });
}
