import { type AppletContext, NO_WAIT } from '../applets/types';
import { Killed, type OutStream, type Process, type ProcessTable, SIGNALS, SIGNAL_TEXT, type SignalName, diedOf, killedStatus } from '../procs/types';
import { isFsError } from '../rootfs/types';
import type { Node } from './ast';
import { parseCached } from './cache';
import { CommandHash } from './command-hash';
import { Fd, type FdTable, NFDS, badOut, streamFd } from './fds';
import { NSIG, NTRAP_ERR, modelled } from './signals';
import { EXPORT, type Saved, Vars } from './vars';

// The state of one running shell (or subshell) and what every part of the
// evaluator shares: variables, options, the fd table, traps, jobs, and the
// process it runs as. Kept small: a shell waiting in `sleep 5` holds this
// and its await chain, nothing per iteration.

// Evaluation flags, as ash's EV_TESTED and EV_EXIT.
export const TESTED = 1; // the status is tested: set -e does not apply
export const EXIT = 2; // the last command of this process: it may run in place

// No signal hard-ignored: most shells' set, shared.
const NONE: ReadonlySet<SignalName> = new Set();

// `exit`, the end of the script, `exec`: unwinds to the shell's top.
export class ExitSignal {
  constructor(
    readonly status: number,
    // exec: the process is replaced, so no EXIT trap runs.
    readonly replaced = false,
  ) {}
}

// An error busybox ash raises (EXERROR): the message is printed; a
// non-interactive shell exits with the status.
export class ShellError {
  constructor(readonly status = 2) {}
}

// ^C in an interactive shell (ash's EXINT): what it was reading or running
// is abandoned, and it prompts again.
export class Interrupted extends ShellError {
  constructor() {
    super(128 + SIGNALS.INT);
  }
}

export class ReturnSignal {
  constructor(readonly status: number) {}
}

export class LoopSignal {
  constructor(
    readonly kind: 'break' | 'continue',
    readonly n: number,
  ) {}
}

export interface Evaluator {
  evalNode(sh: Shell, n: Node, flags: number): Promise<number>;
  // $(...): the body's output.
  substitute(sh: Shell, body: Node | null): Promise<string>;
}

export interface Job {
  id: number;
  proc: Process; // the last process of the job ($!, what `wait` reports)
  pids: number[];
  done: Promise<number>;
  status?: number;
  // Shell.fgWaits when it ended.
  endedAt?: number;
  // A wait has reported it: its slot goes to the next job (ash's makejob).
  waited?: boolean;
  text: string;
}

export interface Options {
  e: boolean;
  E: boolean; // errtrace: functions keep the ERR trap
  I: boolean; // ignoreeof and notify: kept for set -o and $-, no effect
  b: boolean;
  u: boolean;
  x: boolean;
  f: boolean;
  n: boolean;
  v: boolean;
  C: boolean;
  a: boolean;
  i: boolean;
  m: boolean;
  s: boolean;
  c: boolean;
  pipefail: boolean;
}

export const defaultOptions = (): Options => ({
  e: false,
  E: false,
  I: false,
  b: false,
  u: false,
  x: false,
  f: false,
  n: false,
  v: false,
  C: false,
  a: false,
  i: false,
  m: false,
  s: false,
  c: false,
  pipefail: false,
});

// Bounds against runaway scripts.
export const LIMITS = {
  // Live processes the shells of one container may fork (subshells,
  // pipeline stages, background jobs, $(...)).
  procs: 1024,
  // After hitting the cap, forks fail for this long: a fork bomb's
  // processes die out instead of churning at the cap.
  forkBlockMs: 2000,
  // A variable, a word, a here-document, a $(...) output.
  bytes: 16 * 1024 * 1024,
  // Function calls, `.` and eval nested in one another.
  depth: 1000,
};

interface ContainerState {
  live: number;
  blockedUntil: number;
}
const containers = new WeakMap<ProcessTable, ContainerState>();

function containerState(t: ProcessTable): ContainerState {
  let s = containers.get(t);
  if (!s) containers.set(t, (s = { live: 0, blockedUntil: 0 }));
  return s;
}

// What all the shells of one `sh` invocation share.
export interface Root {
  readonly ctx: AppletContext;
  readonly evaluator: Evaluator;
  readonly rootPid: number;
  readonly aliases: Map<string, string>;
  readonly interactive: boolean;
}

