import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkOptions {
  url: string;
  connections: number;
  durationSeconds: number;
  /** CPUs wrk may run on (`taskset -c`), so that the client does not take the cores of what it measures. */
  cpus: string;
  /** A Lua script (wrk's `-s`) and its arguments. */
  script?: string;
  scriptArgs?: string[];
}

export interface WrkResult {
  /** Requests answered over the run. */
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Answers that were not 2xx or 3xx, plus connect, read, write and timeout errors. */
  errors: number;
}

/** One run of wrk (a C client, light enough to leave the server its cores), one thread, pinned, parsed. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const { url, connections, durationSeconds, cpus, script, scriptArgs = [] } = options;
  const args = ['-c', cpus, 'wrk', '-t1', `-c${connections}`, `-d${durationSeconds}s`, '--latency'];
  if (script) args.push('-s', script);
  args.push(url);
  if (script && scriptArgs.length > 0) args.push('--', ...scriptArgs);
  const { stdout } = await run('taskset', args, { timeout: (durationSeconds + 30) * 1000 });
  return parseWrk(stdout);
}

/** wrk's report: "Requests/sec:", the --latency percentiles, and its error lines. */
export function parseWrk(report: string): WrkResult {
  const number = (pattern: RegExp) => Number(pattern.exec(report)?.[1] ?? Number.NaN);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report);
  return {
    requests: number(/(\d+) requests in /),
    requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: latencyMs(report, '50'),
    p99Ms: latencyMs(report, '99'),
    errors:
      (number(/Non-2xx or 3xx responses: (\d+)/) || 0) +
      (socketErrors ? socketErrors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0),
  };
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

function latencyMs(report: string, percentile: string): number {
  const match = new RegExp(`^\\s+${percentile}%\\s+([\\d.]+)(us|ms|s)$`, 'm').exec(report);
  return match ? Number(match[1]) * (UNIT_MS[match[2] as string] ?? Number.NaN) : Number.NaN;
}
