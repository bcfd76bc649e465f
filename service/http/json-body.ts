import type { ErrorObject, ValidateFunction } from 'ajv';
import { TextDecoder } from 'node:util';
import { parse as parseContentType } from 'content-type';
import createError, { type HttpError } from 'http-errors';
import type { Middleware } from 'koa';
import getRawBody from 'raw-body';

export interface JsonBodyOptions {
  /** Largest body accepted, in bytes. */
  limit: number;
  /** Media types the operation declares (from openapi.yaml). */
  mediaTypes: string[];
  /** The operation's body schema, compiled once at start-up. */
  validate: ValidateFunction;
}

/**
 * Reads, decodes, parses and validates a JSON request body, and puts it on `ctx.state.body`.
 * Raw bytes are decoded strictly: invalid UTF-8 would otherwise turn into U+FFFD and the stored message
 * would differ from the one the client sent, so it is refused instead.
 */
export function jsonBody({ limit, mediaTypes, validate }: JsonBodyOptions): Middleware {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return async (ctx, next) => {
    assertAcceptable(ctx.get('Content-Type'), ctx.get('Content-Encoding'), mediaTypes);
    const bytes = await readBody(ctx.req, ctx.get('Content-Length'), limit).catch((error: HttpError) => {
      // The rest of an oversized body is not worth reading: answer and close the connection.
      if (error.status === 413) ctx.set('Connection', 'close');
      throw error;
    });
    const value = parse(decode(decoder, bytes));
    if (!validate(value)) throw invalid(validate.errors ?? []);
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

function parse(text: string): unknown {
  if (text.trim() === '') throw createError(400, 'Request body is empty; send {"message": "<text>"}');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw createError(400, `Request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A 400 naming every problem; when one is in an array item (`messages[3]`), its index too. */
function invalid(errors: ErrorObject[]): HttpError {
  const problems = errors.map((error) => {
    if (error.keyword === 'additionalProperties') {
      return `unknown field "${error.params.additionalProperty}"`;
    }
    if (error.keyword === 'required') return `field "${error.params.missingProperty}" is required`;
    const where = error.instancePath ? `field "${fieldName(error.instancePath)}"` : 'the body';
    return `${where} ${error.message}`;
  });
  const item = errors.map((error) => /^\/\w+\/(\d+)$/.exec(error.instancePath)).find(Boolean);
  return createError(400, `Invalid request: ${problems.join('; ')}`, item ? { index: Number(item[1]) } : {});
}

/** `/messages/3` as a reader would write it: `messages[3]`. */
function fieldName(instancePath: string): string {
  return instancePath
    .slice(1)
    .replace(/\/(\d+)/g, '[$1]')
    .replace(/\//g, '.');
}
