import { readFileSync, writeFileSync } from 'node:fs';

export interface ProcessMemory {
  /** Resident set size now, in MiB. */
  rssMiB: number;
  /** The highest resident set size since the start or the last `resetPeakRss`, in MiB. */
  peakRssMiB: number;
}

/** A process's memory as the kernel counts it (`VmRSS` and `VmHWM` of /proc/<pid>/status). */
export function memoryOf(pid: number): ProcessMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}

/**
 * Sets the peak (`VmHWM`) back to the current size, so a later `memoryOf` tells the peak of what happened in
 * between (proc(5), clear_refs value 5); a peak is what a memory limit kills on, not the size afterwards.
 */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
