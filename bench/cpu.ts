import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// The unit of /proc/<pid>/stat's times; 100 on every Linux we know, but asked rather than assumed.
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU time a process has used so far (user + system, all its threads), in µs. Per request, it is a steadier
 * measure than requests/s on a shared machine: a server that is the bottleneck shows its cost here even when
 * the throughput of both servers moves with the machine's load.
 */
export function cpuMicros(pid: number): number {
  // The command name, in parentheses, may contain spaces; the fields after it are fixed.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5), utime and stime; 12 and 13 counted from the state field.
  return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1e6;
}
