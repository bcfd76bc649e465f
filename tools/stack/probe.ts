import { connect } from 'node:net';

/** Whether a loopback port accepts a TCP connection right now. */
export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The status of a plain-HTTP GET on loopback, or 0 when nothing answered within `timeoutMs`. */
export async function statusOf(url: string, timeoutMs = 1_000): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 0;
  }
}
