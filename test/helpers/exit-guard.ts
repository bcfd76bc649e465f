import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

// Mocha runs without --exit, so that a server or process a test forgets keeps the run alive and shows.
// Twice in CI a run printed its summary and then hung until CI's deadline, with nothing saying what held it.
// Should the run still be alive this long after the last root hook (the stack's stop takes up to 60 s), this
// names what holds it and whose it is, then ends the run with mocha's own exit code (mocha sets it on 'exit').
const GRACE_MS = 90_000;

// Loaded through .mocharc's `require` after the stack fixture, so its root hook runs last.
export const mochaHooks = {
  afterAll() {
    setTimeout(() => {
      console.error(
        `\nexit guard: the run did not end ${GRACE_MS / 1000} s after its last hook; it is held by:`,
      );
      for (const line of heldBy()) console.error(`  ${line}`);
      process.exit();
    }, GRACE_MS).unref();
  },
};

/** One line per handle that keeps the event loop alive, with the process at the other end of a pipe. */
function heldBy(): string[] {
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
  // Our own stdout and stderr are handles too, and hold nothing open.
  const held = handles.filter((handle) => !(handle === process.stdout || handle === process.stderr));
  const lines = held.map((handle) => {
    const socket = handle as {
      fd?: number;
      _handle?: { fd?: number };
      remoteAddress?: string;
      remotePort?: number;
    };
    const fd = socket._handle?.fd ?? socket.fd;
    const target = fd === undefined || fd < 0 ? '' : linkOf(`/proc/self/fd/${fd}`);
    const peer = socket.remoteAddress ? ` to ${socket.remoteAddress}:${socket.remotePort}` : '';
    const holders = /^(pipe|socket):/.test(target) ? ` other end in: ${holdersOf(target)}` : '';
    return `${handle.constructor.name}${fd === undefined ? '' : ` fd ${fd} ${target}`}${peer}${holders}`;
  });
  const children = processes().filter((pid) => parentOf(pid) === process.pid);
  return [...lines, `child processes: ${children.map(commandOf).join('; ') || 'none'}`];
}

function processes(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => pid !== process.pid);
}

/**
 * The processes at the other end: a child's stdio is a Unix socket pair in libuv, whose peer `ss` names;
 * a pipe's other end is the same `pipe:[inode]` open in another process.
 */
function holdersOf(target: string): string {
  const inode = /\[(\d+)\]/.exec(target)?.[1];
  if (target.startsWith('socket:')) {
    try {
      const table = execFileSync('ss', ['-xpn'], { encoding: 'utf8' });
      const peer = table.split('\n').find((line) => line.split(/\s+/)[7] === inode);
      const pids = [...(peer ?? '').matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
      return pids.map(commandOf).join('; ') || 'none';
    } catch (error) {
      return `unknown (ss: ${(error as Error).message})`;
    }
  }
  const holders = processes().filter((pid) => {
    try {
      return readdirSync(`/proc/${pid}/fd`).some((fd) => linkOf(`/proc/${pid}/fd/${fd}`) === target);
    } catch {
      return false; // gone, or not ours to read
    }
  });
  return holders.map(commandOf).join('; ') || 'none';
}

function linkOf(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}

function parentOf(pid: number): number {
  try {
    // The command name in parentheses may hold spaces; the fields after it are fixed.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

function commandOf(pid: number): string {
  try {
    return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()}`;
  } catch {
    return `${pid} (gone)`;
  }
}
