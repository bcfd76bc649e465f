import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/**
 * Which CPU each process of a measurement may run on: the server under test alone on one core, the load
 * generator (wrk), Redis and the bench's own process on the other, so that neither side steals the other's
 * cycles and a ratio measures the server. On a single core nothing is pinned (and the results say so).
 */
export interface PinPlan {
  server: string;
  load: string;
}

export const PIN_PLAN: PinPlan | undefined = cpus().length >= 2 ? { server: '0', load: '1' } : undefined;

/** Pins every thread of a running process (`taskset -a`); threads it starts later inherit the mask. */
export function pin(pid: number, cpuList: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpuList, String(pid)], { stdio: 'ignore' });
}

/** The CPUs a process may run on as the kernel reports them (`Cpus_allowed_list`), for the results. */
export function allowedCpus(pid: number): string {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1] ?? 'unknown';
}

/** The command line prefix that starts a process on the load generator's core, if there is a plan. */
export const onLoadCore = (command: string[]): string[] =>
  PIN_PLAN ? ['taskset', '-c', PIN_PLAN.load, ...command] : command;
