import { Pipe } from '../procs/pipe';
import { Collector, emptyIn } from '../procs/streams';
import type { Process } from '../procs/types';
import type { Node, Simple, Word } from './ast';
import { runBuiltin } from './builtins';
import { ASSIGN_BUILTINS, type BuiltinKind, builtinKind } from './kinds';
import { assignment } from './parser';
import { expandArgs, expandPattern, expandString } from './expand';
import { runExternal } from './external';
import { NTRAP_ERR } from './signals';
import { keepsJobs, showsTraps } from './jobs';
import { Fd, streamFd } from './fds';
import { matchPattern } from './pattern';
import { hasProcSub, inRedirs, withProcSubs } from './procsub';
import { applyRedirs, keepRedirs, restoreRedirs } from './redirect';
import { EXIT, type Evaluator, LIMITS, LoopSignal, ReturnSignal, type Shell, ShellError, TESTED } from './shell';
import { EXPORT, type Saved } from './vars';
import { traceCommand } from './xtrace';

// The evaluator: ash's evaltree and friends over the parsed tree.

export const evaluator: Evaluator = { evalNode, substitute };

// Every command a loop runs waits inside one evalNode per level, and a
// suspended async function keeps all its registers alive: when there is no
// slice to wait for, it is no frame at all, and the cases are in functions
// of their own.
export function evalNode(sh: Shell, n: Node, flags: number): Promise<number> {
  try {
    const wait = sh.step();
    if (wait || sh.opts.n) return evalNodeAfter(sh, wait, n, flags);
    return evalKind(sh, n, flags).then(statusSetter(sh, n, flags));
  } catch (err) {
    // As an async function would: a failure is a rejection, never a throw.
    return Promise.reject(err);
  }
}

async function evalNodeAfter(sh: Shell, wait: Promise<void> | undefined, n: Node, flags: number): Promise<number> {
  if (wait) await wait;
  if (sh.opts.n && !sh.root.interactive) return sh.status;
  return statusSetter(sh, n, flags)(await evalKind(sh, n, flags));
}

// What sets $? as node `n` ends: exiting on a failure under `set -e`
// where ash's evaltree would.
function statusSetter(sh: Shell, n: Node, flags: number): (status: number) => number | Promise<number> {
  return CHECKS_EXIT[n.t] && !(flags & TESTED) ? sh.setStatusErrexit : sh.setStatus;
}

// The nodes whose failure `set -e` acts on (ash's evaltree checkexit),
// as -e stands when they end; lists, loops and conditionals pass their
// commands' on.
const CHECKS_EXIT: Readonly<Record<Node['t'], boolean>> = {
  simple: true,
  pipe: true,
  bg: true,
  sub: true,
  seq: false,
  and: false,
  or: false,
  not: false,
  redir: false,
  if: false,
  while: false,
  until: false,
  for: false,
  case: false,
  func: false,
};

const ZERO = Promise.resolve(0);

function evalKind(sh: Shell, n: Node, flags: number): Promise<number> {
  switch (n.t) {
    case 'simple':
      return plainCommand(sh, n, flags) ?? (hasProcSub(n) ? withProcSubs(sh, () => evalSimple(sh, n, flags)) : evalSimple(sh, n, flags));
    case 'seq':
      return evalSeq(sh, n.list, flags);
    case 'and':
    case 'or':
      return evalAndOr(sh, n.t === 'and', n.left, n.right, flags);
    case 'not':
      return evalNot(sh, n.body);
    case 'pipe':
      return evalPipe(sh, n.cmds, false, '');
    case 'bg':
      return evalBg(sh, n.body, n.text);
    case 'sub':
      sh.lineno = n.line;
      return evalSubshell(sh, n.body, flags);
    case 'redir':
      return inRedirs(n.redirs) ? withProcSubs(sh, () => evalRedirected(sh, n, flags)) : evalRedirected(sh, n, flags);
    case 'if':
      return evalIf(sh, n, flags);
    case 'while':
    case 'until':
      return evalLoop(sh, n.t === 'while', n.cond, n.body, flags);
    case 'for':
      return evalFor(sh, n.name, n.words, n.body, n.line, flags);
    case 'case':
      return evalCase(sh, n, flags);
    case 'func':
      sh.funcs.set(n.name, n.body);
      return ZERO;
  }
}

