import { execFileSync } from 'node:child_process';

/** Whether a command can be run at all (it exits 0 with `args`). */
export function hasCommand(command: string, args: string[] = ['--version']): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
