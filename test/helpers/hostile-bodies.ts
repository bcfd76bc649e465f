import fc from 'fast-check';
import { type Piece, cutPieces, piecesLength, repeat } from './byte-pieces.js';

/**
 * JSON-ish request bodies as a client with bad intentions (or a bad library) sends them, as byte pieces
 * (latin1, one character per byte, so invalid UTF-8 can be expressed; long runs stay short in counterexamples).
 */

/** The UTF-8 bytes of `text`, as a latin1 byte string. */
export function utf8Bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

// Code points that trip naive text handling: BOM, line/paragraph separators, noncharacters, NUL, RTL override,
// combining marks, astral characters.
const oddCharacter = fc.constantFrom(
  '\ufeff',
  '\u2028',
  '\u2029',
  '\ufffe',
  '\uffff',
  '\u0000',
  '\u202e',
  '\u0301',
  '\u{1f600}',
  '\u{10ffff}',
  '\u00e9',
  '"',
  '\\',
);

const oddText = fc
  .array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 5 }), oddCharacter), { maxLength: 12 })
  .map((parts) => parts.join(''));

// A JSON string literal that is valid JSON but holds an unpaired surrogate once parsed.
const loneSurrogateEscape = fc
  .integer({ min: 0xd800, max: 0xdfff })
  .map((unit) => `"a\\u${unit.toString(16)}b"`);

// Bytes that are not UTF-8: a lone surrogate encoded as if it were a code point (WTF-8), overlong forms,
// bytes never valid in UTF-8, a multi-byte sequence cut short.
const invalidUtf8String = fc
  .constantFrom(
    '\xed\xa0\x80',
    '\xc0\x80',
    '\xc1\xbf',
    '\xe0\x80\xaf',
    '\xff',
    '\xfe',
    '\x80',
    '\xe2\x82',
    '\xf4\x90\x80\x80',
  )
  .map((bytes) => `"x${bytes}y"`);

const scalar = fc.oneof(
  fc.constantFrom(
    '1',
    '-0',
    '1e999',
    '-1e-999',
    '123456789012345678901234567890',
    'true',
    'false',
    'null',
    '0.1e+1',
  ),
  oddText.map((text) => utf8Bytes(JSON.stringify(text))),
  loneSurrogateEscape,
  invalidUtf8String,
);

// Any JSON value, some with prototype-looking keys (`__proto__`, `constructor`) that a careless merge would honour.
const jsonValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => utf8Bytes(JSON.stringify(value))) },
  { weight: 3, arbitrary: scalar },
  fc.constantFrom('{"__proto__":{"message":"x"}}', '{"constructor":{"prototype":{}}}', '{}', '[]'),
);

/** Nesting far deeper than any real client sends: a recursive parser or validator runs out of stack. */
const deepNesting: fc.Arbitrary<Piece[]> = fc
  .record({ depth: fc.integer({ min: 1, max: 200_000 }), open: fc.constantFrom('[', '{"a":') })
  .map(({ depth, open }) => [repeat(open, depth), '1', repeat(open === '[' ? ']' : '}', depth)]);

// Many items that are not strings, where strings are expected: every one of them is an error to report.
const manyNonStrings: fc.Arbitrary<Piece[]> = fc
  .record({
    count: fc.integer({ min: 1, max: 20_000 }),
    item: fc.constantFrom('1', 'null', '{}', '[]', 'true', '1.5'),
  })
  .map(({ count, item }) => ['[', repeat(`${item},`, count - 1), item, ']']);

const value: fc.Arbitrary<Piece[]> = fc.oneof(scalar, jsonValue).map((text) => [text]);

const itemList: fc.Arbitrary<Piece[]> = fc.oneof(
  fc.array(fc.oneof(scalar, jsonValue), { maxLength: 8 }).map((items) => [`[${items.join(',')}]`]),
  manyNonStrings,
  deepNesting,
  value,
);

/** A body shaped like what the route expects, with something wrong (or nothing wrong) inside. */
const routeShaped: fc.Arbitrary<Piece[]> = fc.oneof(
  fc.oneof(value, deepNesting).map((inner) => ['{"message":', ...inner, '}']),
  itemList.map((items) => ['{"messages":', ...items, '}']),
  itemList.map((items) => ['{"digests":', ...items, '}']),
  fc
    .tuple(scalar, scalar)
    .map(([first, second]) => [`{"message":${first},"message":${second},"messages":[${second}]}`]),
  fc
    .tuple(fc.constantFrom('message', 'messages', 'digests'), jsonValue)
    .map(([key, inner]) => [`{"${key}":${inner},"__proto__":{"isAdmin":true},"extra":1}`]),
);

/** A body cut short, as a client that died mid-write leaves it. */
const truncated: fc.Arbitrary<Piece[]> = fc
  .tuple(routeShaped, fc.nat())
  .map(([body, cut]) => cutPieces(body, cut % Math.max(1, piecesLength(body))));

/** Bodies that are not JSON at all, or JSON framed in something else. */
const notJson: fc.Arbitrary<Piece[]> = fc
  .oneof(
    fc.constantFrom(
      '',
      ' ',
      utf8Bytes('\ufeff{"message":"a"}'),
      '{"message":"a"} trailing',
      '{"message":"a"}\x00',
      "{'message':'a'}",
    ),
    fc.string({ unit: 'binary', maxLength: 64 }).map(utf8Bytes),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  )
  .map((text) => [text]);

export const hostileBody: fc.Arbitrary<Piece[]> = fc.oneof(
  { weight: 5, arbitrary: routeShaped },
  { weight: 2, arbitrary: truncated },
  { weight: 2, arbitrary: notJson },
  { weight: 1, arbitrary: value },
);

/** The routes that read a body, and the three the service defines. */
export const bodyRoute = fc.constantFrom('/messages', '/messages/batch', '/digests/lookup');

/** Mostly the right media type, sometimes one a parser might get wrong. */
export const hostileContentType = fc.oneof(
  { weight: 4, arbitrary: fc.constant('application/json') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset="UTF-8"',
      'APPLICATION/JSON',
      'application/json;charset=latin1',
      'application/json; charset=utf-16',
      'application/vnd.api+json',
      'application/jsonx',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/json; =;;',
      '*/*',
      '',
    ),
  },
  // Printable only: a control character makes the header itself invalid, which is the header fuzz's business.
  { weight: 1, arbitrary: fc.stringMatching(/^[ -~]{0,40}$/) },
);

/**
 * A body as big as the default body limit allows (1 MiB), made of the non-string item that costs the most to
 * report: the defect of issue 12 item 1 (every item's error collected and listed in the answer).
 */
export function nonStringBatch(key: 'messages' | 'digests', item: string, limitBytes: number): Piece[] {
  const prefix = `{"${key}":[`;
  const count = Math.floor((limitBytes - prefix.length - 2) / (item.length + 1));
  return [prefix, repeat(`${item},`, count - 1), item, ']}'];
}