export class Shell {
  vars: Vars;
  params: string[];
  funcs: Map<string, Node>;
  opts: Options;
  status = 0;
  // $? once a command ends, made once per shell for evalNode to hand to
  // then(); the second also exits with a failure under `set -e`, as -e
  // stands then (ash's evaltree reads eflag at its end).
  readonly setStatus = (status: number): number => (this.status = status);
  readonly setStatusErrexit = (status: number): number | Promise<number> => {
    this.status = status;
    if (status === 0) return status;
    if (this.traps[NTRAP_ERR] && !this.inErrTrap) return this.errTrap(status);
    if (this.opts.e) throw new ExitSignal(status);
    return status;
  };
  // The status of the last $(...) of the current command (ash's back_exitstatus).
  substStatus = 0;
  // The fds of the process substitutions of the commands under way, closed
  // as each ends (procsub.ts). Made on the first: most shells have none.
  procSubs?: { n: number; fd: Fd }[];
  bgPid = 0;
  // Trap actions by signal number; '' ignores; undefined: default.
  traps: (string | undefined)[];
  // What `trap` lists in `$(trap)`: the parent's (showsTraps).
  shownTraps?: (string | undefined)[];
  // Signals ignored when this shell began (ash's S_HARD_IGN): a trap may
  // name them, and `trap` lists it, but they stay ignored, here, in
  // subshells and in children (POSIX: they cannot be trapped or reset).
  // Never changed in place: shared with subshells, and NONE for most.
  hardIgnored: ReadonlySet<SignalName>;
  fds: FdTable;
  cwd: string;
  jobs: Job[] = [];
  loopDepth = 0;
  depth = 0;
  locals: Saved[] = [];
  lineno = 0;
  // ash's commandname: messages are "arg0: [cmd: ]line N: text" when set.
  cmdName: string | undefined;
  umask = 0o022;
  inTrap = 0;
  // The status before the trap action that is running (exit without a number).
  trapStatus = -1;
  private inErrTrap = false;
  private sigPending = false;
  private unlisten?: () => void;
  random: number;
  // Shared with its subshells: a hit is checked on use, so an entry one of
  // them made is as good as the parent's own.
  readonly hash: CommandHash;

  constructor(
    readonly root: Root,
    public proc: Process,
    public arg0: string,
    // The shell a subshell is forked from.
    init?: Shell,
  ) {
    const ctx = root.ctx;
    this.hash = init?.hash ?? new CommandHash();
    if (init) {
      this.vars = init.vars.clone();
      this.params = init.params.slice();
      this.funcs = new Map(init.funcs);
      this.opts = { ...init.opts, i: false };
      this.status = init.status;
      this.bgPid = init.bgPid;
      this.fds = init.fds.map((f) => f?.hold());
      this.cwd = init.cwd;
      this.umask = init.umask;
      this.lineno = init.lineno;
      this.cmdName = init.cmdName;
      this.random = init.random;
      // A subshell keeps ignored signals ignored and resets trapped ones.
      this.traps = init.traps.map((t) => (t === '' ? '' : undefined));
      this.hardIgnored = init.hardIgnored;
      for (let n = 1; n < NSIG; n++) {
        const sig = modelled(n);
        if (sig && (this.traps[n] === '' || this.hardIgnored.has(sig))) proc.setDisposition(sig, 'ignore');
      }
    } else {
      this.vars = new Vars(ctx.env);
      this.params = [];
      this.funcs = new Map();
      this.opts = defaultOptions();
      this.fds = new Array<Fd | undefined>(NFDS);
      this.fds[0] = streamFd(ctx.stdin, undefined).hold();
      this.fds[1] = streamFd(undefined, ctx.stdout).hold();
      this.fds[2] = streamFd(undefined, ctx.stderr).hold();
      // What the parent had open past 2 stays open here (a shell's Fds).
      ctx.files?.forEach((f, n) => {
        if (n > 2 && f instanceof Fd) this.fds[n] = f.hold();
      });
      this.cwd = ctx.cwd;
      this.traps = [];
      const ignored: SignalName[] = [];
      for (let n = 1; n < NSIG; n++) {
        const sig = modelled(n);
        if (sig && proc.disposition(sig) === 'ignore') ignored.push(sig);
      }
      this.hardIgnored = ignored.length ? new Set(ignored) : NONE;
      this.random = seed(proc.pid, ctx.container.id);
      // As ash's init(): PATH when none came, PPID, SHLVL and PWD (both
      // exported), HOSTNAME.
      if (this.vars.get('PATH') === undefined) this.vars.set('PATH', '/sbin:/usr/sbin:/bin:/usr/bin');
      this.vars.set('PPID', String(proc.ppid));
      this.vars.set('SHLVL', String((Number(this.vars.get('SHLVL')) | 0) + 1), EXPORT);
      if (this.vars.get('HOSTNAME') === undefined) this.vars.set('HOSTNAME', ctx.container.hostname);
      if (this.vars.get('PWD') !== this.cwd) this.vars.set('PWD', this.cwd, EXPORT);
      // ash's root shell ignores SIGQUIT (its subshells and children do not).
      proc.setDisposition('QUIT', 'ignore');
    }
  }

