import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// The unit of /proc/<pid>/stat's times; 100 on every Linux we know, but asked rather than assumed.
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * User + system CPU time of a process (all its threads) so far, in µs; 0 once it is gone. Per request, it is a
 * steadier measure than requests/s on a shared machine: a server that is the bottleneck shows its cost here even
 * when the throughput of both servers moves with the machine's load.
 */
export function cpuMicros(pid: number): number {
  try {
    const fields = statFields(pid);
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** The pid of a process's parent; throws once the process is gone. */
export function parentPid(pid: number): number {
  return Number(statFields(pid)[1]);
}

/** The fields of /proc/<pid>/stat after the command name, from the state (field 3) on. */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: fields are counted from after its last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The process and its children (nginx's master and its workers). */
export function withChildren(pid: number): number[] {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
    return [pid, ...children.filter(Boolean).map(Number)];
  } catch {
    return [pid];
  }
}
