import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** SHA-256 computed by a library the service does not use, so tests check the service independently. */
export function expectedDigest(message: string | Uint8Array): string {
  const bytes = typeof message === 'string' ? new TextEncoder().encode(message) : message;
  return bytesToHex(sha256(bytes));
}
