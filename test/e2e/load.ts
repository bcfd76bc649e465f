import { Agent } from 'node:https';

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
 * Constant load: `workers` loops each sending one request after the other over keep-alive HTTPS
 * connections (as a real client pool does), until `stop` or a bound. Every failure is kept, with its reason.
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
    const worker = async () => {
      while (!this.stopped && this.sent < options.maxRequests && performance.now() < deadline) {
        const n = this.sent++;
        try {
          const failure = await request(this.agent, n);
          if (failure) this.failures.push(`#${n}: ${failure}`);
        } catch (error) {
          this.failures.push(`#${n}: ${(error as Error).message}`);
        }
      }
    };
    this.done = Promise.all(Array.from({ length: options.workers }, worker)).then(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    this.agent.destroy();
  }
}
