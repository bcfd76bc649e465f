import fc from 'fast-check';
import { type Piece, joinPieces, piecesLength, repeat } from './byte-pieces.js';
import { bodyRoute, hostileBody, hostileContentType } from './hostile-bodies.js';

/** One HTTP/1.x request as raw bytes, in pieces that read well in a counterexample. */
export interface HostileRequest {
  /** The request line, without its CRLF. */
  line: Piece[];
  /** Header lines, each with its own line ending (so a bare LF or a folded line can be expressed). */
  headers: Piece[];
  /** Exactly what follows the blank line. */
  body: Piece[];
  /** It declares more body than it sends: a server that waits for the rest is right to. */
  incomplete: boolean;
  /** Bytes follow the declared end of the request, which a server may read as a further request. */
  surplus: boolean;
  head: boolean;
  /** The request line has no version: HTTP/0.9, whose answer is a bare body without status or headers. */
  http09?: boolean;
}

export function requestBytes(request: HostileRequest): Buffer {
  const text = `${joinPieces(request.line)}\r\n${joinPieces(request.headers)}\r\n${joinPieces(request.body)}`;
  return Buffer.from(text, 'latin1');
}

/** A message already stored by the suite, so that GETs and conditional GETs reach a 200 or 304 path too. */
export const STORED_DIGEST_PATH =
  '/messages/2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae';
const STORED_ETAG = '"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"';

type Framing =
  /** `pad`: spaces around the value, optional whitespace (RFC 9110 5.5) that servers strip: still a length. */
  | { kind: 'length'; delta: number; pad?: string }
  | { kind: 'lengths'; second: number }
  | { kind: 'bad-length'; value: string }
  | { kind: 'chunked'; encoding: string; withLength: boolean; chunk: number }
  | { kind: 'bad-chunks'; chunks: string; incomplete: boolean }
  | { kind: 'none' };

const framing: fc.Arbitrary<Framing> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'length', delta: 0 } as const) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: -20, max: 20 }).map((delta) => ({ kind: 'length', delta }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ delta: fc.integer({ min: -5, max: 5 }), pad: fc.constantFrom(' ', '  ') })
      .map(({ delta, pad }) => ({ kind: 'length', delta, pad }) as const),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: -3, max: 3 }).map((second) => ({ kind: 'lengths', second }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('-1', 'abc', '1e3', '0x10', '+5', '5, 5', '99999999999999999999999', '', '5.0')
      .map((value) => ({ kind: 'bad-length', value }) as const),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        encoding: fc.constantFrom(
          'chunked',
          'Chunked',
          'gzip, chunked',
          'chunked, gzip',
          'identity, chunked',
          'chunked, chunked',
          'x-custom',
          'gzip',
          'chunked\t',
          ' chunked',
        ),
        withLength: fc.boolean(),
        chunk: fc.integer({ min: 1, max: 64 }),
      })
      .map((options) => ({ kind: 'chunked', ...options }) as const),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(
        // A chunk of 5 that takes "ab\r\n0" as its data: the body then never ends, and waiting is right.
        ['5\r\nab\r\n0\r\n\r\n', true] as const,
        ['zz\r\nab\r\n0\r\n\r\n', false] as const,
        ['ffffffffffffffffffff\r\nab\r\n0\r\n\r\n', false] as const,
        ['2;ext=1\r\nab\r\n0\r\n\r\n', false] as const,
        ['2\r\nab\r\n0\r\nX-Trailer: 1\r\n\r\n', false] as const,
        ['2\nab\n0\n\n', false] as const,
        ['-2\r\nab\r\n0\r\n\r\n', false] as const,
      )
      .map(([chunks, incomplete]) => ({ kind: 'bad-chunks', chunks, incomplete }) as const),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'none' } as const) },
);

