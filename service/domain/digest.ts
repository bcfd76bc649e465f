import { createHash } from 'node:crypto';

const DIGEST = /^[0-9a-f]{64}$/;

/** SHA-256 of the message's UTF-8 bytes, as 64 lower-case hex characters. */
export function sha256Hex(message: string): string {
  return createHash('sha256').update(message, 'utf8').digest('hex');
}

/** The canonical (lower-case) digest, or null when the text cannot be a SHA-256 digest at all. */
export function parseDigest(text: string): string | null {
  const digest = text.toLowerCase();
  return DIGEST.test(digest) ? digest : null;
}
