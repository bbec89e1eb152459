import { posix } from 'node:path';
import type { Applet, AppletContext, ContainerInfo, RunOptions } from '../applets/types';
import { realClock } from '../procs/clock';
import { Collector, bytesIn, chunkBuffer, emptyIn } from '../procs/streams';
import { newProcessTable } from '../procs/table';
import { type Identity, type InStream, Killed, type OutStream, type Process, type ProcessTable, SIGNALS, type SignalName } from '../procs/types';
import { DEFAULT_PATH, findInPath, resolvePath } from '../rootfs/path';
import { testRoot } from '../rootfs/image-root';
import { Rootfs } from '../rootfs/rootfs';
import { type Chunk, type ContainerFs, FsError, isFsError } from '../rootfs/types';
import { sh } from './applet';

// A small container for the shell's tests: the container's files on a
// memory tree (rootfs' testRoot), a process table, and a handful of applets
// written here, so the shell is tested on its own. (The real applets are
// tested where they live.)

const ROOT: Identity = { uid: 0, gid: 0, groups: [], user: 'root' };

interface Io {
  env: Record<string, string>;
  cwd: string;
  stdin: InStream;
  stdout: OutStream;
  stderr: OutStream;
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

// A container: its files, processes, and applets by name.
export class Kit {
  readonly applets = new Map<string, Applet>([...Object.entries(APPLETS), ['sh', sh]]);
  readonly fs: ContainerFs = new Rootfs(testRoot([...this.applets.keys()]), [], 42).view({ uid: 0, gid: 0, groups: [], pid: 1 });
  readonly procs: ProcessTable = newProcessTable();
  readonly info: ContainerInfo;
  runs = 0;

  constructor(info: Partial<ContainerInfo> = {}) {
    this.info = { id: 'c1', hostname: 'pod', clock: realClock, podIps: [], cpus: 1, memoryLimitBytes: 0, arch: 'x86_64', kernelRelease: '6.1', ...info, procs: this.procs };
  }

  write(path: string, text: string, mode = 0o644): void {
    const h = this.fs.open(path, { write: true, create: true, truncate: true }, mode);
    h.write(Buffer.from(text));
    h.close();
    this.fs.chmod(path, mode);
  }

  // Runs argv as a new process to its end, collecting its output.
  async exec(
    argv: string[],
    opts: { input?: string; stdin?: InStream; env?: Record<string, string>; cwd?: string; onStart?: (p: Process) => void; stdout?: Collector; stderr?: Collector } = {},
  ): Promise<Result> {
    const stdout = opts.stdout ?? new Collector();
    const stderr = opts.stderr ?? new Collector();
    const proc = this.procs.spawn({ argv, identity: ROOT });
    opts.onStart?.(proc);
    const io: Io = {
      env: opts.env ?? { PATH: '/bin', HOME: '/root' },
      cwd: opts.cwd ?? '/',
      stdin: opts.stdin ?? (opts.input !== undefined ? bytesIn(opts.input) : emptyIn),
      stdout,
      stderr,
    };
    const status = await this.runIn(proc, argv, io);
    proc.exit();
    return { status, stdout: stdout.text(), stderr: stderr.text() };
  }

  // Starts `sh -c script` as a process and answers it with its end.
  start(script: string, opts: { env?: Record<string, string>; stdout?: Collector; stderr?: Collector } = {}): { proc: Process; done: Promise<Result> } {
    let proc!: Process;
    const done = this.exec(['sh', '-c', script], { ...opts, onStart: (p) => (proc = p) });
    return { proc, done };
  }

  private async runIn(proc: Process, argv: readonly string[], io: Io): Promise<number> {
    const applet = this.applets.get(posix.basename(argv[0]))!;
    try {
      return await applet(this.context(proc, argv, io));
    } catch (err) {
      if (err instanceof Killed) return 128 + SIGNALS[err.signal];
      if (isFsError(err, 'EPIPE')) return 128 + SIGNALS.PIPE;
      if (isFsError(err)) {
        await io.stderr.write(`${argv[0]}: ${err.message}\n`).catch(() => {});
        return 1;
      }
      throw err;
    }
  }

