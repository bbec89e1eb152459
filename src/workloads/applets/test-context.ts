import { posix } from 'node:path';
import { realClock } from '../procs/clock';
import { Collector, bytesIn, emptyIn } from '../procs/streams';
import { newProcessTable } from '../procs/table';
import { type Identity, type InStream, Killed, type OutStream, type Process, type ProcessTable, SIGNALS } from '../procs/types';
import { DEFAULT_PATH, findInPath, resolvePath } from '../rootfs/path';
import { testRoot } from '../rootfs/image-root';
import { Rootfs } from '../rootfs/rootfs';
import { CapacitySpace } from '../rootfs/space';
import { type Caller, type ContainerFs, FsError, isFill, isFsError } from '../rootfs/types';
import type { Applet, AppletContext, ContainerInfo, RunOptions } from './types';

// A container for tests: applets run as processes of a ProcessTable over a
// ContainerFs, and run() resolves commands through PATH as a busybox image
// does (/bin/NAME → /bin/busybox runs the applet NAME; `#!` scripts run
// their interpreter). The integration builds the same from the real parts.

export interface TestContainerOptions {
  // The container's files as a given process sees them.
  fs: (caller: Caller) => ContainerFs;
  applets: ReadonlyMap<string, Applet>;
  procs?: ProcessTable;
  info?: Partial<Omit<ContainerInfo, 'procs'>>;
  // How many yield() calls pass before one really lets the event loop run.
  stepBudget?: number;
}

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  out: Buffer;
}

export interface StartOptions extends RunOptions {
  identity?: Identity;
  parent?: Process;
}

export const ROOT: Identity = { uid: 0, gid: 0, groups: [], user: 'root' };

export class TestContainer {
  readonly procs: ProcessTable;
  readonly info: ContainerInfo;

  constructor(private readonly options: TestContainerOptions) {
    this.procs = options.procs ?? newProcessTable(() => (options.info?.clock ?? realClock).now());
    this.info = {
      id: 'test',
      hostname: 'test-pod',
      clock: realClock,
      podIps: ['10.244.0.5'],
      cpus: 2,
      memoryLimitBytes: 0,
      arch: 'x86_64',
      kernelRelease: '6.1.0-fakecri',
      ...options.info,
      procs: this.procs,
    };
  }

  // Runs argv to its end, collecting its output.
  async exec(argv: readonly string[], options: StartOptions & { input?: string | Uint8Array } = {}): Promise<RunResult> {
    const stdout = new Collector();
    const stderr = new Collector();
    const stdin = options.stdin ?? (options.input !== undefined ? bytesIn(options.input) : emptyIn);
    let status: number;
    try {
      status = await this.start(argv, { ...options, stdin, stdout: options.stdout ?? stdout, stderr: options.stderr ?? stderr });
    } catch (err) {
      if (!isFsError(err)) throw err;
      await stderr.write(`sh: ${argv[0]}: not found\n`);
      status = err.code === 'EACCES' ? 126 : 127;
    }
    return { status, stdout: stdout.text(), stderr: stderr.text(), out: stdout.buffer() };
  }

  // Starts argv as a new process (a child of options.parent) and answers
  // its wait status. Rejects with FsError ENOENT/EACCES before starting.
  async start(argv: readonly string[], options: StartOptions = {}): Promise<number> {
    const env = options.env ?? { PATH: DEFAULT_PATH, HOME: '/root' };
    const cwd = options.cwd ?? '/';
    const identity = options.identity ?? options.parent?.identity ?? ROOT;
    const target = this.resolve(argv, env, cwd, identity);
    const proc = options.inProcess && options.parent ? options.parent : this.procs.spawn({ argv, parent: options.parent, identity });
    if (options.inProcess && options.exec) proc.setArgv(argv);
    options.onSpawn?.(proc);
    const streams = {
      stdin: options.stdin ?? emptyIn,
      stdout: options.stdout ?? nullOutStream,
      stderr: options.stderr ?? nullOutStream,
    };
    const status = await this.runIn(proc, target, { env, cwd, ...streams });
    if (proc !== options.parent) proc.exit();
    return status;
  }

  // What argv[0] names: an applet with its argv, or a script's interpreter.
  private resolve(argv: readonly string[], env: Record<string, string>, cwd: string, identity: Identity): { applet: Applet; argv: readonly string[] } {
    const fs = this.options.fs(caller(identity, 0));
    if (argv.length === 0) throw new FsError('ENOENT', '');
    const path = findInPath(fs, argv[0], env.PATH ?? DEFAULT_PATH, cwd);
    if (path === undefined) throw new FsError('ENOENT', argv[0]);
    const st = fs.stat(path);
    if (st.type === 'dir') throw new FsError('EACCES', argv[0]);
    fs.access(path, 1);
    const real = fs.realpath(path);
    if (posix.basename(real) === 'busybox') {
      let args = argv;
      if (posix.basename(args[0]) === 'busybox') args = args.slice(1);
      const applet = args.length > 0 ? this.options.applets.get(posix.basename(args[0])) : undefined;
      if (!applet) throw new FsError('ENOENT', argv[0]);
      return { applet, argv: args };
    }
    // A script: "#!interpreter [arg]".
    const fh = fs.open(real, { read: true });
    const head = fh.read(256);
    fh.close();
    const text = head && !isFill(head) ? Buffer.from(head).toString('latin1') : '';
    if (!text.startsWith('#!')) throw new FsError('ENOENT', argv[0]);
    const line = text.slice(2).split('\n')[0].trim();
    const sp = line.search(/[ \t]/);
    const interp = sp < 0 ? line : line.slice(0, sp);
    const arg = sp < 0 ? '' : line.slice(sp).trim();
    const inner = this.resolve([interp], env, cwd, identity);
    return { applet: inner.applet, argv: [...inner.argv, ...(arg ? [arg] : []), path, ...argv.slice(1)] };
  }