  get ctx(): AppletContext {
    return this.root.ctx;
  }

  get evaluator(): Evaluator {
    return this.root.evaluator;
  }

  // --- messages ---

  // The signal that ended the external command just waited for; and how
  // many foreground waits have ended: a background job that ended before
  // the last of them was reaped by it, silently (jobs.ts).
  private childSignal: SignalName | undefined;
  fgWaits = 0;
  // Bound once: every external command's RunOptions carries it.
  readonly noteSignal = (sig: SignalName): void => {
    this.childSignal = sig;
  };

  // After an external command in the foreground: says what signal ended
  // it, as ash's waitforjob does.
  readonly afterChild = (status: number): number | Promise<number> => {
    this.fgWaits++;
    const sig = this.childSignal;
    if (sig === undefined) return status;
    this.childSignal = undefined;
    return this.saySignal(sig).then(() => status);
  };

  // The same for a forked child (subshell, pipeline stage, $(...)).
  async reaped(proc: Process, status: number): Promise<number> {
    this.fgWaits++;
    const sig = diedOf(proc, status);
    if (sig) await this.saySignal(sig);
    return status;
  }

  // "Terminated", "Killed": not for SIGINT and SIGPIPE (sprint_status48).
  async saySignal(sig: SignalName): Promise<void> {
    if (sig !== 'INT' && sig !== 'PIPE') await this.writeErr(`${SIGNAL_TEXT[sig]}\n`);
  }

  // Writes an error in ash's shape to the shell's stderr.
  async msg(text: string): Promise<void> {
    let prefix = `${this.arg0}: `;
    if (this.cmdName !== undefined) {
      if (this.cmdName !== this.arg0) prefix += `${this.cmdName}: `;
      if (!this.root.interactive) prefix += `line ${this.lineno}: `;
    }
    await this.writeErr(prefix + text + '\n');
  }

  // Runs f with its messages named `name` (ash's commandname), as a
  // builtin's are.
  async named<T>(name: string, f: () => Promise<T>): Promise<T> {
    const saved = this.cmdName;
    this.cmdName = name;
    try {
      return await f();
    } finally {
      this.cmdName = saved;
    }
  }

  // An error that ends a non-interactive shell (ash's EXERROR).
  async fail(text: string, status = 2): Promise<never> {
    await this.msg(text);
    throw new ShellError(status);
  }

  // ash's stdout is stdio: a builtin's write that fails (ENOSPC, EBADF) is
  // remembered (ferror) and the builtin goes on; runBuiltin makes its
  // status 1 (evalbltin). EPIPE is SIGPIPE's.
  stdoutFailed = false;

  // Output of a builtin, on fd 1.
  async print(text: string): Promise<void> {
    if (!text) return;
    try {
      await this.out(1).write(text);
    } catch (err) {
      if (!isFsError(err) || err.code === 'EPIPE') throw err;
      this.stdoutFailed = true;
    }
  }

  // ash's number(): a non-negative decimal, or "Illegal number".
  async number(s: string): Promise<number> {
    if (!/^[0-9]+$/.test(s) || s.length > 18) await this.fail(`Illegal number: ${s}`);
    return Number(s);
  }

  // Runs fn one level deeper (eval, `.`), failing past the bound.
  async nested<T>(fn: () => Promise<T>): Promise<T> {
    if (this.depth >= LIMITS.depth) await this.fail('nesting level too deep');
    this.depth++;
    try {
      return await fn();
    } finally {
      this.depth--;
    }
  }

  async writeErr(text: string): Promise<void> {
    try {
      await this.out(2).write(text);
    } catch (err) {
      if (err instanceof Killed) throw err;
    }
  }

