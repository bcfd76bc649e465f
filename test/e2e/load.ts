import { Agent } from 'node:https';
import { runWorkers } from '../../tools/client/load.js';

/** A request of the load: answers a description of what went wrong, or undefined when it went right. */
export type LoadRequest = (agent: Agent, n: number) => Promise<string | undefined>;

export interface LoadOptions {
  workers: number;
  /** Bounds, whichever comes first, so a stuck test cannot send forever. */
  maxRequests: number;
  maxMs: number;
  ca: Buffer;
}

/**
 * Constant load through the stack's TLS proxy: `workers` loops each sending one request after the other over
 * keep-alive HTTPS connections (as a real client pool does), until `stop` or a bound. Unlike `runLoad`, which
 * sends its own mix of POSTs and GETs and times every answer, the requests are the test's, checked by it, and
 * every failure is kept with its reason.
 */
export class Load {
  sent = 0;
  readonly failures: string[] = [];
  private stopped = false;
  private readonly agent: Agent;
  private readonly done: Promise<void>;

  constructor(options: LoadOptions, request: LoadRequest) {
    this.agent = new Agent({ keepAlive: true, maxSockets: options.workers, ca: options.ca });
    const deadline = performance.now() + options.maxMs;
    const more = () => !this.stopped && this.sent < options.maxRequests && performance.now() < deadline;
    this.done = runWorkers(options.workers, more, async () => {
      const n = this.sent++;
      try {
        const failure = await request(this.agent, n);
        if (failure) this.failures.push(`#${n}: ${failure}`);
      } catch (error) {
        this.failures.push(`#${n}: ${(error as Error).message}`);
      }
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    this.agent.destroy();
  }
}
