import { type Server, type Socket, connect, createServer } from 'node:net';
import { portOf } from './probes.js';
import type { PodPlan, ServicePlan } from './translate.js';

export interface ServiceProxy {
  close(): Promise<void>;
}

/**
 * What kube-proxy does for a ClusterIP Service, which podman has no notion of: a connection to one of the
 * Service's ports goes to the targetPort of one of its ready pods, in turn. It listens on the run network's
 * gateway address (the host's end of the bridge), which every pod's hostAliases give as the Service's address.
 */
export async function startServiceProxy(
  address: string,
  service: ServicePlan,
  endpoints: () => PodPlan[],
): Promise<ServiceProxy> {
  const sockets = new Set<Socket>();
  let turn = 0;
  const servers = await Promise.all(
    service.ports.map(({ port, targetPort }) => {
      const server = createServer((client) => {
        const ready = endpoints();
        const pod = ready[turn++ % Math.max(ready.length, 1)];
        if (!pod) return void client.destroy(); // no endpoints: the connection is refused, as in a cluster
        const upstream = connect(targetPortOf(pod, targetPort), pod.ip);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.once('close', () => sockets.delete(socket));
          socket.once('error', () => (socket === client ? upstream : client).destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      return new Promise<Server>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, address, () => resolve(server));
      });
    }),
  );
  return {
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/** The pod's port a Service's targetPort names (or is). */
export function targetPortOf(pod: PodPlan, targetPort: number | string): number {
  if (typeof targetPort === 'number') return targetPort;
  const container = pod.containers.find((candidate) =>
    candidate.ports?.some((port) => port.name === targetPort),
  );
  if (!container) throw new Error(`pod ${pod.name} has no port named ${targetPort}`);
  return portOf(container, targetPort);
}
