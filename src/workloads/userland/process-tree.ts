import { withDescendants } from '../procs/tree';
import type { ProcessTable, SignalName } from '../procs/types';

const ROOT = { uid: 0, gid: 0, groups: [] };

// A signal to a process and everything it started: what a terminal's ^C
// does to its foreground job, and how exec's commands end when their
// client goes (SIGKILL).
export function signalTree(procs: ProcessTable, pid: number, sig: SignalName): void {
  const tree = withDescendants(procs.list(), pid);
  for (const p of tree) procs.kill(p, sig, ROOT);
}
