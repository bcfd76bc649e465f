import { Redis } from 'ioredis';

/**
 * Where the README's "Key layout" says a message lives, computed here on its own rather than with the service's
 * code: the bucket is the digest's first `bits` bits in hex (ceil(bits/4) digits), the field its 32 bytes.
 */
export function keysOf(
  prefix: string,
  digest: string,
  bits = 16,
): { bucket: string; long: Buffer; field: Buffer } {
  const bucket = (Number.parseInt(digest.slice(0, 8), 16) >>> (32 - bits))
    .toString(16)
    .padStart(Math.ceil(bits / 4), '0');
  return {
    bucket: `${prefix}b:{${bucket}}`,
    long: Buffer.concat([Buffer.from(`${prefix}s:{${bucket}}`), Buffer.from(digest, 'hex')]),
    field: Buffer.from(digest, 'hex'),
  };
}

/** The bytes stored for a digest, read by a client of the test's own from its bucket or its own key. */
export async function storedBytes(url: string, prefix: string, digest: string): Promise<Buffer | null> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    await client.connect();
    const { bucket, long, field } = keysOf(prefix, digest);
    return (await client.hgetBuffer(bucket, field)) ?? (await client.getBuffer(long));
  } finally {
    client.disconnect();
  }
}
