import { posix } from 'node:path';
import { type AppletContext, type CommandLookup, type ContainerInfo, NO_WAIT, type OpenFile, type RunOptions } from '../applets/types';
import { emptyIn, nullOut } from '../procs/streams';
import { type Clock, type Identity, type InStream, Killed, type OutStream, type Process, SIGNALS, type SignalName, diedOf } from '../procs/types';
import { DEFAULT_PATH, resolvePath } from '../rootfs/path';
import { type ContainerFs, FsError, isFsError } from '../rootfs/types';
import { type ResolveOptions, type Target, caller, resolveCommand } from './resolve';
import { blocking, nextSlice } from './scheduler';

// How processes start in a container, argv[0] found as resolve.ts says.
// One Launcher per session: the container's program (whose clock may be
// replaying) and ExecSync/exec share the processes and files but not their
// clock.

export interface LauncherOptions extends ResolveOptions {
  info: ContainerInfo;
}

export interface StartOptions extends RunOptions {
  identity: Identity;
  parent?: Process;
  // Called with the process once it exists (pid 1 for the program).
  onStart?: (proc: Process) => void;
}

interface Io {
  env: Record<string, string>;
  cwd: string;
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
  umask: number;
  hash?: CommandLookup;
  path?: string;
  files?: readonly (OpenFile | undefined)[];
}

export class Launcher {
  constructor(private readonly o: LauncherOptions) {}

  get info(): ContainerInfo {
    return this.o.info;
  }

