// A process and everything it started, from a listing of (pid, ppid): a
// terminal's foreground job, an exec's command, kill's -PGID (there are no
// process groups here: a group is a process and its descendants).
export function withDescendants(list: readonly { pid: number; ppid: number }[], pid: number): Set<number> {
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of list) {
      if (!tree.has(p.pid) && tree.has(p.ppid)) {
        tree.add(p.pid);
        grew = true;
      }
    }
  }
  return tree;
}