  // The stream of an output fd (for the shell's own writes and builtins).
  out(fd: number): OutStream {
    const f = this.fds[fd];
    if (!f?.out) return badOut;
    if (!f.pipe) return f.out;
    // A write to a pipe nobody reads raises SIGPIPE in this process.
    const raw = f.out;
    return {
      write: async (data) => {
        try {
          await raw.write(data);
        } catch (err) {
          if (err instanceof Error && (err as { code?: string }).code === 'EPIPE') this.sigpipe();
          throw err;
        }
      },
    };
  }

  private sigpipe(): void {
    this.ctx.container.procs.kill(this.proc.pid, 'PIPE', this.proc.identity);
    if (this.proc.death.aborted) throw this.proc.death.reason;
  }

  // --- time slices and signals ---

  // Between steps: gives fakecri its turn, stops a killed process, runs
  // the traps of signals that arrived. Undefined when there is nothing to
  // wait for: a loop's steps then allocate nothing.
  step(): Promise<void> | undefined {
    const wait = this.pause();
    if (wait) return this.trapsAfter(wait);
    // Traps do not nest: a signal that comes during a trap's action runs
    // its own after it.
    if (this.sigPending && this.inTrap === 0) return this.runTraps();
    return undefined;
  }

  private async trapsAfter(wait: Promise<void>): Promise<void> {
    await wait;
    if (this.sigPending && this.inTrap === 0) await this.runTraps();
  }

  // A time slice for fakecri inside a builtin's loop; no traps run.
  slice(): Promise<void> {
    return this.pause() ?? NO_WAIT;
  }

  // Undefined while the slice goes on.
  private pause(): Promise<void> | undefined {
    const death = this.proc.death;
    if (death.aborted) return Promise.reject(death.reason);
    const wait = this.ctx.yield();
    if (wait === NO_WAIT) return undefined;
    return this.proc === this.ctx.proc ? this.resumed(wait) : this.resumedSubshell(wait);
  }

  private async resumed(wait: Promise<void>): Promise<void> {
    await wait;
    if (this.proc.death.aborted) throw this.proc.death.reason;
  }

  private async resumedSubshell(wait: Promise<void>): Promise<void> {
    try {
      await wait;
    } catch (err) {
      // The parent was killed; this subshell lives on.
      if (!(err instanceof Killed)) throw err;
      await new Promise((r) => setImmediate(r));
    }
    if (this.proc.death.aborted) throw this.proc.death.reason;
  }

