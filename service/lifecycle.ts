/** Process-wide state the app reads and main.ts changes: set once SIGTERM arrives. */
export interface Lifecycle {
  shuttingDown: boolean;
}

export function createLifecycle(): Lifecycle {
  return { shuttingDown: false };
}