  // Starts argv as a new process (or in options.process with inProcess) and
  // answers its wait status. Rejects with FsError ENOENT/EACCES before
  // anything starts. Not async, nor is what it hands on to: a frame held
  // here for the command's life is kept alive by every sleeping loop.
  start(argv: readonly string[], options: StartOptions): Promise<number> {
    const io: Io = {
      env: options.env ?? { PATH: DEFAULT_PATH },
      cwd: options.cwd ?? '/',
      stdin: options.stdin ?? emptyIn,
      stdout: options.stdout ?? nullOut,
      stderr: options.stderr ?? nullOut,
      umask: options.umask ?? 0o022,
      hash: options.hash,
      path: options.path,
      files: options.files,
    };
    const owner = options.process ?? options.parent;
    const identity = owner?.identity ?? options.identity;
    try {
      const inPlace = options.inProcess && owner;
      const target = inPlace && options.builtin ? this.builtin(argv) : resolveCommand(this.o, argv, io, identity);
      const proc = inPlace ? owner : this.o.info.procs.spawn({ argv, parent: owner, identity });
      if (inPlace && options.exec) proc.setArgv(target.argv);
      options.onSpawn?.(proc);
      options.onStart?.(proc);
      const ms = target.applet.waits?.(target.argv);
      const signalled = inPlace ? undefined : options.signalled;
      return ms === undefined ? this.runIn(proc, target, io, !inPlace, !!(inPlace && options.builtin), signalled) : this.waitIn(proc, ms, !inPlace, signalled);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private builtin(argv: readonly string[]): Target {
    const applet = this.o.applets.get(argv[0]);
    if (!applet) throw new FsError('ENOENT', argv[0]);
    return { applet, argv };
  }

  private async runIn(proc: Process, target: Target, io: Io, exits: boolean, builtin: boolean, signalled: Signalled): Promise<number> {
    let status: number;
    try {
      status = await target.applet(this.context(proc, target.argv, io, builtin));
    } catch (err) {
      status = await this.failed(proc, target, io, err);
    }
    return ended(proc, status, exits, signalled);
  }

  // An applet that only waits (Applet.waits): its process sleeps. A chain,
  // not an async frame held for the whole sleep.
  private waitIn(proc: Process, ms: number, exits: boolean, signalled: Signalled): Promise<number> {
    return sleepIn(this.o.info.clock, proc, ms).then(
      () => ended(proc, 0, exits, undefined),
      (err) => this.failed(proc, undefined, undefined, err).then((status) => ended(proc, status, exits, signalled)),
    );
  }

  // What an applet's failure makes its status; what is not the process's
  // own failure goes on up.
  private async failed(proc: Process, target: Target | undefined, io: Io | undefined, err: unknown): Promise<number> {
    if (err instanceof Killed) return 128 + SIGNALS[err.signal];
    if (proc.death.aborted) return 128 + SIGNALS[(proc.death.reason as Killed).signal];
    // A write to a pipe nobody reads: SIGPIPE, whose default kills.
    if (isFsError(err, 'EPIPE')) return 128 + SIGNALS.PIPE;
    if (isFsError(err) && target && io) {
      const name = posix.basename(target.argv[0]);
      await io.stderr.write(err.path ? `${name}: ${err.path}: ${err.message}\n` : `${name}: ${err.message}\n`).catch(() => {});
      return 1;
    }
    throw err;
  }

  private context(proc: Process, argv: readonly string[], io: Io, builtin: boolean): AppletContext {
    return new ProcessContext(this, proc, argv, io, this.o.fs(caller(proc.identity, proc.pid, io.umask)), builtin);
  }
}

// What an applet gets: a class, not an object of closures, for every
// process has one.
class ProcessContext implements AppletContext {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly stdin: InStream;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly container: ContainerInfo;

  constructor(
    private readonly launcher: Launcher,
    readonly proc: Process,
    readonly argv: readonly string[],
    private readonly io: Io,
    readonly fs: ContainerFs,
    private readonly builtin: boolean,
  ) {
    this.env = io.env;
    this.cwd = io.cwd;
    this.stdin = killable(io.stdin, proc);
    this.stdout = io.stdout;
    this.stderr = io.stderr;
    this.container = launcher.info;
  }

  get files(): readonly (OpenFile | undefined)[] | undefined {
    return this.io.files;
  }

  // Asked only for a message: not worked out for every `[` of a loop.
  get builtinOf(): string | undefined {
    return this.builtin ? posix.basename(this.proc.argv[0] ?? '') : undefined;
  }

  sleep(ms: number): Promise<void> {
    return sleepIn(this.container.clock, this.proc, ms);
  }

  yield(): Promise<void> {
    const death = this.proc.death;
    if (death.aborted) return Promise.reject(death.reason);
    const wait = nextSlice();
    return wait ? wait.then(() => alive(this.proc)) : NO_WAIT;
  }

  run(childArgv: readonly string[], options: RunOptions = {}): Promise<number> {
    const io = this.io;
    // Every field named, none spread: V8 builds a spread with fields added
    // after it in the old generation, where each command's copy stayed,
    // garbage, until a full GC.
    return this.launcher.start(childArgv, {
      identity: this.proc.identity,
      parent: this.proc,
      env: options.env ?? io.env,
      cwd: options.cwd ? resolvePath(io.cwd, options.cwd) : io.cwd,
      stdin: options.stdin ?? io.stdin,
      stdout: options.stdout ?? io.stdout,
      stderr: options.stderr ?? io.stderr,
      umask: options.umask ?? io.umask,
      onSpawn: options.onSpawn,
      signalled: options.signalled,
      inProcess: options.inProcess,
      builtin: options.builtin,
      exec: options.exec,
      process: options.process,
      hash: options.hash,
      path: options.path,
      files: options.files ?? io.files,
    });
  }
}

type Signalled = ((signal: SignalName) => void) | undefined;

// `exits`: the process is this command's own, and ends with it; one a
// signal ended is reported to `signalled`.
function ended(proc: Process, status: number, exits: boolean, signalled: Signalled): number {
  if (exits) {
    const sig = signalled && diedOf(proc, status);
    if (sig) signalled(sig);
    proc.exit();
  }
  return status;
}

// Not async: a frame here would stay alive for the whole sleep, beside
// the caller's.
function sleepIn(clock: Clock, proc: Process, ms: number): Promise<void> {
  blocking();
  return clock.sleep(ms, proc.death).then(() => {
    // A timer wakes its sleeper outside any slice: it waits for one, so
    // that a thousand timers firing at once cannot hold the event loop.
    const wait = nextSlice();
    return wait ? wait.then(() => alive(proc)) : alive(proc);
  });
}

function alive(proc: Process): void {
  if (proc.death.aborted) throw proc.death.reason;
}

// Reads that end with Killed when the process is killed while it waits.
function killable(input: InStream, proc: Process): InStream {
  return new KillableIn(input, proc);
}

class KillableIn implements InStream {
  constructor(
    private readonly input: InStream,
    private readonly proc: Process,
  ) {}

  get isTTY(): boolean | undefined {
    return this.input.isTTY;
  }

  get tty(): InStream['tty'] {
    return this.input.tty;
  }

  read(max?: number): ReturnType<InStream['read']> {
    const killed = this.proc.killed;
    return new Promise((resolve, reject) => {
      if (killed.aborted) return reject(killed.reason);
      const onAbort = () => reject(killed.reason);
      killed.addEventListener('abort', onAbort, { once: true });
      this.input.read(max).then(
        (v) => {
          killed.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          killed.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }
}
