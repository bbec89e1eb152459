import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { FakecriError } from '../domain/errors';
import { longTimeout } from '../domain/sleep';
import type { ImageRecord } from '../store/image-store';
import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';
import type { Applet } from './applets/types';
import type { PodNetwork } from './net/types';
import { ProgramClock, type ProgramPosition } from './procs/clock';
import { Collector, bytesIn } from './procs/streams';
import { type Identity, type InStream, type OutStream, type Process, SIGNALS, type SignalName } from './procs/types';
import { homeOf, resolveIdentity } from './rootfs/identity';
import type { RootfsStore } from './rootfs/store';
import { type Caller, type ContainerFs, isFsError } from './rootfs/types';
import { ContainerUserland } from './userland/container-userland';
import { caller, resolveCommand } from './userland/resolve';
import { restsFor } from './userland/resting';
import { type ExecStdio, execStdio } from './userland/exec-stdio';
import { LogOut } from './userland/log-out';
import { signalTree } from './userland/process-tree';
import { ProgramIo, type ProgramIoConfig } from './userland/program-io';
import type { StreamIo } from './userland/stream-io';
import { type ProcessSpec, processSpec } from './userland/process-spec';

// The containers' own programs: what their command says, run in their
// userland (shell, applets, files) from StartContainer until the program
// ends or the container is stopped. Also ExecSync's commands, beside it.

export interface ProgramsOptions {
  container(id: string): Container | undefined;
  sandbox(id: string): Sandbox | undefined;
  image(id: string): ImageRecord | undefined;
  rootfs: RootfsStore;
  applets: ReadonlyMap<string, Applet>;
  net(sandbox: Sandbox): PodNetwork | undefined;
  // The program ended by itself: the container exits with its status.
  exited(containerId: string, status: number, reason?: string): void;
  log: Logger;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
}

// A program at rest (userland/resting.ts): until its timer (sleep's end)
// or until something looks at it, nothing of it is kept but this.
interface Resting {
  timer?: { cancel(): void };
}
const FOR_EVER: Resting = Object.freeze({});

interface Description {
  spec: ProcessSpec;
  identity: Identity;
}

interface Running {
  userland: ContainerUserland;
  // The program's timeline, once it runs.
  clock?: ProgramClock;
  // The program's end (its wait status); absent when only exec runs in it.
  done?: Promise<number>;
  // Its streams, for attach; from its start.
  io?: ProgramIo;
  spec: ProcessSpec;
  identity: Identity;
}

// ExecSync keeps this much of each stream (containerd's limit is the gRPC
// message size); more is dropped.
const EXEC_OUTPUT_LIMIT = 16 * 1024 * 1024;

export class Programs {
  private readonly running = new Map<string, Running>();
  private readonly resting = new Map<string, Resting>();
  // What check() found, for start() in the same StartContainer: both run in
  // one synchronous step (nothing can change the files between them), so
  // it is kept only until the next microtask.
  private checked?: { id: string; d: Description };

  constructor(private readonly o: ProgramsOptions) {}

  // What argv[0] of the container's program would be, checked before
  // StartContainer changes anything, as runc's exec fails: throws with
  // containerd's words when it is not there.
  check(c: Container): void {
    const r = this.running.get(c.id) ?? this.describeForStart(c);
    const argv = r.spec.argv;
    if (argv.length === 0) return;
    const fs = this.o.rootfs.view(c.id, caller(r.identity, 0));
    if (this.unknownIsProgram(c) || findable(fs, argv[0], r.spec)) return;
    const name = argv[0];
    const why = name.includes('/') ? `stat ${name}: no such file or directory` : 'executable file not found in $PATH';
    throw new FakecriError(
      'UNKNOWN',
      `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: error during container init: exec: "${name}": ${why}: unknown`,
    );
  }

  // Starts the program of a container that has just started (or, after a
  // restart of fakecri, replays it from its start up to where it had got:
  // c.programAt, else replayUntilMs).
  start(c: Container, replayUntilMs?: number): void {
    if (this.running.get(c.id)?.done || this.resting.has(c.id)) return;
    if (this.running.has(c.id)) return this.launch(c, replayUntilMs);
    let d: Description;
    try {
      d = this.takeChecked(c.id) ?? this.describe(c);
    } catch {
      return this.launch(c, replayUntilMs); // it says why it cannot start
    }
    if (!this.rest(c, d)) this.launch(c, replayUntilMs, false, d);
  }

