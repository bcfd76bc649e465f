import type { ErrorObject } from 'ajv';
import { TextDecoder } from 'node:util';
import { parse as parseContentType } from 'content-type';
import createError, { type HttpError } from 'http-errors';
import getRawBody from 'raw-body';
import type { StateMiddleware } from './request-state.js';
import type { BodySchema } from './spec.js';

// A refused body this small is checked again for every problem, so that a person's typo is explained in full
// (`unknown field "mesage"; field "message" is required`); a larger one is answered with its first problem.
const EXPLAIN_ALL_BELOW_BYTES = 4096;
// However many problems were found, the answer names this many at most, and field names this long at most:
// an error answer stays short whatever the body holds.
const MAX_PROBLEMS = 5;
const MAX_NAME_CHARS = 64;

export interface JsonBodyOptions extends BodySchema {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** Most items in an array at the top of the body (a batch). */
  maxItems: number;
}

/**
 * Reads, decodes, parses and validates a JSON request body, and puts it on `ctx.state.body`.
 * Raw bytes are decoded strictly: invalid UTF-8 would otherwise turn into U+FFFD and the stored message
 * would differ from the one the client sent, so it is refused instead.
 * A body that will be refused costs at most a few passes over its bytes: the batch size is checked before any
 * item is looked at, and the validator stops at the first problem (listing every problem of 500,000 bad items
 * took seconds and a 21 MB answer, and ran a capped heap out).
 */
export function jsonBody(options: JsonBodyOptions): StateMiddleware {
  const { limit, maxItems, mediaTypes, validate, explain, arrayFields } = options;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return async (ctx, next) => {
    assertAcceptable(ctx.get('Content-Type'), ctx.get('Content-Encoding'), mediaTypes);
    assertOnlyChunked(ctx.get('Transfer-Encoding'));
    const bytes = await readBody(ctx.req, ctx.get('Content-Length'), limit).catch((error: HttpError) => {
      // The rest of an oversized body is not worth reading: answer and close the connection.
      if (error.status === 413) ctx.set('Connection', 'close');
      throw error;
    });
    assertShallow(bytes);
    const value = parse(decode(decoder, bytes));
    assertBatchSizes(value, arrayFields, maxItems);
    if (!validate(value)) {
      const explained = bytes.length < EXPLAIN_ALL_BELOW_BYTES && !explain(value);
      throw invalid((explained ? explain.errors : validate.errors) ?? []);
    }
    ctx.state.body = value;
    await next();
  };
}

function assertAcceptable(contentType: string, contentEncoding: string, mediaTypes: string[]): void {
  const expected = mediaTypes.join(' or ');
  if (!contentType) throw createError(415, `Content-Type must be ${expected}; none was sent`);
  let type: string;
  let charset: string | undefined;
  try {
    const parsed = parseContentType(contentType);
    type = parsed.type;
    charset = parsed.parameters.charset;
  } catch {
    throw createError(415, `Content-Type must be ${expected}; "${contentType}" cannot be parsed`);
  }
  if (!mediaTypes.includes(type)) throw createError(415, `Content-Type must be ${expected}, not ${type}`);
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    throw createError(415, `The body must be UTF-8; charset ${charset} is not accepted`);
  }
  if (contentEncoding && contentEncoding.toLowerCase() !== 'identity') {
    throw createError(415, `Content-Encoding ${contentEncoding} is not accepted; send the body uncompressed`);
  }
}

/**
 * Node takes the chunked coding off a body and leaves any other (gzip, chunked) on: it would be stored as is.
 * Without chunked last, nothing says where the body ends, so the connection cannot carry another request.
 */
function assertOnlyChunked(transferEncoding: string): void {
  if (!transferEncoding) return;
  const codings = transferEncoding.toLowerCase().split(',');
  if (codings.some((coding) => coding.trim() !== 'chunked')) {
    throw createError(415, `Transfer-Encoding ${transferEncoding} is not accepted; only chunked is`, {
      headers: { Connection: 'close' },
    });
  }
}

async function readBody(stream: NodeJS.ReadableStream, length: string, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(stream, { length: length || undefined, limit });
  } catch (error) {
    const { type, status } = error as { type?: string; status?: number };
    if (type === 'entity.too.large') {
      throw createError(413, `Request body is larger than the limit of ${limit} bytes`);
    }
    if (type === 'request.size.invalid') {
      throw createError(400, 'Request body is shorter or longer than its Content-Length');
    }
    throw createError(status && status < 500 ? status : 400, 'Request body could not be read');
  }
}

function decode(decoder: TextDecoder, bytes: Buffer): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw createError(400, 'Request body is not valid UTF-8');
  }
}

// No body of the API nests more than two levels; JSON.parse of a megabyte of `[` took 33-42 times its size in
// memory before it failed, so depth is checked on the bytes first.
const MAX_DEPTH = 32;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Refuses a body nested deeper than MAX_DEPTH, reading only its structure: a string is skipped with indexOf
 * (native, fast), so a long message costs next to nothing. Brackets that do not balance are left to JSON.parse.
 */
function assertShallow(bytes: Buffer): void {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) i = stringEnd(bytes, i);
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > MAX_DEPTH) throw createError(400, `Request body nests deeper than ${MAX_DEPTH} levels`);
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
}

/** The index of the quote that closes the string opened at `start` (or the end of the bytes). */
function stringEnd(bytes: Buffer, start: number): number {
  let at = start;
  for (;;) {
    at = bytes.indexOf(QUOTE, at + 1);
    if (at < 0) return bytes.length;
    let backslashes = 0;
    while (bytes[at - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

function parse(text: string): unknown {
  if (text.trim() === '') throw createError(400, 'Request body is empty; send {"message": "<text>"}');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw createError(400, `Request body is not valid JSON: ${(error as Error).message}`);
  }
}

function assertBatchSizes(value: unknown, arrayFields: string[], maxItems: number): void {
  for (const field of arrayFields) {
    const items = (value as Record<string, unknown> | null)?.[field];
    if (Array.isArray(items) && items.length > maxItems) {
      const count = `holds at most ${maxItems} items; this one has ${items.length}`;
      throw createError(400, `Batch too large: field "${field}" ${count}`);
    }
  }
}

/** A 400 naming the problems found; when one is in an array item (`messages[3]`), its index too. */
function invalid(errors: ErrorObject[]): HttpError {
  const problems = errors.slice(0, MAX_PROBLEMS).map((error) => {
    if (error.keyword === 'additionalProperties') {
      return `unknown field ${quoted(error.params.additionalProperty)}`;
    }
    if (error.keyword === 'required') return `field ${quoted(error.params.missingProperty)} is required`;
    const where = error.instancePath ? `field ${quoted(fieldName(error.instancePath))}` : 'the body';
    return `${where} ${error.message}`;
  });
  const item = errors.map((error) => /^\/\w+\/(\d+)$/.exec(error.instancePath)).find(Boolean);
  return createError(400, `Invalid request: ${problems.join('; ')}`, item ? { index: Number(item[1]) } : {});
}

/** A name from the body, in quotes, cut short if a client made it long. */
function quoted(name: string): string {
  return JSON.stringify(name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS)}…` : name);
}

/** `/messages/3` as a reader would write it: `messages[3]`. */
function fieldName(instancePath: string): string {
  return instancePath
    .slice(1)
    .replace(/\/(\d+)/g, '[$1]')
    .replace(/\//g, '.');
}
