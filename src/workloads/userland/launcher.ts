import { posix } from 'node:path';
import type { Applet, AppletContext, ContainerInfo, RunOptions } from '../applets/types';
import { emptyIn, nullOut } from '../procs/streams';
import { type Identity, type InStream, Killed, type OutStream, type Process, SIGNALS } from '../procs/types';
import { DEFAULT_PATH, resolvePath, searchPath } from '../rootfs/path';
import { type Caller, type ContainerFs, FsError, isFill, isFsError } from '../rootfs/types';
import { imageProgram } from './image-program';
import { nextSlice } from './scheduler';

// How processes start in a container: argv[0] is found through PATH in the
// container's files, as execvp does; /bin/NAME → /bin/busybox runs the
// applet NAME (argv[0]'s basename, as busybox decides); a `#!` script runs
// its interpreter; a file without either runs as an sh script (ENOEXEC, as
// ash does); one of the image's own programs (an ELF stub, or a name the
// image does not have when the image is not busybox-like) is emulated by
// image-program.ts. One Launcher per session: the container's program
// (whose clock may be replaying) and ExecSync/exec share the processes and
// files but not their clock.

export interface LauncherOptions {
  applets: ReadonlyMap<string, Applet>;
  // The container's files as a caller sees them.
  fs(caller: Caller): ContainerFs;
  info: ContainerInfo;
  // What a name found nowhere is: "not found" (busybox-like images, exec),
  // or a program of the image fakecri knows nothing of, that runs until
  // stopped (the image's own entrypoint).
  unknown: 'not-found' | 'program';
}

export interface StartOptions extends RunOptions {
  identity: Identity;
  parent?: Process;
  // Called with the process once it exists (pid 1 for the program).
  onStart?: (proc: Process) => void;
}

interface Target {
  applet: Applet;
  argv: readonly string[];
}

interface Io {
  env: Record<string, string>;
  cwd: string;
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
  umask: number;
}

const ELF = '\x7fELF';

export class Launcher {
  constructor(private readonly o: LauncherOptions) {}

  get info(): ContainerInfo {
    return this.o.info;
  }

  // Starts argv as a new process (or in options.process with inProcess) and
  // answers its wait status. Rejects with FsError ENOENT/EACCES before
  // anything starts.
  async start(argv: readonly string[], options: StartOptions): Promise<number> {
    const io: Io = {
      env: options.env ?? { PATH: DEFAULT_PATH },
      cwd: options.cwd ?? '/',
      stdin: options.stdin ?? emptyIn,
      stdout: options.stdout ?? nullOut,
      stderr: options.stderr ?? nullOut,
      umask: options.umask ?? 0o022,
    };
    const owner = options.process ?? options.parent;
    const identity = owner?.identity ?? options.identity;
    const target = this.resolve(argv, io, identity);
    const inPlace = options.inProcess && owner;
    const proc = inPlace ? owner : this.o.info.procs.spawn({ argv, parent: owner, identity });
    if (inPlace && options.exec) proc.setArgv(target.argv);
    options.onSpawn?.(proc);
    options.onStart?.(proc);
    const status = await this.runIn(proc, target, io);
    if (!inPlace) proc.exit(status);
    return status;
  }