  // A resting program is left to rest: true when it does. A finite sleep
  // wakes at its end, to end as it would have.
  private rest(c: Container, d: Description): boolean {
    if (d.spec.argv.length === 0) return false;
    let ms: number | undefined;
    try {
      const fs = (who: Caller) => this.o.rootfs.view(c.id, who);
      const target = resolveCommand({ applets: this.o.applets, fs, unknown: this.unknownIsProgram(c) ? 'program' : 'not-found' }, d.spec.argv, { env: d.spec.env, cwd: d.spec.cwd, umask: 0o022 }, d.identity);
      ms = restsFor(target, this.o.applets);
    } catch {
      return false; // it cannot start: launch says why
    }
    if (ms === undefined) return false;
    if (ms === Infinity) {
      this.resting.set(c.id, FOR_EVER);
      return true;
    }
    const left = this.startedMs(c) + ms - Date.now();
    if (left <= 0) return false;
    this.resting.set(c.id, { timer: longTimeout(() => this.wake(c.id), left) });
    return true;
  }

  // The userland of a resting program, made now, the program started on its
  // timeline as if it had run all along.
  private wake(id: string): void {
    const rest = this.resting.get(id);
    if (!rest) return;
    this.resting.delete(id);
    rest.timer?.cancel();
    const c = this.o.container(id);
    if (c) this.launch(c, Date.now(), true);
  }

  private startedMs(c: Container): number {
    // A restored container's program picks up the checkpointed one's timeline.
    if (c.restoredFrom) return c.restoredFrom.startedMs;
    // Rounded up: `sleep 1.5` must not end before started_at + 1.5 s.
    return Number((BigInt(c.startedAt) + 999_999n) / 1_000_000n);
  }

  // caughtUp: the program's past is known to be only waiting, so nothing
  // of it replays (its clock is the present at once).
  private launch(c: Container, replayUntilMs?: number, caughtUp = false, d?: Description): void {
    const r = this.prepare(c, d);
    const logFailed = (err: Error) => this.o.log.warn({ container: c.id, err: err.message }, 'log write failed');
    const log = (stream: 'stdout' | 'stderr') => new LogOut(() => this.o.container(c.id)?.logPath ?? '', stream, logFailed);
    const io = new ProgramIo((c.config ?? {}) as ProgramIoConfig, log('stdout'), log('stderr'));
    r.io = io;
    if (r.spec.argv.length === 0) return; // nothing to run: it runs until stopped
    const from = c.restoredFrom;
    const until = replayUntilMs !== undefined && c.programAt ? c.programAt : Math.max(replayUntilMs ?? 0, from?.checkpointedMs ?? 0);
    const clock = new ProgramClock(this.startedMs(c), until);
    r.clock = clock;
    const done = r.userland.runProgram({
      argv: r.spec.argv,
      env: r.spec.env,
      cwd: r.spec.cwd,
      identity: r.identity,
      stdin: io.stdin,
      stdout: io.stdout,
      stderr: io.stderr,
      clock,
      unknownIsProgram: this.unknownIsProgram(c),
      onStart: (p) => (io.foreground = (sig) => signalTree(r.userland.procs, p.pid, sig)),
    });
    if (caughtUp) clock.caughtUp();
    r.done = done;
    done.then(
      (status) => {
        io.end();
        if (this.running.get(c.id) === r) this.o.exited(c.id, status, r.userland.oomKilled ? 'OOMKilled' : undefined);
      },
      (err: unknown) => {
        io.end();
        if (this.running.get(c.id) !== r) return;
        const e = err as Error;
        if (isFsError(e)) this.o.exited(c.id, e.code === 'EACCES' ? 126 : 127);
        else this.o.log.error({ container: c.id, err: e.message, stack: e.stack }, 'container program failed');
      },
    );
  }

  // Whether the program runs (and so answers signals itself).
  has(id: string): boolean {
    return this.resting.has(id) || this.running.get(id)?.done !== undefined;
  }

  // StopContainer: the stop signal, then wait up to timeoutMs for the
  // program to end. Resolves when it has ended or the time is up.
  async stop(id: string, timeoutMs: number): Promise<void> {
    this.wake(id);
    const r = this.running.get(id);
    if (!r?.done) return;
    r.userland.signal(this.stopSignal(id));
    let timer: { cancel(): void } | undefined;
    await Promise.race([r.done.catch(() => 0), new Promise<void>((resolve) => (timer = longTimeout(resolve, timeoutMs)))]);
    timer?.cancel();
  }

  // The container stopped or went: every process of it gets SIGKILL.
  halt(id: string): void {
    this.resting.get(id)?.timer?.cancel();
    this.resting.delete(id);
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    r.userland.killAll();
    r.io?.end();
  }