async function evalSeq(sh: Shell, list: readonly Node[], flags: number): Promise<number> {
  const last = list.length - 1;
  for (let i = 0; i < last; i++) await evalNode(sh, list[i], flags & TESTED);
  return evalNode(sh, list[last], flags);
}

async function evalAndOr(sh: Shell, and: boolean, left: Node, right: Node, flags: number): Promise<number> {
  const status = await evalNode(sh, left, TESTED);
  return (status === 0) === and ? evalNode(sh, right, flags) : status;
}

async function evalNot(sh: Shell, body: Node): Promise<number> {
  return (await evalNode(sh, body, TESTED)) === 0 ? 1 : 0;
}

async function evalBg(sh: Shell, body: Node, text: string): Promise<number> {
  if (body.t === 'pipe') await evalPipe(sh, body.cmds, true, text);
  else await evalBackground(sh, body, text);
  return 0;
}

async function evalRedirected(sh: Shell, n: Extract<Node, { t: 'redir' }>, flags: number): Promise<number> {
  sh.lineno = n.line;
  const saved = await applyRedirs(sh, n.redirs, false);
  if (saved === null) return 1;
  try {
    return await evalNode(sh, n.body, flags & TESTED);
  } finally {
    restoreRedirs(sh, saved);
  }
}

async function evalIf(sh: Shell, n: Extract<Node, { t: 'if' }>, flags: number): Promise<number> {
  if ((await evalNode(sh, n.cond, TESTED)) === 0) return evalNode(sh, n.then, flags);
  return n.else ? evalNode(sh, n.else, flags) : 0;
}

async function evalLoop(sh: Shell, isWhile: boolean, cond: Node, body: Node, flags: number): Promise<number> {
  let status = 0;
  sh.loopDepth++;
  try {
    for (;;) {
      let c: number;
      try {
        c = await evalNode(sh, cond, TESTED);
      } catch (err) {
        if (!(err instanceof LoopSignal) || err.n > 1) throw lower(err);
        if (err.kind === 'break') break;
        continue;
      }
      if ((c === 0) !== isWhile) break;
      try {
        status = await evalNode(sh, body, flags & TESTED);
      } catch (err) {
        if (!(err instanceof LoopSignal) || err.n > 1) throw lower(err);
        if (err.kind === 'break') break;
      }
    }
  } finally {
    sh.loopDepth--;
  }
  return status;
}

// A break/continue for an outer loop: one level fewer after this one.
function lower(err: unknown): unknown {
  return err instanceof LoopSignal ? new LoopSignal(err.kind, err.n - 1) : err;
}

async function evalFor(sh: Shell, name: string, words: readonly Word[] | null, body: Node, line: number, flags: number): Promise<number> {
  sh.lineno = line;
  const items = words === null ? sh.params.slice() : await expandArgs(sh, words);
  let status = 0;
  sh.loopDepth++;
  try {
    for (const item of items) {
      if (sh.vars.isReadonly(name)) await sh.fail(`${name}: is read only`);
      sh.vars.set(name, item, sh.opts.a ? EXPORT : 0);
      try {
        status = await evalNode(sh, body, flags & TESTED);
      } catch (err) {
        if (!(err instanceof LoopSignal) || err.n > 1) throw lower(err);
        if (err.kind === 'break') break;
      }
    }
  } finally {
    sh.loopDepth--;
  }
  return status;
}