  private resolve(argv: readonly string[], io: Io, identity: Identity, depth = 0): Target {
    const name = argv[0];
    if (!name) throw new FsError('ENOENT', '');
    const fs = this.o.fs(caller(identity, 0, io.umask));
    const { path, error } = searchPath(fs, name, io.env.PATH ?? DEFAULT_PATH, io.cwd);
    if (path === undefined) {
      if (this.o.unknown === 'program' && error === 'ENOENT') return { applet: imageProgram(posix.basename(name)), argv };
      throw new FsError(error, name);
    }
    let real: string;
    try {
      if (fs.stat(path).type === 'dir') throw new FsError('EACCES', name);
      fs.access(path, 1);
      real = fs.realpath(path);
    } catch (err) {
      if (isFsError(err, 'ENOENT') && this.o.unknown === 'program') return { applet: imageProgram(posix.basename(name)), argv };
      throw err;
    }
    if (posix.basename(real) === 'busybox') {
      const args = posix.basename(name) === 'busybox' ? argv.slice(1) : argv;
      const applet = args.length > 0 ? this.o.applets.get(posix.basename(args[0])) : undefined;
      if (!applet) throw new FsError('ENOENT', name);
      return { applet, argv: args };
    }
    const head = readHead(fs, real);
    if (head.startsWith(ELF)) return { applet: imageProgram(posix.basename(real)), argv };
    if (head.startsWith('#!') && depth < 4) {
      const line = head.slice(2).split('\n')[0].trim();
      const sp = line.search(/[ \t]/);
      const interp = sp < 0 ? line : line.slice(0, sp);
      const arg = sp < 0 ? '' : line.slice(sp).trim();
      const inner = this.resolve([interp], io, identity, depth + 1);
      return { applet: inner.applet, argv: [...inner.argv, ...(arg ? [arg] : []), path, ...argv.slice(1)] };
    }
    // ENOEXEC: ash runs the file as a script of its own.
    const sh = this.o.applets.get('sh');
    if (!sh) throw new FsError('ENOENT', name);
    return { applet: sh, argv: ['sh', path, ...argv.slice(1)] };
  }

  private async runIn(proc: Process, target: Target, io: Io): Promise<number> {
    try {
      return await target.applet(this.context(proc, target.argv, io));
    } catch (err) {
      if (err instanceof Killed) return 128 + SIGNALS[err.signal];
      if (proc.killed.aborted) return 128 + SIGNALS[(proc.killed.reason as Killed).signal];
      // A write to a pipe nobody reads: SIGPIPE, whose default kills.
      if (isFsError(err, 'EPIPE')) return 128 + SIGNALS.PIPE;
      if (isFsError(err)) {
        const name = posix.basename(target.argv[0]);
        await io.stderr.write(err.path ? `${name}: ${err.path}: ${err.message}\n` : `${name}: ${err.message}\n`).catch(() => {});
        return 1;
      }
      throw err;
    }
  }

  private context(proc: Process, argv: readonly string[], io: Io): AppletContext {
    return new ProcessContext(this, proc, argv, io, this.o.fs(caller(proc.identity, proc.pid, io.umask)));
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
  ) {
    this.env = io.env;
    this.cwd = io.cwd;
    this.stdin = killable(io.stdin, proc);
    this.stdout = io.stdout;
    this.stderr = io.stderr;
    this.container = launcher.info;
  }

  async sleep(ms: number): Promise<void> {
    await this.container.clock.sleep(ms, this.proc.killed);
    // A timer wakes its sleeper outside any slice: it waits for one, so
    // that a thousand timers firing at once cannot hold the event loop.
    await this.slice();
  }

  async yield(): Promise<void> {
    this.check();
    await this.slice();
  }

  run(childArgv: readonly string[], options: RunOptions = {}): Promise<number> {
    const io = this.io;
    return this.launcher.start(childArgv, {
      ...options,
      identity: this.proc.identity,
      parent: this.proc,
      env: options.env ?? io.env,
      cwd: options.cwd ? resolvePath(io.cwd, options.cwd) : io.cwd,
      stdin: options.stdin ?? io.stdin,
      stdout: options.stdout ?? io.stdout,
      stderr: options.stderr ?? io.stderr,
      umask: options.umask ?? io.umask,
    });
  }

  private check(): void {
    if (this.proc.killed.aborted) throw this.proc.killed.reason;
  }

  private async slice(): Promise<void> {
    const wait = nextSlice();
    if (wait) {
      await wait;
      this.check();
    }
  }
}

export const caller = (id: Identity, pid: number, umask = 0o022): Caller => ({ uid: id.uid, gid: id.gid, groups: id.groups, pid, umask });

function readHead(fs: ContainerFs, path: string): string {
  try {
    const fh = fs.open(path, { read: true });
    try {
      const head = fh.read(256);
      return head && !isFill(head) ? Buffer.from(head).toString('latin1') : '';
    } finally {
      fh.close();
    }
  } catch {
    return '';
  }
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