  // Awaits `p`, or rejects when this process is killed meanwhile.
  guard<T>(p: Promise<T>): Promise<T> {
    const death = this.proc.death;
    if (death.aborted) {
      p.catch(() => {});
      return Promise.reject(death.reason);
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(death.reason);
      death.addEventListener('abort', onAbort);
      p.then(
        (v) => {
          death.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          death.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  // Like guard, but also ends early (answering the signal number) when a
  // trapped signal arrives: `wait` and `read`.
  // `late`: a signal that came as p settled still wins (ash's waitcmd
  // checks pending_sig after its dowait has reaped).
  async interruptible<T>(p: Promise<T>, late = false): Promise<{ value: T } | { signal: number }> {
    if (this.sigPending) return { signal: this.firstPendingSignal() };
    let off: (() => void) | undefined;
    const sig = new Promise<{ signal: number }>((resolve) => {
      off = this.proc.onSignal(() => resolve({ signal: 0 }));
    });
    try {
      const r = await this.guard(Promise.race([p.then((value) => ({ value })), sig]));
      if ('signal' in r || (late && this.sigPending)) return { signal: this.firstPendingSignal() };
      return r;
    } finally {
      off?.();
    }
  }

  private pendingSignals: number[] = [];

  private firstPendingSignal(): number {
    this.collectSignals();
    return this.pendingSignals[0] ?? 0;
  }

  // Each signal once however often it came before its trap ran (ash's
  // gotsig flags).
  private collectSignals(): void {
    for (const s of this.proc.takeSignals()) if (!this.pendingSignals.includes(SIGNALS[s])) this.pendingSignals.push(SIGNALS[s]);
  }

  // Sets what a signal does: a trap action, '' to ignore, undefined for the
  // default.
  setTrap(n: number, action: string | undefined): void {
    this.traps[n] = action;
    const sig = modelled(n);
    if (!sig || this.hardIgnored.has(sig)) return;
    // ash always catches CHLD, so even `trap '' CHLD` makes a wait end.
    const d = action === undefined ? this.untrapped(sig) : action === '' && sig !== 'CHLD' ? 'ignore' : 'handle';
    this.proc.setDisposition(sig, d);
    if (d === 'handle' && !this.unlisten) this.unlisten = this.proc.onSignal(() => (this.sigPending = true));
  }

  // The shell becomes interactive (a terminal, or -i): as ash's
  // setinteractive, it catches SIGINT and ignores SIGTERM and SIGQUIT.
  setInteractive(): void {
    this.opts.i = true;
    for (const sig of ['INT', 'TERM', 'QUIT'] as const) if (this.traps[SIGNALS[sig]] === undefined) this.setTrap(SIGNALS[sig], undefined);
  }

  // What an untrapped signal does to this shell.
  private untrapped(sig: SignalName): 'default' | 'ignore' | 'handle' {
    if (sig === 'QUIT' && this.proc.pid === this.root.rootPid) return 'ignore';
    if (!this.opts.i) return 'default';
    return sig === 'INT' ? 'handle' : sig === 'TERM' || sig === 'QUIT' ? 'ignore' : 'default';
  }

  // Runs the actions of the trapped signals that arrived, oldest first;
  // $? is kept across them unless an action exits.
  async runTraps(): Promise<void> {
    for (;;) {
      this.sigPending = false;
      this.collectSignals();
      const n = this.pendingSignals.shift();
      if (n === undefined) return;
      const action = this.traps[n];
      if (action === undefined && n === SIGNALS.INT && this.opts.i) throw new Interrupted();
      if (!action) continue;
      const saved = this.status;
      await this.trapAction(action, saved);
      this.status = saved;
    }
  }

  // The ERR trap, where set -e would exit and before it does (ash's
  // evaltree): not within itself, and $? is kept. An exit in it ends the
  // shell; an error in it does not.
  private async errTrap(status: number): Promise<number> {
    this.inErrTrap = true;
    try {
      await this.trapAction(this.traps[NTRAP_ERR]!, status);
    } catch (err) {
      if (!(err instanceof ShellError)) throw err;
    } finally {
      this.inErrTrap = false;
    }
    this.status = status;
    if (this.opts.e) throw new ExitSignal(status);
    return status;
  }

  // A trap's action, `status` being $? before it (what a bare `exit` in it
  // exits with).
  private async trapAction(action: string, status: number): Promise<void> {
    const savedTrap = this.trapStatus;
    this.trapStatus = status;
    this.inTrap++;
    try {
      await this.evalString(action);
    } finally {
      this.inTrap--;
      this.trapStatus = savedTrap;
    }
  }

  // Parses and runs a string in this shell (eval, traps): its lines count
  // on from the current one, as ash's setinputstring does.
  async evalString(text: string): Promise<number> {
    const script = parseCached(text, this.lineno);
    let status = 0;
    for (const line of script.lines) {
      if (line.node) status = await this.evaluator.evalNode(this, line.node, 0);
    }
    if (script.error) {
      this.lineno = script.error.line;
      await this.fail(script.error.message);
    }
    return status;
  }

  dropSignalListener(): void {
    this.unlisten?.();
    this.unlisten = undefined;
  }

  // --- processes ---

  // Starts a subshell in a new process (a child of this one) running
  // `body`; answers the process and its exit status to come. Throws a
  // ShellError ("can't fork") when the container has too many.
  async fork(body: (sub: Shell) => Promise<number>, argv?: readonly string[]): Promise<{ proc: Process; done: Promise<number>; sub: Shell }> {
    const procs = this.ctx.container.procs;
    const state = containerState(procs);
    const now = this.ctx.container.clock.now();
    if (state.live >= LIMITS.procs || now < state.blockedUntil) {
      if (state.live >= LIMITS.procs) state.blockedUntil = now + LIMITS.forkBlockMs;
      await this.fail("can't fork: Resource temporarily unavailable");
    }
    const child = procs.spawn({ argv: argv ?? this.proc.argv, parent: this.proc, identity: this.proc.identity });
    state.live++;
    const sub = new Shell(this.root, child, this.arg0, this);
    const done = sub.runAsProcess(body).finally(() => state.live--);
    return { proc: child, done, sub };
  }

  // Runs `body` as the whole life of this (sub)shell's process: ends the
  // process with its status, runs the EXIT trap, releases the fds.
  async runAsProcess(body: (sh: Shell) => Promise<number>): Promise<number> {
    let status: number;
    // Let the parent finish what it does before the child starts, as after fork().
    await Promise.resolve();
    try {
      status = await body(this);
      status = await this.finish(status);
    } catch (err) {
      try {
        status = await this.settle(err);
      } catch (bug) {
        // Not the script's doing: the process ends, fakecri goes on.
        await this.writeErr(`${this.arg0}: internal error: ${bug instanceof Error ? bug.message : String(bug)}\n`).catch(() => {});
        status = 2;
      }
    }
    this.close();
    this.proc.exit();
    return status;
  }

  // The status an error or signal ends the shell with; runs the EXIT trap
  // where it should run.
  async settle(err: unknown): Promise<number> {
    if (err instanceof Killed) return killedStatus(err.signal);
    if (err instanceof ExitSignal) return err.replaced ? err.status : this.exit(err.status);
    if (err instanceof ShellError) return this.exit(err.status);
    if (err instanceof ReturnSignal) return this.exit(err.status);
    if (err instanceof LoopSignal) return this.exit(this.status);
    throw err;
  }

  // The end of the script: a trapped signal that came during its last
  // command runs its action first (ash's evaltree calls dotrap() before
  // EV_EXIT ends the shell), then the EXIT trap.
  async finish(status: number): Promise<number> {
    if (this.sigPending && this.inTrap === 0) {
      this.status = status;
      try {
        await this.runTraps();
      } catch (err) {
        return this.settle(err);
      }
    }
    return this.exit(status);
  }

  // Runs the EXIT trap once; answers the shell's final status.
  async exit(status: number): Promise<number> {
    const action = this.traps[0];
    if (!action) return status;
    this.traps[0] = undefined;
    this.status = status;
    try {
      this.inTrap++;
      await this.evalString(action);
    } catch (err) {
      if (err instanceof Killed) return killedStatus(err.signal);
      if (err instanceof ExitSignal) return err.status;
      if (err instanceof ShellError) return err.status;
      if (!(err instanceof ReturnSignal || err instanceof LoopSignal)) throw err;
    } finally {
      this.inTrap--;
    }
    return status;
  }

  // Points fd n at `f` (taking a reference), letting go of what it was.
  setFd(n: number, f: Fd | undefined): void {
    f?.hold();
    this.fds[n]?.release();
    this.fds[n] = f;
  }

  close(): void {
    this.dropSignalListener();
    for (let i = 0; i < this.fds.length; i++) {
      this.fds[i]?.release();
      this.fds[i] = undefined;
    }
  }

  // --- jobs ---

  addJob(proc: Process, pids: number[], done: Promise<number>, text: string): Job {
    // A loop that starts jobs and never waits must not keep them all:
    // past a hundred, the ended ones but the last few are forgotten.
    if (this.jobs.length >= 100) {
      const keep = this.jobs.slice(-10);
      this.jobs = this.jobs.filter((j) => j.status === undefined || keep.includes(j));
    }
    // ash numbers a job by its slot: the first one free, or held by an
    // ended job a wait has reported, which is forgotten then (and only then:
    // `wait $p` twice answers its status twice).
    let id = 1;
    for (;;) {
      const held = this.jobs.find((j) => j.id === id);
      if (!held) break;
      if (held.status !== undefined && held.waited) {
        this.jobs = this.jobs.filter((j) => j !== held);
        break;
      }
      id++;
    }
    const job: Job = { id, proc, pids, done, text };
    done.then(
      (s) => {
        job.status = s;
        job.endedAt = this.fgWaits;
      },
      () => (job.status = 2),
    );
    this.jobs.push(job);
    return job;
  }

  // --- misc ---

  // $RANDOM: deterministic per pid and container, 0..32767.
  nextRandom(): number {
    // xorshift32
    let x = this.random | 0 || 1;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.random = x;
    return (x >>> 0) % 32768;
  }

  ifs(): string {
    const v = this.vars.get('IFS');
    return v === undefined ? ' \t\n' : v;
  }

  // $-: the set options' letters.
  optionLetters(): string {
    let s = '';
    for (const l of ['E', 'u', 'b', 'a', 'C', 'v', 'x', 'c', 's', 'n', 'm', 'i', 'I', 'f', 'e'] as const) if (this.opts[l]) s += l;
    return s;
  }
}


function seed(pid: number, id: string): number {
  let h = 2166136261 ^ pid;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h | 0 || 1;
}
