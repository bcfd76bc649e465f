import { connect as tcpConnect } from 'node:net';
import { type TLSSocket, connect } from 'node:tls';

export interface HeldOptions {
  port: number;
  ca: Buffer;
  connections: number;
  /** Another loopback address (Linux routes all of 127.0.0.0/8 to lo), so per-address limits see an attacker. */
  localAddress: string;
  /** What each connection sends once, before it goes silent: part of a request. */
  request: string;
  /** How long opening waits for each handshake before it goes on (the connection is kept all the same). */
  handshakeTimeoutMs: number;
}

/** A TLS connection to nginx on 127.0.0.1 from `localAddress`, verified against `ca`. */
export function connectFrom(localAddress: string, port: number, ca: Buffer): TLSSocket {
  return connect({
    socket: tcpConnect({ host: '127.0.0.1', port, localAddress }),
    servername: 'localhost',
    ca,
  });
}

/** Half a request header: nginx waits for the rest (slowloris). */
export const HALF_HEADER = 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ';

/**
 * TLS connections that each send part of a request and then nothing, held until `close`: a slow-client
 * flood. Opened a batch at a time, so it measures nginx rather than this process's handshake rate.
 */
export class HeldConnections {
  private readonly sockets = new Set<TLSSocket>();
  /** Those whose handshake completed and whose part of a request was sent. */
  private readonly held = new Set<TLSSocket>();
  /** The first bytes the server sent on each connection that got an answer. */
  readonly answers: string[] = [];

  /**
   * Resolves once every connection is held or has waited `handshakeTimeoutMs` for its handshake. One still
   * waiting is kept, as an attacker would keep it: it takes the next connection slot nginx frees.
   */
  static async open(options: HeldOptions, batch = 50): Promise<HeldConnections> {
    const connections = new HeldConnections();
    for (let opened = 0; opened < options.connections; opened += batch) {
      const size = Math.min(batch, options.connections - opened);
      await Promise.all(Array.from({ length: size }, () => connections.openOne(options)));
    }
    return connections;
  }

  /** Connections held open by the server, their request part sent. */
  get open(): number {
    return this.held.size;
  }

  /** Connections still waiting for the server to accept them or finish the handshake. */
  get waiting(): number {
    return this.sockets.size - this.held.size;
  }

  close(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private openOne(options: HeldOptions): Promise<void> {
    const { port, ca, localAddress, request, handshakeTimeoutMs } = options;
    return new Promise((resolve) => {
      const socket = connectFrom(localAddress, port, ca);
      this.sockets.add(socket);
      const timer = setTimeout(resolve, handshakeTimeoutMs);
      socket.once('secureConnect', () => {
        socket.write(request);
        this.held.add(socket);
        clearTimeout(timer);
        resolve();
      });
      socket.once('data', (chunk: Buffer) => this.answers.push(chunk.toString('latin1')));
      socket.on('error', () => undefined); // a reset is one way for the server to close; seen as 'close'
      socket.once('close', () => {
        this.sockets.delete(socket);
        this.held.delete(socket);
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