  // A behaviour's `files`: written into the container's files at its start,
  // as if its image or an init step had put them there.
  writeFiles(c: Container, files: Record<string, string>): void {
    const fs = this.o.rootfs.view(c.id, { uid: 0, gid: 0, groups: [], pid: 0 });
    for (const [path, text] of Object.entries(files)) {
      try {
        const parts = path.split('/').filter(Boolean);
        for (let i = 1; i < parts.length; i++) {
          const dir = `/${parts.slice(0, i).join('/')}`;
          try {
            fs.mkdir(dir, 0o755);
          } catch (err) {
            if (!isFsError(err, 'EEXIST')) throw err;
          }
        }
        const h = fs.open(`/${parts.join('/')}`, { write: true, create: true, truncate: true }, 0o644);
        try {
          h.write(Buffer.from(text));
        } finally {
          h.close();
        }
      } catch (err) {
        this.o.log.warn({ container: c.id, path, err: (err as Error).message }, 'behaviour file not written');
      }
    }
  }

  // The container's processes, for its /proc.
  procs(id: string): ContainerUserland['procs'] | undefined {
    this.wake(id);
    return this.running.get(id)?.userland.procs;
  }

  // How many processes the container has (a resting one: its program).
  processCount(id: string): number {
    if (this.resting.has(id)) return 1;
    return this.running.get(id)?.userland.procs.list().length ?? 0;
  }

  // Where each running program has got (ProgramClock), for the next start
  // of fakecri to replay them to.
  positions(): [string, ProgramPosition][] {
    const out: [string, ProgramPosition][] = [];
    for (const [id, r] of this.running) {
      const at = r.done && r.clock?.position();
      if (at) out.push([id, at]);
    }
    return out;
  }

  haltAll(): void {
    for (const id of [...this.running.keys(), ...this.resting.keys()]) this.halt(id);
  }

  // ExecSync: runs argv beside the program, as its user, in its working
  // directory and environment; the output kept, the status answered.
  // A signal abort (the timeout, the caller gone) kills what it started.
  async exec(c: Container, argv: readonly string[], signal: AbortSignal, input?: Buffer): Promise<ExecResult> {
    const stdout = new Collector(EXEC_OUTPUT_LIMIT);
    const stderr = new Collector(EXEC_OUTPUT_LIMIT);
    const status = await this.run(c, argv, signal, { stdin: input ? bytesIn(input) : undefined, stdout, stderr });
    if (signal.aborted) throw signal.reason;
    return { stdout: stdout.buffer(), stderr: stderr.buffer(), exitCode: status };
  }

  // exec over the streaming server: as ExecSync, with the client's streams
  // (or a terminal between them) for the command's. Answers its exit
  // status; when the client goes (io.signal), its processes are killed
  // and the status is 137.
  async execStream(c: Container, argv: readonly string[], io: StreamIo): Promise<number> {
    const stdio = execStdio(io);
    try {
      return await this.run(c, argv, io.signal, stdio, io.tty ? { TERM: 'xterm' } : undefined);
    } finally {
      stdio.close();
    }
  }

  // attach: the program's output from now on, its stdin from the client
  // (config stdin), its terminal (config tty). Resolves when the client
  // detaches (io.signal), which leaves the program running, or when the
  // program ends, after its last output.
  attach(c: Container, io: StreamIo): Promise<void> {
    this.wake(c.id);
    const pio = this.running.get(c.id)?.io;
    return pio ? pio.attach(io) : Promise.resolve();
  }

  // A command beside the program: its wait status. Throws containerd's
  // FakecriError when argv[0] cannot run.
  private async run(
    c: Container,
    argv: readonly string[],
    signal: AbortSignal,
    stdio: { stdin?: InStream; stdout: OutStream; stderr: OutStream; started?: ExecStdio['started'] },
    env?: Record<string, string>,
  ): Promise<number> {
    this.wake(c.id);
    const r = this.running.get(c.id) ?? this.prepare(c);
    let proc: Process | undefined;
    const kill = () => {
      if (proc) signalTree(r.userland.procs, proc.pid, 'KILL');
    };
    signal.addEventListener('abort', kill, { once: true });
    try {
      return await r.userland.exec({
        argv,
        env: env ? { ...r.spec.env, ...env } : r.spec.env,
        cwd: r.spec.cwd,
        identity: r.identity,
        stdin: stdio.stdin,
        stdout: stdio.stdout,
        stderr: stdio.stderr,
        onStart: (p) => {
          proc = p;
          stdio.started?.(p, r.userland.procs);
          if (signal.aborted) kill();
        },
      });
    } catch (err) {
      if (!isFsError(err)) throw err;
      // runc's search (Go's exec.LookPath) passes over what it cannot run
      // down PATH: only a path with a slash is denied.
      const slash = argv[0]?.includes('/');
      const why = slash ? `stat ${argv[0]}: no such file or directory` : 'executable file not found in $PATH';
      throw new FakecriError(
        'UNKNOWN',
        `failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: "${argv[0] ?? ''}": ${err.code === 'EACCES' && slash ? 'permission denied' : why}: unknown`,
      );
    } finally {
      signal.removeEventListener('abort', kill);
      this.o.rootfs.flush(c.id);
    }
  }

