import type { ProcessTable, SignalName } from '../procs/types';

const ROOT = { uid: 0, gid: 0, groups: [] };

// A signal to a process and everything it started: what a terminal's ^C
// does to its foreground job, and how exec's commands end when their
// client goes (SIGKILL).
export function signalTree(procs: ProcessTable, pid: number, sig: SignalName): void {
  const all = procs.list();
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  for (const p of tree) procs.kill(p, sig, ROOT);
}
