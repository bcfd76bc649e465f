import { type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Where raw bytes go: plain TCP, or TLS verified against `ca` for the name `servername`. */
export interface RawTarget {
  host: string;
  port: number;
  tls?: { ca: string | Buffer; servername: string };
}

export interface RawResponse {
  /** The status line as received, e.g. `HTTP/1.1 400 Bad Request`. */
  statusLine: string;
  status: number;
  /** Header names lower-cased; a repeated header keeps every value. */
  headers: Record<string, string[]>;
  body: Buffer;
}

export interface RawExchange {
  /** The final (non-1xx) answers parsed from the connection, in order. */
  responses: RawResponse[];
  /** Every byte the server sent, to print when something is wrong. */
  received: Buffer;
  /** How the exchange ended. */
  end: 'answered' | 'closed' | 'reset' | 'silent' | 'timeout';
  /** Bytes that could not be parsed as an HTTP/1.x answer, if any. */
  garbage?: string;
}

export interface RawOptions {
  /** Give up after this long in all (the exchange then ends as `timeout`). */
  timeoutMs?: number;
  /**
   * For requests that declare more body than they send: stop once the server has been silent this long
   * after the last write (the exchange ends as `silent`), instead of waiting for its request timeout.
   */
  silenceMs?: number;
  /**
   * After the first answer, keep reading until the server has been silent this long, for the answers to
   * bytes the server may read as further pipelined requests. Default 0: stop at the first answer.
   */
  lingerMs?: number;
  /** The request was HEAD: its answer has no body whatever its headers say. */
  head?: boolean;
}

/**
 * Writes `request` as it is on a fresh connection (no client library to refuse or fix malformed bytes) and
 * parses what comes back as HTTP/1.x answers. Never rejects: a reset or a timeout is part of the result.
 */
export function rawExchange(
  target: RawTarget,
  request: Buffer,
  options: RawOptions = {},
): Promise<RawExchange> {
  const { timeoutMs = 10_000, silenceMs, lingerMs = 0, head = false } = options;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let finished = false;
    let quiet: NodeJS.Timeout | undefined;
    const socket: Socket = target.tls
      ? tlsConnect({ host: target.host, port: target.port, ...target.tls })
      : tcpConnect({ host: target.host, port: target.port });
    const finish = (end: RawExchange['end']) => {
      if (finished) return;
      finished = true;
      clearTimeout(overall);
      clearTimeout(quiet);
      socket.destroy();
      const received = Buffer.concat(chunks);
      const parsed = parseResponses(received, head);
      resolve({ responses: parsed.responses, received, end, garbage: parsed.garbage });
    };
    const overall = setTimeout(() => finish('timeout'), timeoutMs);
    const waitForQuiet = (ms: number | undefined, end: RawExchange['end']) => {
      clearTimeout(quiet);
      if (ms !== undefined) quiet = setTimeout(() => finish(end), ms);
    };
    socket.once(target.tls ? 'secureConnect' : 'connect', () => {
      socket.write(request, () => {
        if (chunks.length === 0) waitForQuiet(silenceMs, 'silent');
      });
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const { responses, complete } = parseResponses(Buffer.concat(chunks), head);
      if (responses.length === 0 || !complete) return waitForQuiet(silenceMs, 'silent');
      if (lingerMs === 0) return finish('answered');
      waitForQuiet(lingerMs, 'answered');
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish(error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed'),
    );
    socket.on('close', () => finish('closed'));
  });
}

interface Parsed {
  responses: RawResponse[];
  /** Whether the last response parsed is whole (false: more bytes are needed, or it runs until close). */
  complete: boolean;
  garbage?: string;
}

/** Splits the bytes into HTTP/1.x answers, skipping interim 1xx ones (100 Continue). */
export function parseResponses(bytes: Buffer, firstIsHead = false): Parsed {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (
      !bytes
        .subarray(at, at + 5)
        .toString('latin1')
        .startsWith('HTTP/'.slice(0, bytes.length - at))
    ) {
      return { responses, complete: true, garbage: bytes.subarray(at, at + 200).toString('latin1') };
    }
    if (headEnd < 0) return { responses, complete: false };
    const [statusLine = '', ...lines] = bytes.subarray(at, headEnd).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
    if (!match) return { responses, complete: true, garbage: statusLine };
    const status = Number(match[1]);
    const headers: Record<string, string[]> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      (headers[name] ??= []).push(line.slice(colon + 1).trim());
    }
    const bodyStart = headEnd + 4;
    if (status >= 100 && status < 200 && status !== 101) {
      at = bodyStart;
      continue;
    }
    const noBody =
      (firstIsHead && responses.length === 0 && !closesWithItsBody(bytes.length - bodyStart, headers)) ||
      status === 204 ||
      status === 304;
    const body = noBody ? { end: bodyStart } : bodyExtent(bytes, bodyStart, headers);
    if (body === undefined) {
      return {
        responses: [...responses, { statusLine, status, headers, body: bytes.subarray(bodyStart) }],
        complete: false,
      };
    }
    responses.push({ statusLine, status, headers, body: bytes.subarray(bodyStart, body.end) });
    at = body.end;
  }
  return { responses, complete: true };
}

/**
 * An answer to a HEAD that the server could not parse (and so cannot know was a HEAD) may carry its error body:
 * when it closes the connection right after exactly Content-Length bytes, they cannot be taken for another answer.
 */
function closesWithItsBody(bytesAfterHead: number, headers: Record<string, string[]>): boolean {
  const closes = headers.connection?.some((value) => /close/i.test(value)) ?? false;
  return closes && bytesAfterHead > 0 && Number(headers['content-length']?.[0]) === bytesAfterHead;
}

/** Where the body that starts at `start` ends, or undefined while it is incomplete (or runs until close). */
function bodyExtent(
  bytes: Buffer,
  start: number,
  headers: Record<string, string[]>,
): { end: number } | undefined {
  if (headers['transfer-encoding']?.some((value) => /chunked/i.test(value))) {
    let at = start;
    for (;;) {
      const lineEnd = bytes.indexOf('\r\n', at);
      if (lineEnd < 0) return undefined;
      const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) return { end: bytes.length };
      if (size === 0) {
        const trailerEnd = bytes.indexOf('\r\n\r\n', lineEnd);
        return trailerEnd < 0 ? undefined : { end: trailerEnd + 4 };
      }
      at = lineEnd + 2 + size + 2;
      if (at > bytes.length) return undefined;
    }
  }
  const length = headers['content-length']?.[0];
  if (length === undefined) return undefined;
  const end = start + Number(length);
  return end <= bytes.length ? { end } : undefined;
}

/** The body of a chunked answer without its framing. */
export function decodedBody(response: RawResponse): Buffer {
  if (!response.headers['transfer-encoding']?.some((value) => /chunked/i.test(value))) return response.body;
  const parts: Buffer[] = [];
  let at = 0;
  const bytes = response.body;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(bytes.subarray(at, lineEnd).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