  private describeForStart(c: Container): Description {
    const d = this.describe(c);
    if (!this.checked) queueMicrotask(() => (this.checked = undefined));
    this.checked = { id: c.id, d };
    return d;
  }

  private takeChecked(id: string): Description | undefined {
    const checked = this.checked;
    if (checked?.id !== id) return undefined;
    this.checked = undefined;
    return checked.d;
  }

  // The process a container's program is: its argv, env, cwd and user.
  private describe(c: Container): Description {
    const image = this.o.image(c.imageId);
    const spec = processSpec(c.config, image?.config, this.o.sandbox(c.sandboxId)?.hostname ?? '');
    const root = this.o.rootfs.view(c.id, { uid: 0, gid: 0, groups: [], pid: 0 });
    const identity = resolveIdentity(root, c.config, image?.user ?? '');
    if (spec.env.HOME === undefined) spec.env.HOME = homeOf(root, identity.uid);
    return { spec, identity };
  }

  // The userland, identity and process of a container, made once.
  private prepare(c: Container, d?: Description): Running {
    const existing = this.running.get(c.id);
    if (existing) return existing;
    const sandbox = this.o.sandbox(c.sandboxId);
    const image = this.o.image(c.imageId);
    const hostname = sandbox?.hostname ?? '';
    const { spec, identity } = d ?? this.describe(c);
    const rootfs = this.o.rootfs;
    const resources = limits(c.resources);
    const userland = new ContainerUserland({
      id: c.id,
      applets: this.o.applets,
      fs: (who) => rootfs.view(c.id, who),
      hostname,
      podIps: sandbox?.ips ?? [],
      cpus: resources.cpus,
      memoryLimitBytes: resources.memory,
      net: sandbox ? this.o.net(sandbox) : undefined,
      hostNetwork: namespaceMode(sandbox, 'network') === 'NODE',
      hostIpc: namespaceMode(sandbox, 'ipc') === 'NODE',
      image: image?.repoTags[0] ?? (c.image?.user_specified_image || c.image?.image),
      mayCall: (uid, cap, syscall) => rootfs.get(c.id).mayCall(uid, cap, syscall),
    });
    const r: Running = { userland, spec, identity };
    this.running.set(c.id, r);
    return r;
  }

  private unknownIsProgram(c: Container): boolean {
    return this.o.image(c.imageId)?.config?.userland !== 'busybox';
  }

  // The CRI's stop_signal, else the image's StopSignal, else SIGTERM.
  private stopSignal(id: string): SignalName {
    const c = this.o.container(id);
    const fromCri = ((c?.config ?? {}) as { stop_signal?: string }).stop_signal;
    const fromImage = c ? this.o.image(c.imageId)?.config?.stopSignal : undefined;
    for (const name of [fromCri, fromImage]) {
      const sig = name?.replace(/^SIG/, '');
      if (sig && sig !== 'RUNTIME_DEFAULT' && sig in SIGNALS) return sig as SignalName;
    }
    return 'TERM';
  }
}

function findable(fs: ContainerFs, name: string, spec: ProcessSpec): boolean {
  const dirs = name.includes('/') ? [''] : (spec.env.PATH ?? '').split(':');
  for (const dir of dirs) {
    const path = name.includes('/') ? (name.startsWith('/') ? name : `${spec.cwd}/${name}`) : `${dir || '.'}/${name}`;
    try {
      if (fs.stat(path).type === 'file') return true;
    } catch {
      // Not in this directory.
    }
  }
  return false;
}

// nproc and the memory limit from the CRI's linux resources.
function limits(resources: unknown): { cpus: number; memory: number } {
  const r = (resources ?? {}) as { cpu_quota?: string | number; cpu_period?: string | number; memory_limit_in_bytes?: string | number };
  const quota = Number(r.cpu_quota ?? 0);
  const period = Number(r.cpu_period ?? 0);
  const host = availableParallelism();
  const cpus = quota > 0 && period > 0 ? Math.max(1, Math.min(host, Math.ceil(quota / period))) : host;
  return { cpus, memory: Math.max(0, Number(r.memory_limit_in_bytes ?? 0)) };
}

// A sandbox's namespace mode (NODE…; POD, the default, is not kept) for one namespace.
function namespaceMode(sandbox: Sandbox | undefined, ns: 'network' | 'ipc' | 'pid'): string | undefined {
  return (sandbox?.namespaceOptions as Record<string, string> | null | undefined)?.[ns];
}
