import type { Interrupt } from '../../domain/sleep';
import { DEFAULT_IGNORED, type Identity, Killed, type Process, type ProcessInfo, type ProcessTable, type SignalName, type SpawnOptions } from './types';

// Highest pid handed out before wrapping, as the kernel's pid_max.
const PID_MAX = 4194304;

// A process's end by a signal, as an Interrupt: the listeners are the
// waits under way (one, mostly), kept in an array.
class Death implements Interrupt {
  reason: Killed | undefined;
  private listeners: (() => void)[] | undefined;

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  addEventListener(_type: 'abort', listener: () => void): void {
    // [listener], not [] and a push: that allocates room for 17.
    if (this.listeners) this.listeners.push(listener);
    else this.listeners = [listener];
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.listeners;
    const i = l ? l.indexOf(listener) : -1;
    if (i < 0) return;
    l![i] = l![l!.length - 1];
    l!.pop();
  }

  die(reason: Killed): void {
    if (this.reason) return;
    this.reason = reason;
    const l = this.listeners;
    this.listeners = undefined;
    if (l) for (const f of l) f();
  }
}

class Proc implements Process {
  readonly ppid: number;
  argv: readonly string[];
  readonly uid: number;
  readonly gid: number;
  readonly startMs: number;
  state: ProcessInfo['state'] = 'running';
  readonly death = new Death();
  private abort?: AbortController;
  private dispositions?: Map<SignalName, 'ignore' | 'handle'>;
  // Made when a handled signal comes: most processes never get one.
  private pending?: SignalName[];
  private listeners?: Set<() => void>;

  constructor(
    private readonly table: Table,
    readonly pid: number,
    options: SpawnOptions,
    now: number,
  ) {
    this.ppid = options.parent?.pid ?? 0;
    this.argv = options.argv;
    this.identity = options.identity;
    this.uid = options.identity.uid;
    this.gid = options.identity.gid;
    this.startMs = now;
  }

  readonly identity: Identity;

  setArgv(argv: readonly string[]): void {
    this.argv = argv;
  }

  get killed(): AbortSignal {
    if (!this.abort) {
      const abort = (this.abort = new AbortController());
      const death = this.death;
      if (death.reason) abort.abort(death.reason);
      else death.addEventListener('abort', () => abort.abort(death.reason));
    }
    return this.abort.signal;
  }

  disposition(sig: SignalName): 'default' | 'ignore' | 'handle' {
    return this.dispositions?.get(sig) ?? 'default';
  }

  setDisposition(sig: SignalName, d: 'default' | 'ignore' | 'handle'): void {
    if (sig === 'KILL' || sig === 'STOP') return; // cannot be caught or ignored
    if (d === 'default') this.dispositions?.delete(sig);
    else (this.dispositions ??= new Map()).set(sig, d);
  }

  takeSignals(): SignalName[] {
    const taken = this.pending ?? [];
    this.pending = undefined;
    return taken;
  }

  onSignal(listener: () => void): () => void {
    (this.listeners ??= new Set()).add(listener);
    return () => this.listeners?.delete(listener);
  }

  // What the signal does to this process, then does it.
  deliver(sig: SignalName): void {
    if (this.state === 'zombie') return;
    if (sig === 'KILL') return this.terminate(sig);
    const d = this.disposition(sig);
    if (d === 'ignore') return;
    if (d === 'handle') {
      // One pending of each, as the kernel keeps them: two CHLDs before
      // the handler runs are one.
      const pending = (this.pending ??= []);
      if (!pending.includes(sig)) pending.push(sig);
      for (const l of [...(this.listeners ?? [])]) l();
      return;
    }
    // The kernel gives a namespace's init no default actions.
    if (this.pid === 1 || DEFAULT_IGNORED.has(sig)) return;
    this.terminate(sig);
  }

  private terminate(sig: SignalName): void {
    this.death.die(new Killed(sig));
  }

  exit(): void {
    if (this.state === 'zombie') return;
    this.state = 'zombie';
    this.listeners = undefined;
    this.table.reap(this);
    // The parent hears of it (its default ignores it; a shell may trap it).
    this.table.signal(this.ppid, 'CHLD');
  }
}

// pids count up from 1 per container, as in a fresh pid namespace.
class Table implements ProcessTable {
  private readonly procs = new Map<number, Proc>();
  private lastPid = 0;

  constructor(private readonly now: () => number) {}

  spawn(options: SpawnOptions): Process {
    const pid = this.nextPid();
    const p = new Proc(this, pid, options, this.now());
    this.procs.set(pid, p);
    return p;
  }

  private nextPid(): number {
    for (;;) {
      this.lastPid = this.lastPid >= PID_MAX ? 2 : this.lastPid + 1;
      if (!this.procs.has(this.lastPid)) return this.lastPid;
    }
  }

  reap(p: Proc): void {
    this.procs.delete(p.pid);
  }

  get(pid: number): Process | undefined {
    return this.procs.get(pid);
  }

  list(): ProcessInfo[] {
    return [...this.procs.values()].map(({ pid, ppid, argv, uid, gid, startMs, state }) => ({ pid, ppid, argv, uid, gid, startMs, state }));
  }

  kill(pid: number, sig: SignalName | 0, sender: Identity): 'ok' | 'ESRCH' | 'EPERM' {
    const p = this.procs.get(pid);
    if (!p) return 'ESRCH';
    if (sender.uid !== 0 && sender.uid !== p.uid) return 'EPERM';
    if (sig === 0 || (pid === 1 && p.disposition(sig) !== 'handle')) return 'ok';
    p.deliver(sig);
    return 'ok';
  }

  signal(pid: number, sig: SignalName): void {
    this.procs.get(pid)?.deliver(sig);
  }

  killAll(): void {
    for (const p of [...this.procs.values()]) p.deliver('KILL');
  }
}

export function newProcessTable(now: () => number = Date.now): ProcessTable {
  return new Table(now);
}
