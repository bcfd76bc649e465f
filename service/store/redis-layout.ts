/**
 * Where a message lives in Redis (README: Key layout). Redis spends about 90 bytes on each key beside its name
 * and value, so short messages share keys: a hash per bucket of digests (the digest's first `bits` bits), field
 * the digest's 32 bytes, value the message. Redis keeps such a hash in its compact listpack encoding while it
 * has at most `hash-max-listpack-entries` fields (128 by default) of at most `hash-max-listpack-value` bytes
 * (64): a longer message gets a string key of its own, so that it never turns a whole bucket into a hashtable.
 * Both keys carry the bucket as a Cluster hash tag, so one digest's keys (and one bucket's) share a slot and a
 * script can look in both.
 */
export interface KeyLayout {
  /** The hash of the digest's bucket, `b:{<bucket>}`. */
  bucket(digest: string): string;
  /**
   * The string key of a long message, `s:{<bucket>}` then the digest's 32 bytes: 32 bytes shorter than its hex,
   * which keeps the key in a smaller allocation than the old layout's.
   */
  long(digest: string): Buffer;
  /** The field of the digest in its bucket: its 32 bytes. */
  field(digest: string): Buffer;
  /** What Redis records at `layout`, so that a service with another bucket setting refuses this store. */
  readonly marker: string;
}

/** hash-max-listpack-value's default: a longer message would convert its bucket to a hashtable. */
export const SHORT_MESSAGE_MAX_BYTES = 64;

/** The key that records the layout (README: Key layout). */
export const LAYOUT_KEY = 'layout';

export function keyLayout(bits: number): KeyLayout {
  const hexDigits = Math.ceil(bits / 4);
  const bucketOf = (digest: string) =>
    (Number.parseInt(digest.slice(0, 8), 16) >>> (32 - bits)).toString(16).padStart(hexDigits, '0');
  return {
    bucket: (digest) => `b:{${bucketOf(digest)}}`,
    long: (digest) => Buffer.concat([Buffer.from(`s:{${bucketOf(digest)}}`), Buffer.from(digest, 'hex')]),
    field: (digest) => Buffer.from(digest, 'hex'),
    marker: `buckets:${bits}`,
  };
}

/** The key of a message in the layout of versions before buckets: a string at `<digest>` (still read). */
export const legacyKey = (digest: string): string => digest;