/** The framing headers and the bytes sent, for a body under a framing. */
function frame(
  body: Piece[],
  how: Framing,
): Pick<HostileRequest, 'headers' | 'body' | 'incomplete' | 'surplus'> {
  const length = piecesLength(body);
  const plain = (headers: string[], incomplete = false, surplus = false) => ({
    headers,
    body,
    incomplete,
    surplus,
  });
  switch (how.kind) {
    case 'length': {
      const declared = Math.max(0, length + how.delta);
      const pad = how.pad ?? '';
      return plain([`Content-Length: ${pad}${declared}${pad}\r\n`], declared > length, declared < length);
    }
    case 'lengths':
      return plain([
        `Content-Length: ${length}\r\n`,
        `Content-Length: ${Math.max(0, length + how.second)}\r\n`,
      ]);
    case 'bad-length':
      return plain([`Content-Length: ${how.value}\r\n`]);
    case 'chunked': {
      const text = joinPieces(body);
      const chunks: string[] = [];
      for (let at = 0; at < text.length; at += how.chunk) {
        const part = text.slice(at, at + how.chunk);
        chunks.push(`${part.length.toString(16)}\r\n${part}\r\n`);
      }
      const headers = [`Transfer-Encoding: ${how.encoding}\r\n`];
      if (how.withLength) headers.push(`Content-Length: ${length}\r\n`);
      return { headers, body: [...chunks, '0\r\n\r\n'], incomplete: false, surplus: false };
    }
    case 'bad-chunks':
      return {
        headers: ['Transfer-Encoding: chunked\r\n'],
        body: [how.chunks],
        incomplete: how.incomplete,
        surplus: false,
      };
    case 'none':
      return plain([], false, length > 0);
  }
}

// Header lines a hostile or broken client sends, each with its line ending.
const oddHeader: fc.Arbitrary<Piece[]> = fc.oneof(
  fc
    .constantFrom(
      'Expect: 100-continue\r\n',
      'Expect: foo\r\n',
      'Expect: 100-Continue, foo\r\n',
      'Content-Encoding: gzip\r\n',
      'Content-Encoding: identity\r\n',
      'Content-Encoding: br, gzip\r\n',
      `If-None-Match: ${STORED_ETAG}\r\nCache-Control: no-cache\r\n`,
      'If-None-Match: *\r\n',
      'If-Modified-Since: yesterday\r\n',
      'Range: bytes=0-1\r\n',
      'Connection: close\r\n',
      'Connection: Upgrade\r\nUpgrade: websocket\r\n',
      'Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n',
      'X-HTTP-Method-Override: DELETE\r\n',
      'X-Request-Id: \xff\xfe<script>\r\n',
      'X-Ctl: a\x01b\x7f\r\n',
      'X-Latin: caf\xe9\r\n',
      'X-Utf8: \xe2\x98\x83\r\n',
      'X-Null: a\x00b\r\n',
      'NoColonHere\r\n',
      'X-Space : x\r\n',
      ': empty-name\r\n',
      'X-Folded: a\r\n  folded\r\n',
      'X-Bare-LF: x\n',
      'X-Bare-CR: x\rY: z\r\n',
      'Host: localhost\r\n',
      'Host: \r\n',
      'Host: a b\r\n',
      'Accept: */*;q=0.\r\n',
      'Accept-Encoding: gzip;q=1e999\r\n',
      'X-Forwarded-For: 1.2.3.4, <junk>\r\n',
      'Authorization: Basic \xff\r\n',
    )
    .map((line) => [line]),
  hostileContentType.map((type) => [`Content-Type: ${type}\r\n`]),
  fc.integer({ min: 1, max: 40_000 }).map((size) => ['X-Big: ', repeat('a', size), '\r\n']),
  fc.integer({ min: 1, max: 3_000 }).map((count) => [repeat('X-Many: 1\r\n', count)]),
  fc.integer({ min: 1, max: 200 }).map((size) => [`X-Request-Id: `, repeat('r', size), '\r\n']),
);

const knownTarget = fc.constantFrom(
  '/messages',
  '/messages/batch',
  '/digests/lookup',
  STORED_DIGEST_PATH,
  '/messages/abc',
  '/healthz',
  '/readyz',
  '/openapi.yaml',
);

