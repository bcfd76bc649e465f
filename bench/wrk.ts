import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cpuMicros } from '../tools/stack/process-cpu.js';
import { onLoadCore } from './pinning.js';

const SCRIPTS = fileURLToPath(new URL('wrk/', import.meta.url));
const run = promisify(execFile);

/** Which answers count as success: wrk counts only "status 400 or more", so that is what can be told apart. */
export type Expect = '2xx' | '404';

/** What the report keeps of one wrk run. */
export interface Measurement {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Every failure: socket errors, timeouts, and answers of the wrong status class. */
  errors: number;
  errorsByKind: { connect: number; read: number; write: number; timeout: number; status: number };
  /** CPU µs per answered request of the server process and of Redis (NaN when not measured). */
  serverCpuUs: number;
  redisCpuUs: number;
}

export interface WrkOptions {
  url: string;
  /** A script of bench/wrk/ (without `.lua`) and its arguments. */
  script: string;
  args: string[];
  connections: number;
  durationSec: number;
  expect: Expect;
  /** Processes whose CPU time to measure over the run: the server under load and its Redis. */
  pids?: { server: number; redis: number };
}

/** The JSON line bench/wrk/common.lua's done() prints. */
interface WrkResult {
  requests: number;
  durationUs: number;
  errors: { connect: number; read: number; write: number; timeout: number };
  non2xx3xx: number;
  latencyUs: { p50: number; p99: number };
}

/** "wrk debian/4.1.0-3+b2 [epoll] Copyright ..." -> "wrk debian/4.1.0-3+b2". */
const firstWords = (version: string) => version.split(' ').slice(0, 2).join(' ');

/** Fails early, with the package to install, when wrk is missing (`.ci/run` installs it). */
export function wrkVersion(): string {
  try {
    return firstWords(execFileSync('wrk', ['-v'], { encoding: 'utf8' }));
  } catch (error) {
    // wrk -v prints its version and exits 1.
    const out = (error as { stdout?: string }).stdout;
    if (out?.startsWith('wrk')) return firstWords(out);
    throw new Error('wrk is missing: `apt-get install wrk` (Debian package wrk)', { cause: error });
  }
}

/**
 * One wrk run against one server, on the load generator's core: one thread, no pipelining (one request in
 * flight per connection, as real clients do), a 10 s timeout so a stuck server shows up as timeouts.
 */
export async function runWrk(options: WrkOptions): Promise<Measurement> {
  const { pids } = options;
  const before = pids && { server: cpuMicros(pids.server), redis: cpuMicros(pids.redis) };
  const command = onLoadCore([
    'wrk',
    '-t1',
    `-c${options.connections}`,
    `-d${options.durationSec}s`,
    '--timeout',
    '10s',
    '-s',
    `${SCRIPTS}${options.script}.lua`,
    options.url,
    '--',
    ...options.args,
  ]);
  const { stdout } = await run(command[0] as string, command.slice(1), {
    env: { ...process.env, LUA_PATH: `${SCRIPTS}?.lua;;` },
    maxBuffer: 1024 * 1024,
  });
  const line = stdout.split('\n').find((text) => text.startsWith('WRK_RESULT '));
  if (!line) throw new Error(`wrk printed no result for ${options.script}:\n${stdout}`);
  const result = JSON.parse(line.slice('WRK_RESULT '.length)) as WrkResult;
  const served = result.requests;
  // A 404 scenario expects every answer to be 400 or more; one below is the wrong answer.
  const status = options.expect === '2xx' ? result.non2xx3xx : served - result.non2xx3xx;
  const errorsByKind = { ...result.errors, status };
  return {
    requestsPerSec: served / (result.durationUs / 1e6),
    p50Ms: result.latencyUs.p50 / 1000,
    p99Ms: result.latencyUs.p99 / 1000,
    requests: served,
    errors: Object.values(errorsByKind).reduce((sum, n) => sum + n, 0),
    errorsByKind,
    serverCpuUs: pids && before ? (cpuMicros(pids.server) - before.server) / served : NaN,
    redisCpuUs: pids && before ? (cpuMicros(pids.redis) - before.redis) / served : NaN,
  };
}
