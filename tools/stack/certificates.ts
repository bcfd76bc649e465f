import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Certificates {
  /** The CA's certificate: what clients trust (`curl --cacert`, node's `ca`). */
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  /** base64 SHA-256 of the server key's SubjectPublicKeyInfo, for Chromium's --ignore-certificate-errors-spki-list. */
  serverSpkiSha256: string;
}

const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const VALIDITY = ['-days', '30'];
const CA_SUBJECT = [
  '-subj',
  '/CN=shaservice local stack CA',
  '-addext',
  'basicConstraints = critical, CA:TRUE',
];

// What the server certificate is valid for: the names clients of the loopback stack use.
const SERVER_EXTENSIONS = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = serverAuth',
  'subjectAltName = DNS:localhost, IP:127.0.0.1',
].join('\n');

/**
 * A throw-away CA and a server certificate it signed, for localhost and 127.0.0.1, made with openssl in
 * `dir`. P-256 keys: made in milliseconds, and what ingress certificates commonly use.
 */
export function makeCertificates(dir: string): Certificates {
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const newKey = (name: string) => [...NEW_KEY, '-keyout', file(`${name}.key`)];
  const signed = ['-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial', ...VALIDITY];

  openssl(['req', '-x509', ...newKey('ca'), '-out', file('ca.crt'), ...VALIDITY, ...CA_SUBJECT]);
  openssl(['req', ...newKey('server'), '-out', file('server.csr'), '-subj', '/CN=localhost']);
  writeFileSync(file('server.ext'), SERVER_EXTENSIONS);
  openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    ...signed,
    '-out',
    file('server.crt'),
    '-extfile',
    file('server.ext'),
  ]);

  return {
    caFile: file('ca.crt'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    serverSpkiSha256: spkiSha256(readFileSync(file('server.key'), 'utf8')),
  };
}

function spkiSha256(privateKeyPem: string): string {
  const spki = createPublicKey(privateKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}
