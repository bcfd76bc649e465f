import { statusOf } from './probe.js';
import type { Replica } from './replica.js';

/**
 * GET /readyz on every running replica each `periodMs`, as the kubelet runs a pod's readiness probe. The service
 * counts each probe's Redis round trip (shaservice_store_*{operation="ping"}), which ShaserviceRedisUnavailable
 * watches: without probes a stack with Redis down and no traffic would show nothing.
 */
export class ReadinessProber {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly replicas: Replica[],
    private readonly periodMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      // One round at a time, each bounded by the probe's timeout, so that a hung replica cannot pile them up.
      this.inFlight = this.inFlight.then(() =>
        Promise.all(this.replicas.filter((r) => r.running).map((r) => statusOf(r.readyUrl, this.periodMs))),
      );
    }, this.periodMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.inFlight;
  }

  signal(): void {
    clearInterval(this.timer);
  }
}
