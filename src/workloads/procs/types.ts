import type { Interrupt } from '../../domain/sleep';
import type { Chunk } from '../rootfs/types';

// The processes of one container, as its program, ExecSync and exec see
// them: pids, signals, pipes and time. Nothing here runs a real process.

export const SIGNALS = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  PWR: 30,
  SYS: 31,
} as const;
export type SignalName = keyof typeof SIGNALS;

// What a signal does to a process that neither traps nor ignores it.
// STOP, TSTP, TTIN and TTOU are not modelled: they are ignored.
export const DEFAULT_IGNORED: ReadonlySet<SignalName> = new Set(['CHLD', 'CONT', 'WINCH', 'URG', 'STOP', 'TSTP', 'TTIN', 'TTOU']);

// What a signal's death says (glibc's strsignal): ash prints it when a
// command it waits for dies so.
export const SIGNAL_TEXT: Readonly<Record<SignalName, string>> = {
  HUP: 'Hangup',
  INT: 'Interrupt',
  QUIT: 'Quit',
  ILL: 'Illegal instruction',
  TRAP: 'Trace/breakpoint trap',
  ABRT: 'Aborted',
  BUS: 'Bus error',
  FPE: 'Floating point exception',
  KILL: 'Killed',
  USR1: 'User defined signal 1',
  SEGV: 'Segmentation fault',
  USR2: 'User defined signal 2',
  PIPE: 'Broken pipe',
  ALRM: 'Alarm clock',
  TERM: 'Terminated',
  STKFLT: 'Stack fault',
  CHLD: 'Child exited',
  CONT: 'Continued',
  STOP: 'Stopped (signal)',
  TSTP: 'Stopped',
  TTIN: 'Stopped (tty input)',
  TTOU: 'Stopped (tty output)',
  URG: 'Urgent I/O condition',
  XCPU: 'CPU time limit exceeded',
  XFSZ: 'File size limit exceeded',
  VTALRM: 'Virtual timer expired',
  PROF: 'Profiling timer expired',
  WINCH: 'Window changed',
  IO: 'I/O possible',
  PWR: 'Power failure',
  SYS: 'Bad system call',
};

// The wait status as sh shows it: the exit code, or 128 + the signal.
export const killedStatus = (sig: SignalName): number => 128 + SIGNALS[sig];

// The signal that ended a process, if its status is that death's (not an
// `exit 143` of its own).
export function diedOf(proc: Process, status: number | undefined): SignalName | undefined {
  const death = proc.death.reason;
  return death instanceof Killed && status === killedStatus(death.signal) ? death.signal : undefined;
}

// Raised inside a process that a signal terminates (or SIGKILL); whatever it
// awaits rejects with it, so it unwinds without running more of its code.
export class Killed extends Error {
  constructor(readonly signal: SignalName) {
    super(`killed by SIG${signal}`);
    this.name = 'Killed';
  }
}

// A byte stream a process reads: its stdin, a pipe, a file, /dev/zero.
export interface InStream {
  // The next bytes, at most `max` when given; null at end of input. Waits
  // for a writer on a pipe; rejects with Killed if the process is killed.
  read(max?: number): Promise<Chunk | null>;
  // A terminal (exec -it, a container with tty): `[ -t 0 ]`, stty, an
  // interactive sh.
  readonly isTTY?: boolean;
  readonly tty?: Terminal;
}

// A byte stream a process writes: stdout, stderr, a pipe, a file. Strings
// are UTF-8. Waits while a pipe is full; rejects with an FsError EPIPE when
// nobody reads any more, ENOSPC or EROFS from a file.
export interface OutStream {
  write(data: Chunk | string): Promise<void>;
  // A terminal (exec -t): applets like ls change their output for it.
  readonly isTTY?: boolean;
  readonly tty?: Terminal;
}

// The termios flags fakecri's line discipline honours (stty changes them).
export interface TerminalModes {
  echo: boolean; // typed input is echoed
  icanon: boolean; // input by lines, with erase and kill
  isig: boolean; // ^C, ^\ and ^Z send signals
  icrnl: boolean; // a typed CR reads as NL
  onlcr: boolean; // NL is written as CR NL
}