/** Requests whose header set is arbitrary (framing, media type, expectations, sizes, odd bytes). */
export const requestWithHostileHeaders: fc.Arbitrary<HostileRequest> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE'),
    target: fc.oneof(bodyRoute, knownTarget),
    host: fc.constantFrom(['Host: localhost\r\n'], [] as string[], [
      'Host: localhost\r\n',
      'Host: other\r\n',
    ]),
    extra: fc.array(oddHeader, { maxLength: 4 }),
    body: fc.oneof(fc.constant(['{"message":"foo"}'] as Piece[]), hostileBody),
    framing,
  })
  .map(({ method, target, host, extra, body, framing: how }) => {
    const framed = frame(body, how);
    return {
      line: [`${method} ${target} HTTP/1.1`],
      headers: [...host, ...extra.flat(), ...framed.headers],
      body: framed.body,
      incomplete: framed.incomplete,
      surplus: framed.surplus,
      head: method === 'HEAD',
    };
  });

/** Bodies of every kind to the body-taking routes, framed correctly: the body is what is under test. */
export const requestWithHostileBody: fc.Arbitrary<HostileRequest> = fc
  .record({ target: bodyRoute, type: hostileContentType, body: hostileBody })
  .map(({ target, type, body }) => ({
    line: [`POST ${target} HTTP/1.1`],
    headers: [
      'Host: localhost\r\n',
      `Content-Type: ${type}\r\n`,
      `Content-Length: ${piecesLength(body)}\r\n`,
    ],
    body,
    incomplete: false,
    surplus: false,
    head: false,
  }));

const method = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'get',
      'Post',
      'CONNECT',
      'TRACE',
      'PRI',
      'FOO',
      'PROPFIND',
      'M-SEARCH',
      'GET\x00',
      'G@T',
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,24}$/) },
);

const segment = fc.oneof(
  fc.constantFrom(
    'messages',
    'batch',
    'digests',
    'lookup',
    'healthz',
    'readyz',
    'docs',
    'openapi.yaml',
    'metrics',
    '..',
    '.',
    '%2e%2e',
    '%2E',
    '%00',
    '%zz',
    '%',
    '%2f',
    '%5c',
    '\\',
    '%ff%fe',
    '%c0%ae',
    '%e2%98%83',
    '\xe2\x98\x83',
    '\x7f',
    ';a=b',
    '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
    '2C26B46B68FFC68FF99B453C1D30413413422D706483BFA0F98A5E886266E7AE',
    '',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 8 }).map((text) => encodeURIComponent(text)),
);

const target: fc.Arbitrary<Piece[]> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => [`/${parts.join('/')}`]),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.array(segment, { maxLength: 3 }), fc.array(segment, { maxLength: 3 }))
      .map(([path, query]) => [`/${path.join('/')}?${query.join('&')}#${query.join('')}`]),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('*', 'localhost:443', 'http://localhost/healthz', '//healthz', 'healthz', '/?', '/#')
      .map((t) => [t]),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 35_000 }).map((times) => ['/messages/', repeat('a/', times)]),
  },
);

const version = fc.oneof(
  { weight: 6, arbitrary: fc.constant(' HTTP/1.1') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      ' HTTP/1.0',
      ' HTTP/2.0',
      ' HTTP/1.2',
      ' HTTP/9.9',
      ' http/1.1',
      ' HTTP/1.1 extra',
      '',
      ' HTTP/',
    ),
  },
);

/** Arbitrary request lines: methods, request targets and versions, otherwise a plain request. */
export const requestWithHostileLine: fc.Arbitrary<HostileRequest> = fc
  .record({ method, target, version, body: fc.boolean() })
  .map(({ method: verb, target: uri, version: v, body }) => {
    const content = body ? '{"message":"foo"}' : '';
    const bodyHeaders = body
      ? ['Content-Type: application/json\r\n', `Content-Length: ${content.length}\r\n`]
      : [];
    return {
      line: [`${verb} `, ...uri, v],
      headers: ['Host: localhost\r\n', ...bodyHeaders],
      body: [content],
      incomplete: false,
      surplus: false,
      head: verb === 'HEAD',
      http09: v === '',
    };
  });