async function evalCase(sh: Shell, n: Extract<Node, { t: 'case' }>, flags: number): Promise<number> {
  sh.lineno = n.line;
  const subject = await expandString(sh, n.word, true);
  for (const item of n.items) {
    for (const p of item.patterns) {
      const pat = await expandPattern(sh, p);
      if (matchPattern(pat, subject)) return item.body ? evalNode(sh, item.body, flags) : 0;
    }
  }
  return 0;
}

async function evalSubshell(sh: Shell, body: Node, flags: number): Promise<number> {
  // The last command of a process needs no fork (ash's nofork), unless
  // traps must not see the subshell's exit.
  if (flags & EXIT && !hasTraps(sh)) return evalNode(sh, body, flags);
  const { proc, done } = await sh.fork((sub) => evalNode(sub, body, EXIT | (flags & TESTED)));
  return sh.reaped(proc, await sh.guard(done));
}

export const hasTraps = (sh: Shell) => sh.traps.some((t) => t);

async function evalBackground(sh: Shell, body: Node, text: string): Promise<void> {
  const { proc, done } = await sh.fork(async (sub) => {
    backgroundStdio(sub);
    return evalNode(sub, body, EXIT);
  });
  sh.bgPid = proc.pid;
  sh.addJob(proc, [proc.pid], done, text);
}

// A background job without job control reads /dev/null and ignores
// SIGINT and SIGQUIT for good, as ash's forkchild does (ignoresig: they
// are hard-ignored, and no trap in the job changes that).
function backgroundStdio(sub: Shell): void {
  sub.setFd(0, streamFd(emptyIn, undefined));
  for (const sig of ['INT', 'QUIT'] as const) sub.proc.setDisposition(sig, 'ignore');
  sub.hardIgnored = new Set([...sub.hardIgnored, 'INT', 'QUIT']);
}

// Every stage in a process of its own, connected by pipes.
async function evalPipe(sh: Shell, cmds: readonly Node[], background: boolean, text: string): Promise<number> {
  const stages: { pid: number; done: Promise<number>; proc: Process }[] = [];
  let prevRead: Fd | undefined;
  for (let i = 0; i < cmds.length; i++) {
    const pipe = i < cmds.length - 1 ? new Pipe() : undefined;
    const readEnd = prevRead;
    const writeEnd = pipe ? new Fd(undefined, pipe.writer, () => pipe.writer.close(), true) : undefined;
    prevRead = pipe ? new Fd(pipe.reader, undefined, () => pipe.reader.close()) : undefined;
    let forked;
    try {
      forked = await sh.fork(async (sub) => {
        if (readEnd) sub.setFd(0, readEnd);
        else if (background) backgroundStdio(sub);
        if (writeEnd) sub.setFd(1, writeEnd);
        if (keepsJobs(cmds[i])) sub.jobs = sh.jobs.slice();
        return evalNode(sub, cmds[i], EXIT);
      });
    } catch (err) {
      // Ends no stage took: the stage before sees its reader gone.
      readEnd?.hold().release();
      pipe?.reader.close();
      pipe?.writer.close();
      if (stages.length > 0 && !background) await Promise.allSettled(stages.map((s) => s.done));
      throw err;
    }
    stages.push({ pid: forked.proc.pid, done: forked.done, proc: forked.proc });
  }
  const last = stages[stages.length - 1];
  if (background) {
    sh.bgPid = last.pid;
    sh.addJob(last.proc, stages.map((s) => s.pid), Promise.all(stages.map((s) => s.done)).then((st) => st[st.length - 1]), text);
    return 0;
  }
  const statuses = await sh.guard(Promise.all(stages.map((s) => s.done)));
  for (let i = 0; i < stages.length; i++) await sh.reaped(stages[i].proc, statuses[i]);
  if (sh.opts.pipefail) {
    for (let i = statuses.length - 1; i >= 0; i--) if (statuses[i] !== 0) return statuses[i];
    return 0;
  }
  return statuses[statuses.length - 1];
}