// A process's controlling terminal, as stty and the shell see it.
export interface Terminal {
  readonly rows: number;
  readonly cols: number;
  readonly modes: Readonly<TerminalModes>;
  setModes(modes: Partial<TerminalModes>): void;
  setSize(rows: number, cols: number): void;
}

// Time as the container sees it. Normally the wall clock; while a program is
// replayed after a restart of fakecri, a virtual clock that runs ahead to
// the present (see replaying).
export interface Clock {
  now(): number; // ms since the epoch
  // Resolves after `ms` on this clock; rejects with signal.reason when it aborts.
  sleep(ms: number, signal: Interrupt): Promise<void>;
  // True while the program re-runs what it already did before a restart:
  // its output and its file writes are dropped then, as they happened already.
  replaying(): boolean;
  // A write of the program's: true when it is one made before the restart
  // (to be dropped); counts it. Without it, replaying() decides.
  effect?(): boolean;
  // The program waits on the world (a connection, its stdin): whatever it
  // does from here is new, so a replay is over.
  caughtUp?(): void;
}

export interface Identity {
  uid: number;
  gid: number;
  groups: readonly number[]; // supplementary, besides gid
  user?: string; // the user name, when the image's /etc/passwd or the CRI says it
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: readonly string[];
  uid: number;
  gid: number;
  startMs: number;
  state: 'running' | 'sleeping' | 'zombie';
}

// One process. What it runs is its owner's business (the shell's evaluator,
// an applet); the table only keeps its identity, its signals and its end.
export interface Process extends ProcessInfo {
  readonly identity: Identity;
  // Aborted with a Killed reason when a signal terminates the process (its
  // default action, or SIGKILL). Pass it to every wait.
  readonly killed: AbortSignal;
  // The same, lighter: `killed` is an AbortSignal (an EventTarget, a Map,
  // listener records), made only when asked for. A loop's every `sleep`
  // and step looks at this instead.
  readonly death: Interrupt;
  // How the process disposes of each signal. 'default' terminates it (or is
  // ignored, see DEFAULT_IGNORED); for the container's pid 1 'default' is
  // ignored too, as the kernel does for a namespace's init, except KILL.
  // 'handle' queues the signal for the owner: see takeSignals/onSignal.
  disposition(sig: SignalName): 'default' | 'ignore' | 'handle';
  setDisposition(sig: SignalName, d: 'default' | 'ignore' | 'handle'): void;
  // Handled signals received and not yet taken, oldest first.
  takeSignals(): SignalName[];
  // Called when a handled signal arrives (a shell's `wait` wakes on it).
  onSignal(listener: () => void): () => void;
  // Ends the process; the table drops it at once. Its wait status goes to
  // whoever started it (the launcher's promise), not through the table.
  exit(): void;
  // execve: the command line the process shows from now on.
  setArgv(argv: readonly string[]): void;
}

export interface SpawnOptions {
  argv: readonly string[];
  parent?: Process; // none for the container's first process and for ExecSync
  identity: Identity;
}

// The process table of one container: pid 1 is its program. ExecSync and
// exec start processes beside it; `kill`, `ps` and /proc see them all.
export interface ProcessTable {
  spawn(options: SpawnOptions): Process;
  get(pid: number): Process | undefined;
  list(): ProcessInfo[];
  // kill(2) from a process of the container: ESRCH is an unknown pid, EPERM
  // a process of another user (unless root). As the kernel does for a
  // namespace's init, pid 1 gets only the signals it handles: SIGKILL from
  // inside does not reach it. Answers what happened, for kill's message.
  kill(pid: number, sig: SignalName | 0, sender: Identity): 'ok' | 'ESRCH' | 'EPERM';
  // A signal from outside (the runtime's stop signal): SIGKILL reaches pid 1.
  signal(pid: number, sig: SignalName): void;
  // Every process gets SIGKILL: the container stops.
  killAll(): void;
}
