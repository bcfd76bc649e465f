import { type Socket, connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export interface RawAnswer {
  /** 0 when the server closed without answering. */
  status: number;
  /** Names lower-cased. */
  headers: Record<string, string>;
  body: string;
  /** Every byte received, to print when an assertion fails. */
  received: string;
}

/**
 * Writes `request` byte for byte on a fresh connection to the proxy (TLS verified against `ca` for https URLs,
 * plain TCP for http ones) and reads until the server closes: a client library would refuse or repair the
 * malformed requests these tests send. The requests end in `Connection: close` or are ones nginx closes on.
 */
export function sendRaw(url: string, request: string, ca?: Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  const { protocol, port } = new URL(url);
  const target = { host: '127.0.0.1', port: Number(port) };
  return new Promise((resolve, reject) => {
    const socket: Socket =
      protocol === 'https:'
        ? tlsConnect({ ...target, servername: 'localhost', ca }, () => socket.write(request, 'latin1'))
        : tcpConnect(target, () => socket.write(request, 'latin1'));
    const chunks: Buffer[] = [];
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no close within ${timeoutMs} ms`)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after a complete answer (nginx's lingering close) still leaves the answer to read.
      if (error.code === 'ECONNRESET') socket.destroy();
      else reject(error);
    });
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(chunks).toString('latin1'))));
  });
}

function parseAnswer(received: string): RawAnswer {
  const headerEnd = received.indexOf('\r\n\r\n');
  if (headerEnd < 0) return { status: 0, headers: {}, body: '', received };
  const [statusLine = '', ...lines] = received.slice(0, headerEnd).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    }),
  );
  const body = Buffer.from(received.slice(headerEnd + 4), 'latin1').toString('utf8');
  return { status: Number(statusLine.split(' ')[1]), headers, body, received };
}
