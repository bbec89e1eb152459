import { Pipe } from '../procs/pipe';
import type { Node, Part, Redir, Simple, Word } from './ast';
import { Fd } from './fds';
import { EXIT, type Shell } from './shell';

// Process substitution, as busybox ash has it with ASH_BASH_COMPAT (the
// busybox image's default): <(list) and >(list) expand to /dev/fd/N, the
// list running in a subshell of its own (not a job, never waited for)
// whose stdout (<) or stdin (>) is the other end of a pipe. The shell's
// end is the lowest free fd from 64 (evalbackcmd's F_DUPFD 64) and closes
// when the command that expanded it ends (pushfd: undone with the
// command's redirections).

const FIRST_FD = 64;

export async function processSub(sh: Shell, body: Node | null, toProc: boolean): Promise<string> {
  // evalbackcmd with no list leaves the fd at -1.
  if (body === null) return '/dev/fd/-1';
  const pipe = new Pipe();
  const reader = new Fd(pipe.reader, undefined, () => pipe.reader.close());
  const writer = new Fd(undefined, pipe.writer, () => pipe.writer.close(), true);
  const mine = toProc ? writer : reader;
  const theirs = toProc ? reader : writer;
  try {
    await sh.fork((sub) => {
      sub.setFd(toProc ? 0 : 1, theirs);
      // As for $(...): evalbackcmd clears eflag.
      sub.opts.e = false;
      return sh.evaluator.evalNode(sub, body, EXIT);
    });
  } catch (err) {
    pipe.reader.close();
    pipe.writer.close();
    throw err;
  }
  let n = FIRST_FD;
  while (sh.fds[n]) n++;
  sh.setFd(n, mine);
  (sh.procSubs ??= []).push({ n, fd: mine });
  return `/dev/fd/${n}`;
}

// Runs `run` (a command that may expand process substitutions), then closes
// the fds those opened.
export async function withProcSubs(sh: Shell, run: () => Promise<number>): Promise<number> {
  const mark = sh.procSubs?.length ?? 0;
  try {
    return await run();
  } finally {
    for (const { n, fd } of sh.procSubs?.splice(mark) ?? []) if (sh.fds[n] === fd) sh.setFd(n, undefined);
  }
}

// Whether a simple command's words, assignments or redirections hold one
// (top level only: not inside "..." or ${...}, as the lexer makes them).
// Nodes are shared and immutable: the answer is kept per node.
const known = new WeakMap<Simple, boolean>();

export function hasProcSub(n: Simple): boolean {
  let has = known.get(n);
  if (has === undefined) {
    has = n.words.some(inWord) || n.assigns.some((a) => inWord(a.value)) || inRedirs(n.redirs);
    known.set(n, has);
  }
  return has;
}

export const inRedirs = (redirs: readonly Redir[]): boolean => redirs.some((r) => inWord(r.target));

const inWord = (w: Word): boolean => w.parts.some((p: Part) => p.t === 'psub');