  context(proc: Process, argv: readonly string[], io: Io): AppletContext {
    let steps = 0;
    return {
      argv,
      ...io,
      fs: this.fs,
      proc,
      container: this.info,
      sleep: (ms) => this.info.clock.sleep(ms, proc.killed),
      yield: async () => {
        if (proc.killed.aborted) throw proc.killed.reason;
        if (++steps < 64) return;
        steps = 0;
        await new Promise((r) => setImmediate(r));
        if (proc.killed.aborted) throw proc.killed.reason;
      },
      run: (child, options: RunOptions = {}) => this.run(proc, child, io, options),
    };
  }

  private async run(caller: Process, argv: readonly string[], io: Io, o: RunOptions): Promise<number> {
    this.runs++;
    const name = argv[0] ?? '';
    // A builtin (echo, kill) is the applet itself, as the launcher has it.
    if (o.builtin && !this.applets.has(name)) throw new FsError('ENOENT', name);
    if (!o.builtin) {
      const path = findInPath(this.fs, name, o.path ?? o.env?.PATH ?? io.env.PATH ?? DEFAULT_PATH, o.cwd ?? io.cwd);
      if (path === undefined || !this.applets.has(posix.basename(name))) throw new FsError('ENOENT', name);
      this.fs.access(path, 1);
    }
    const childIo: Io = { env: o.env ?? io.env, cwd: o.cwd ?? io.cwd, stdin: o.stdin ?? io.stdin, stdout: o.stdout ?? io.stdout, stderr: o.stderr ?? io.stderr };
    const owner = o.process ?? caller;
    if (o.inProcess) return this.runIn(owner, argv, childIo);
    const child = this.procs.spawn({ argv, parent: owner, identity: owner.identity });
    o.onSpawn?.(child);
    const status = await this.runIn(child, argv, childIo);
    child.exit();
    return status;
  }
}

const text = (c: Chunk) => chunkBuffer(c).toString('utf8');

async function readAllText(input: InStream): Promise<string> {
  let s = '';
  for (let c = await input.read(); c !== null; c = await input.read()) s += text(c);
  return s;
}

// Tiny applets: just what the shell's tests use.
const APPLETS: Record<string, Applet> = {
  true: async () => 0,
  false: async () => 1,
  echo: async (ctx) => {
    let args = ctx.argv.slice(1);
    let nl = true;
    if (args[0] === '-n') {
      nl = false;
      args = args.slice(1);
    }
    await ctx.stdout.write(args.join(' ') + (nl ? '\n' : ''));
    return 0;
  },
  printf: async (ctx) => {
    const [fmt = '', ...args] = ctx.argv.slice(1);
    let i = 0;
    let out = '';
    do {
      out += fmt.replace(/\\n/g, '\n').replace(/%([sd%])/g, (_, c: string) => (c === '%' ? '%' : (args[i++] ?? (c === 'd' ? '0' : ''))));
    } while (i < args.length && /%[sd]/.test(fmt));
    await ctx.stdout.write(out);
    return 0;
  },
  cat: async (ctx) => {
    const files = ctx.argv.slice(1);
    if (files.length === 0) {
      for (let c = await ctx.stdin.read(); c !== null; c = await ctx.stdin.read()) {
        await ctx.stdout.write(c);
        await ctx.yield();
      }
      return 0;
    }
    let status = 0;
    for (const f of files) {
      try {
        const h = ctx.fs.open(resolvePath(ctx.cwd, f), { read: true });
        for (let c = h.read(65536); c !== null; c = h.read(65536)) await ctx.stdout.write(c);
        h.close();
      } catch (err) {
        if (!isFsError(err)) throw err;
        await ctx.stderr.write(`cat: ${f}: ${err.message}\n`);
        status = 1;
      }
    }
    return status;
  },
  sleep: async (ctx) => {
    const s = ctx.argv[1] === 'infinity' ? 1e9 : Number(ctx.argv[1] ?? '0');
    await ctx.sleep(s * 1000);
    return 0;
  },
  yes: async (ctx) => {
    const line = (ctx.argv[1] ?? 'y') + '\n';
    for (;;) {
      await ctx.stdout.write(line);
      await ctx.yield();
    }
  },
  head: async (ctx) => {
    const n = ctx.argv[1] === '-n' ? Number(ctx.argv[2]) : 10;
    let seen = 0;
    let buf = '';
    while (seen < n) {
      const c = await ctx.stdin.read();
      if (c === null) break;
      buf += text(c);
      let nl: number;
      while (seen < n && (nl = buf.indexOf('\n')) >= 0) {
        await ctx.stdout.write(buf.slice(0, nl + 1));
        buf = buf.slice(nl + 1);
        seen++;
      }
    }
    return 0;
  },
  wc: async (ctx) => {
    const t = await readAllText(ctx.stdin);
    await ctx.stdout.write(`${t.split('\n').length - 1}\n`);
    return 0;
  },
  test: testApplet,
  '[': testApplet,
  kill: async (ctx) => {
    let sig: SignalName = 'TERM';
    let args = ctx.argv.slice(1);
    if (args[0]?.startsWith('-')) {
      const s = args[0].slice(1).toUpperCase().replace(/^SIG/, '');
      sig = (/^[0-9]+$/.test(s) ? (Object.keys(SIGNALS) as SignalName[]).find((k) => SIGNALS[k] === Number(s)) : (s as SignalName)) ?? 'TERM';
      args = args.slice(1);
    }
    let status = 0;
    for (const a of args) {
      if (ctx.container.procs.kill(Number(a), sig, ctx.proc.identity) !== 'ok') {
        await ctx.stderr.write(`kill: can't kill pid ${a}: No such process\n`);
        status = 1;
      }
    }
    return status;
  },
  dd: async (ctx) => {
    const o: Record<string, string> = {};
    for (const a of ctx.argv.slice(1)) {
      const eq = a.indexOf('=');
      o[a.slice(0, eq)] = a.slice(eq + 1);
    }
    const bs = Number(o.bs ?? 512);
    const count = Number(o.count ?? 1);
    const out = ctx.fs.open(resolvePath(ctx.cwd, o.of), { write: true, create: true, truncate: true });
    for (let i = 0; i < count; i++) {
      out.write({ fill: 'random', length: bs, seed: 1, offset: i * bs });
      await ctx.yield();
    }
    out.close();
    await ctx.stderr.write(`${count}+0 records in\n${count}+0 records out\n`);
    return 0;
  },
};

async function testApplet(ctx: AppletContext): Promise<number> {
  let a = ctx.argv.slice(1);
  if (ctx.argv[0] === '[') {
    if (a[a.length - 1] !== ']') {
      await ctx.stderr.write('[: missing ]\n');
      return 2;
    }
    a = a.slice(0, -1);
  }
  let not = false;
  if (a[0] === '!') {
    not = true;
    a = a.slice(1);
  }
  let r: boolean;
  if (a.length === 0) r = false;
  else if (a.length === 1) r = a[0] !== '';
  else if (a.length === 2) {
    const exists = () => {
      try {
        return ctx.fs.stat(resolvePath(ctx.cwd, a[1]));
      } catch {
        return undefined;
      }
    };
    if (a[0] === '-z') r = a[1] === '';
    else if (a[0] === '-n') r = a[1] !== '';
    else if (a[0] === '-f') r = exists()?.type === 'file';
    else if (a[0] === '-d') r = exists()?.type === 'dir';
    else if (a[0] === '-e') r = exists() !== undefined;
    else r = false;
  } else {
    const [x, op, y] = a;
    const nx = Number(x);
    const ny = Number(y);
    switch (op) {
      case '=':
        r = x === y;
        break;
      case '!=':
        r = x !== y;
        break;
      case '-eq':
        r = nx === ny;
        break;
      case '-ne':
        r = nx !== ny;
        break;
      case '-lt':
        r = nx < ny;
        break;
      case '-le':
        r = nx <= ny;
        break;
      case '-gt':
        r = nx > ny;
        break;
      case '-ge':
        r = nx >= ny;
        break;
      default:
        await ctx.stderr.write(`test: ${op}: unknown operand\n`);
        return 2;
    }
  }
  return r !== not ? 0 : 1;
}
