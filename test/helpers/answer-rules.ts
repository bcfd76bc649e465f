import { joinPieces, preview } from './byte-pieces.js';
import { type HostileRequest, requestBytes } from './hostile-requests.js';
import { type RawExchange, type RawResponse, type RawTarget, decodedBody, rawExchange } from './raw-http.js';

/** Larger than any error sentence with a few listed problems; far smaller than one line per item of a batch. */
export const MAX_ERROR_BODY_BYTES = 16 * 1024;

/**
 * What every answer must be, whatever was asked (issue 12): no 5xx but a 503 with Retry-After; every error
 * a JSON object with a string `err_msg`, small; and an answer at all for every whole request. Answers the
 * rules broken, empty when none is.
 */
export function brokenRules(request: HostileRequest, exchange: RawExchange): string[] {
  const broken: string[] = [];
  if (exchange.garbage !== undefined) {
    // An HTTP/0.9 answer is a bare body (nginx still speaks it); it may be anything but an error page in HTML.
    if (!request.http09) broken.push(`bytes that are not an HTTP/1.x answer: ${preview(exchange.garbage)}`);
    else if (/^\s*</.test(exchange.garbage))
      broken.push(`an HTTP/0.9 answer in HTML: ${preview(exchange.garbage)}`);
  }
  if (exchange.responses.length === 0 && exchange.garbage === undefined) {
    // Waiting for a body that was declared and not sent is right; anything else deserves an answer. One
    // exception, Node's own: an HTTP/0.9 line with the method PRI (HTTP/2's preface word) is taken as the start
    // of an HTTP/2 connection and the socket is dropped before any handler can answer; no 'clientError' comes.
    const nodeDropsIt = request.http09 === true && /^PRI /.test(joinPieces(request.line));
    if (!(request.incomplete && (exchange.end === 'silent' || exchange.end === 'closed')) && !nodeDropsIt) {
      broken.push(`no answer (connection ${exchange.end})`);
    }
  }
  exchange.responses.forEach((response, index) => {
    const which = exchange.responses.length > 1 ? `answer ${index + 1}: ` : '';
    const noBody = (request.head && index === 0) || response.status === 304 || response.status === 204;
    for (const rule of brokenAnswerRules(response, noBody)) broken.push(which + rule);
  });
  return broken;
}

function brokenAnswerRules(response: RawResponse, noBody: boolean): string[] {
  const { status, headers } = response;
  const broken: string[] = [];
  if (status >= 500 && status !== 503) broken.push(`status ${status}: a 5xx other than 503`);
  if (status === 503 && headers['retry-after'] === undefined) broken.push('503 without Retry-After');
  if (status < 400 || noBody) return broken;
  const type = headers['content-type']?.join(', ');
  if (!/^application\/json\b/i.test(type ?? '')) broken.push(`error ${status} with Content-Type ${type}`);
  const body = decodedBody(response);
  if (body.length > MAX_ERROR_BODY_BYTES) broken.push(`error ${status} with a body of ${body.length} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const errMsg = (parsed as { err_msg?: unknown } | null | undefined)?.err_msg;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || typeof errMsg !== 'string') {
    broken.push(`error ${status} whose body is not {"err_msg": "..."}: ${preview(body, 200)}`);
  }
  return broken;
}

export interface CheckOptions {
  timeoutMs: number;
  /** How long a server may stay silent before an incomplete request counts as waited for. */
  silenceMs: number;
  /** How long to read on after an answer to a request with surplus bytes, for the answers to those. */
  lingerMs: number;
}

/** Sends the request and throws, with its bytes and what came back, if any rule is broken. */
export async function expectRulesKept(target: RawTarget, request: HostileRequest, options: CheckOptions) {
  const bytes = requestBytes(request);
  const exchange = await rawExchange(target, bytes, {
    timeoutMs: options.timeoutMs,
    silenceMs: request.incomplete ? options.silenceMs : undefined,
    lingerMs: request.surplus ? options.lingerMs : 0,
    head: request.head,
  });
  const broken = brokenRules(request, exchange);
  if (broken.length > 0) {
    throw new Error(
      `${broken.join('; ')}\n  request: ${preview(bytes)}\n  received (${exchange.end}): ${preview(exchange.received)}`,
    );
  }
  return exchange;
}
