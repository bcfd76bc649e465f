import { ReplyError } from 'ioredis';
import { StoreUnavailableError } from './message-store.js';
import { DeadlinePassedError } from './redis-deadline.js';

// Reply errors that mean "not now" rather than "wrong request": the same command may succeed later.
const TRANSIENT_REPLIES = new Set([
  'LOADING',
  'READONLY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'NOREPLICAS',
  'BUSY',
  'NOAUTH',
  'WRONGPASS',
  // A full Redis (maxmemory with noeviction) or one that cannot write its AOF refuses writes until an operator
  // acts; that is the store being unavailable, not a bug, so it must be 503 rather than 500.
  'OOM',
  'MISCONF',
  // Cluster redirects, when ioredis could not follow them itself (see redis-pipelines.ts).
  'MOVED',
  'ASK',
]);

/**
 * The kinds of failed calls `shaservice_redis_command_errors_total` counts: each "not now" reply by its code,
 * `connection` (closed, refused, reset, not writable), `timeout` (the call's deadline or the command timeout)
 * and `other` (any other reply: a bug or a misconfiguration, answered 500). A fixed list, so the label's
 * values stay bounded and every series can start at 0.
 */
export const ERROR_KINDS: readonly string[] = [...TRANSIENT_REPLIES, 'connection', 'timeout', 'other'];

// Replies with which Redis refuses a write while it still serves reads: full (maxmemory with noeviction),
// unable to persist, or fewer replicas than min-replicas-to-write.
const WRITE_REFUSALS = new Set(['OOM', 'MISCONF', 'NOREPLICAS']);

// Redis repeats the first arguments of a command it does not know (a renamed SET, say): key and message.
const ECHOED_ARGUMENTS = /, with args beginning with:.*$/s;

/**
 * An error of the Redis client as it may leave the adapter and be logged: Redis's message and the command's
 * name. ioredis attaches the command's arguments to every reply error (`command.args`): keys, message text,
 * and for AUTH the password; they are never copied here.
 */
export class RedisClientError extends Error {
  override name = 'RedisClientError';

  constructor(
    message: string,
    readonly command: string | undefined,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

/** The error without anything but its first line of message, its command's name and its code. */
export function redact(error: unknown): RedisClientError {
  const { message, command, code } = (error ?? {}) as {
    message?: unknown;
    command?: { name?: unknown };
    code?: unknown;
  };
  const [firstLine = ''] = String(message).split('\n', 1);
  return new RedisClientError(
    firstLine.replace(ECHOED_ARGUMENTS, ''),
    typeof command?.name === 'string' ? command.name : undefined,
    typeof code === 'string' ? code : undefined,
  );
}

/**
 * What a failed command means for the caller: StoreUnavailableError (503, retry later) when Redis is down,
 * slow or says "not now"; otherwise the redacted error itself, a bug or a misconfiguration (500).
 */
export function translate(error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  const redacted = redact(error);
  if (error instanceof ReplyError && !TRANSIENT_REPLIES.has(replyCode(redacted))) return redacted;
  // Connection closed, offline, timed out, or a transient reply.
  return new StoreUnavailableError(`Redis is unavailable: ${redacted.message}`, { cause: redacted });
}

/**
 * The kind (one of ERROR_KINDS) of a call's failure, or undefined when Redis did not fail a command: the
 * adapter's own verdicts (too few replicas confirmed a write, counted apart; a replica or a cluster missing
 * slots, from the readiness probe) are StoreUnavailableErrors raised on replies that succeeded.
 */
export function errorKind(error: unknown): string | undefined {
  if (error instanceof DeadlinePassedError) return 'timeout';
  if (error instanceof StoreUnavailableError) return undefined;
  if (error instanceof ReplyError) {
    const code = replyCode(redact(error));
    return TRANSIENT_REPLIES.has(code) ? code : 'other';
  }
  // ioredis fails a command with a plain Error only for the connection (closed, offline, refused, reset, its
  // retries exhausted) or its own command timeout; translate() reads them the same way (503).
  return /timed out/i.test(String((error as Error | undefined)?.message)) ? 'timeout' : 'connection';
}

/** Why Redis refused a write while it still serves reads; undefined for any other error. */
export function writeRefusal(error: unknown): string | undefined {
  if (!(error instanceof ReplyError)) return undefined;
  const redacted = redact(error);
  return WRITE_REFUSALS.has(replyCode(redacted)) ? `Redis refuses writes: ${redacted.message}` : undefined;
}

/** The first word of a reply error: OOM, READONLY, ERR, ... */
function replyCode({ message }: Error): string {
  const [code = ''] = message.split(' ', 1);
  return code;
}
