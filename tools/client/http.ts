import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Milliseconds from sending to the whole answer. */
  ms: number;
}

export interface RequestOptions {
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  timeoutMs?: number;
  /** For https: the CA certificate(s) to verify the server against. */
  ca?: string | Buffer;
  /** A keep-alive agent to reuse connections; default: a fresh connection per request. */
  agent?: Agent;
}

/**
 * One HTTP(S) request, by default on a fresh connection, with the path sent exactly as given (fetch would normalise
 * `..` and reject some methods, which the tests need to send as they are).
 */
export function send(
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply> {
  const started = performance.now();
  const { protocol, hostname, port } = new URL(base);
  const request = protocol === 'https:' ? httpsRequest : httpRequest;
  const { headers, ca, agent = false } = options;
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers, ca, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json,
          ms: performance.now() - started,
        });
      });
    });
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export function postJson(
  base: string,
  path: string,
  value: unknown,
  headers: Record<string, string> = {},
  options: RequestOptions = {},
) {
  const body = typeof value === 'string' ? value : JSON.stringify(value);
  const allHeaders = { 'Content-Type': 'application/json', ...headers };
  return send(base, 'POST', path, { ...options, body, headers: allHeaders });
}

export function postMessage(base: string, message: string, options: RequestOptions = {}) {
  return postJson(base, '/messages', { message }, {}, options);
}

export function getMessage(
  base: string,
  digest: string,
  headers: Record<string, string> = {},
  options: RequestOptions = {},
) {
  return send(base, 'GET', `/messages/${digest}`, { ...options, headers });
}