// $(...): the output of the body, run in a subshell.
export async function substitute(sh: Shell, body: Node | null): Promise<string> {
  if (body === null) {
    sh.substStatus = 0;
    return '';
  }
  const out = new Collector(LIMITS.bytes);
  const fd = new Fd(undefined, out);
  const { proc, done } = await sh.fork(async (sub) => {
    sub.setFd(1, fd);
    if (keepsJobs(body)) sub.jobs = sh.jobs.slice();
    if (showsTraps(body)) sub.shownTraps = sh.traps.slice();
    // evalbackcmd clears eflag, as bash does: `set -e; x=$(false; echo a)`
    // goes on to the echo.
    sub.opts.e = false;
    return evalNode(sub, body, EXIT);
  });
  // $? stays until the command ends; a command of assignments alone ends
  // with this status (ash's back_exitstatus).
  sh.substStatus = await sh.reaped(proc, await sh.guard(done));
  if (out.total > LIMITS.bytes) {
    await sh.msg('out of memory');
    throw new ShellError(2);
  }
  return out.text();
}

// A command of plain words and nothing more (a loop's `sleep .1`), found
// in PATH: run as evalSimple would, without a frame of its own held for
// the command's life. Undefined when there is more to it.
function plainCommand(sh: Shell, n: Simple, flags: number): Promise<number> | undefined {
  const words = n.words;
  if (words.length === 0 || n.assigns.length > 0 || n.redirs.length > 0 || sh.opts.x) return undefined;
  // Sized at once: a push into [] allocates room for 17.
  const argv = new Array<string>(words.length);
  for (let i = 0; i < words.length; i++) {
    const lit = words[i].lit;
    if (lit === undefined) return undefined;
    argv[i] = lit;
  }
  if (builtinKind(argv[0], sh) !== 'external') return undefined;
  sh.lineno = n.line;
  sh.substStatus = 0;
  return external(sh, argv, undefined, flags);
}

// A command found in PATH. The last command of a process (EXIT) runs in
// that process, as ash execs it, unless a trap must run after it.
function external(sh: Shell, argv: string[], env: Record<string, string> | undefined, flags: number): Promise<number> {
  return runExternal(sh, argv, env, !!(flags & EXIT) && !hasTraps(sh));
}

async function evalSimple(sh: Shell, n: Simple, flags: number): Promise<number> {
  sh.lineno = n.line;
  sh.substStatus = 0;
  const argv = n.words.length > 0 ? await commandWords(sh, n.words) : [];
  if (argv.length === 0) return assignOnly(sh, n);
  const name = argv[0];
  const kind: BuiltinKind | 'function' | 'external' = builtinKind(name, sh);

  const saved = n.redirs.length > 0 ? await applyRedirs(sh, n.redirs, kind === 'special') : undefined;
  if (saved === null) return 1;
  let frame: Saved | undefined;
  try {
    // Assignments before the command: permanent for special builtins; for
    // the duration of the command otherwise, exported to it.
    const assigns: [string, string][] = [];
    for (const a of n.assigns) assigns.push([a.name, await expandString(sh, a.value, 'assign')]);
    if (sh.opts.x) await traceCommand(sh, assigns, argv, saved?.saved[2]);
    let env: Record<string, string> | undefined;
    if (kind === 'special') {
      for (const [k, v] of assigns) await setVar(sh, k, v);
    } else if (kind === 'external') {
      if (assigns.length > 0) {
        for (const [k] of assigns) if (sh.vars.isReadonly(k)) await sh.fail(`${k}: is read only`);
        env = { ...sh.vars.env() };
        for (const [k, v] of assigns) env[k] = v;
      }
    } else if (assigns.length > 0) {
      frame = new Map();
      for (const [k, v] of assigns) {
        if (sh.vars.isReadonly(k)) await sh.fail(`${k}: is read only`);
        sh.vars.save(frame, k);
        sh.vars.set(k, v, EXPORT);
      }
    }
    switch (kind) {
      case 'function':
        return await callFunction(sh, sh.funcs.get(name)!, argv, flags);
      case 'external': {
        const run = external(sh, argv, env, flags);
        // With nothing to undo after it, this frame need not wait for the
        // command (a loop's `sleep .1`).
        return saved ? await run : run;
      }
      default: {
        const status = await runBuiltin(sh, kind, argv);
        // `exec` with only redirections makes them permanent.
        if (name === 'exec' && argv.length === 1 && saved) {
          keepRedirs(saved);
          return status;
        }
        return status;
      }
    }
  } finally {
    if (frame) sh.vars.restore(frame);
    if (saved && !(name === 'exec' && argv.length === 1)) restoreRedirs(sh, saved);
  }
}