  private async runIn(
    proc: Process,
    target: { applet: Applet; argv: readonly string[] },
    io: { env: Record<string, string>; cwd: string; stdin: InStream; stdout: OutStream; stderr: OutStream },
  ): Promise<number> {
    const ctx = this.context(proc, target.argv, io);
    try {
      return await target.applet(ctx);
    } catch (err) {
      if (err instanceof Killed) return 128 + SIGNALS[err.signal];
      if (isFsError(err)) {
        const name = posix.basename(target.argv[0]);
        await io.stderr.write(err.path ? `${name}: ${err.path}: ${err.message}\n` : `${name}: ${err.message}\n`).catch(() => {});
        return 1;
      }
      throw err;
    }
  }

  // The AppletContext of a process.
  context(
    proc: Process,
    argv: readonly string[],
    io: { env: Record<string, string>; cwd: string; stdin: InStream; stdout: OutStream; stderr: OutStream },
  ): AppletContext {
    const budget = this.options.stepBudget ?? 256;
    let steps = 0;
    const checkKilled = () => {
      if (proc.killed.aborted) throw proc.killed.reason;
    };
    return {
      argv,
      env: io.env,
      cwd: io.cwd,
      stdin: killable(io.stdin, proc),
      stdout: io.stdout,
      stderr: io.stderr,
      fs: this.options.fs(caller(proc.identity, proc.pid)),
      proc,
      container: this.info,
      sleep: (ms) => this.info.clock.sleep(ms, proc.killed),
      yield: async () => {
        checkKilled();
        if (++steps < budget) return;
        steps = 0;
        await new Promise((r) => setImmediate(r));
        checkKilled();
      },
      run: (childArgv, options = {}) =>
        this.start(childArgv, {
          ...options,
          env: options.env ?? io.env,
          cwd: options.cwd ? resolvePath(io.cwd, options.cwd) : io.cwd,
          stdin: options.stdin ?? io.stdin,
          stdout: options.stdout ?? io.stdout,
          stderr: options.stderr ?? io.stderr,
          parent: proc,
        }),
    };
  }
}

const caller = (id: Identity, pid: number): Caller => ({ uid: id.uid, gid: id.gid, groups: id.groups, pid });

const nullOutStream: OutStream = { write: async () => {} };

// Reads that end with Killed when the process is killed while it waits.
function killable(input: InStream, proc: Process): InStream {
  return {
    read: (max) =>
      new Promise((resolve, reject) => {
        if (proc.killed.aborted) return reject(proc.killed.reason);
        const onAbort = () => reject(proc.killed.reason);
        proc.killed.addEventListener('abort', onAbort, { once: true });
        input.read(max).then(
          (v) => {
            proc.killed.removeEventListener('abort', onAbort);
            resolve(v);
          },
          (e) => {
            proc.killed.removeEventListener('abort', onAbort);
            reject(e);
          },
        );
      }),
  };
}

// A stand-in for sh in these tests (the real one is the shell's): `sh -c
// SCRIPT` runs simple commands separated by ';' or newlines, words split on
// blanks with '…' and "…" quoting, and `exit N`.
export const miniSh: Applet = async (ctx) => {
  if (ctx.argv[1] !== '-c' || ctx.argv.length < 3) {
    await ctx.stderr.write('sh: only -c SCRIPT here\n');
    return 2;
  }
  let status = 0;
  for (const cmd of ctx.argv[2].split(/[;\n]/)) {
    const words = [...cmd.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
    if (words.length === 0) continue;
    if (words[0] === 'exit') return Number(words[1] ?? status);
    try {
      status = await ctx.run(words);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await ctx.stderr.write(`sh: ${words[0]}: not found\n`);
      status = 127;
    }
  }
  return status;
};

// A busybox-like container on a memory tree of `capacity` bytes, with every
// applet in /bin (and miniSh as sh unless the map has one).
export function memoryContainer(
  applets: ReadonlyMap<string, Applet>,
  options: { capacity?: number; inodes?: number; seed?: number; info?: TestContainerOptions['info'] } = {},
): { container: TestContainer; rootfs: Rootfs; space: CapacitySpace; fs: ContainerFs } {
  if (!applets.has('sh')) applets = new Map([...applets, ['sh', miniSh]]);
  const space = new CapacitySpace(options.capacity ?? 256 * 1024 * 1024, options.inodes ?? 100000);
  const tree = testRoot([...applets.keys()], { space });
  const rootfs = new Rootfs(tree, [], options.seed ?? 7);
  const container = new TestContainer({ fs: (c) => rootfs.view(c), applets, info: options.info });
  return { container, rootfs, space, fs: rootfs.view({ uid: 0, gid: 0, groups: [], pid: 0 }) };
}