// A command's words. The NAME=value arguments of export, readonly, local
// and alias are expanded as assignments: not split, not globbed.
async function commandWords(sh: Shell, words: readonly Word[]): Promise<string[]> {
  const w0 = words[0];
  if (w0.lit !== undefined && !ASSIGN_BUILTINS.has(w0.lit)) return expandArgs(sh, words);
  const first = await expandArgs(sh, [w0]);
  if (!(first.length === 1 && ASSIGN_BUILTINS.has(first[0]) && !sh.funcs.has(first[0]))) return first.concat(await expandArgs(sh, words.slice(1)));
  const out = first;
  for (let i = 1; i < words.length; i++) {
    const a = assignment(words[i]);
    if (a) out.push(`${a.name}=${await expandString(sh, a.value, 'assign')}`);
    else out.push(...(await expandArgs(sh, [words[i]])));
  }
  return out;
}

// NAME=value with no command: assigned in the shell; redirections are
// done (files created) and undone. The status is the last $(...)'s.
async function assignOnly(sh: Shell, n: Simple): Promise<number> {
  if (n.redirs.length > 0) {
    const saved = await applyRedirs(sh, n.redirs, false);
    if (saved === null) return 1;
    restoreRedirs(sh, saved);
  }
  const assigns: [string, string][] = [];
  for (const a of n.assigns) {
    const v = await expandString(sh, a.value, 'assign');
    assigns.push([a.name, v]);
    await setVar(sh, a.name, v);
  }
  if (sh.opts.x && assigns.length > 0) await traceCommand(sh, assigns, []);
  return sh.substStatus;
}

export async function setVar(sh: Shell, name: string, value: string, flags = 0): Promise<void> {
  if (sh.vars.isReadonly(name)) await sh.fail(`${name}: is read only`);
  if (value.length > LIMITS.bytes) await sh.fail('out of memory');
  sh.vars.set(name, value, flags | (sh.opts.a ? EXPORT : 0));
}

export async function callFunction(sh: Shell, body: Node, argv: string[], flags: number): Promise<number> {
  if (sh.depth >= LIMITS.depth) await sh.fail('nesting level too deep');
  const savedParams = sh.params;
  const savedLoop = sh.loopDepth;
  const frame: Saved = new Map();
  // Without set -E a function runs with no ERR trap; one it sets stays
  // (ash's evalfun).
  const errTrap = sh.opts.E ? undefined : sh.traps[NTRAP_ERR];
  if (errTrap !== undefined) sh.traps[NTRAP_ERR] = undefined;
  sh.params = argv.slice(1);
  sh.locals.push(frame);
  sh.depth++;
  sh.loopDepth = 0;
  try {
    return await evalNode(sh, body, flags & TESTED);
  } catch (err) {
    if (err instanceof ReturnSignal) return err.status;
    throw err;
  } finally {
    sh.depth--;
    sh.loopDepth = savedLoop;
    sh.locals.pop();
    sh.vars.restore(frame);
    sh.params = savedParams;
    if (errTrap !== undefined && sh.traps[NTRAP_ERR] === undefined) sh.traps[NTRAP_ERR] = errTrap;
  }
}
