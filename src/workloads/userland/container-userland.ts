import { arch as osArch, release } from 'node:os';
import type { Applet, ContainerInfo } from '../applets/types';
import type { Connection, Listener, PodNetwork } from '../net/types';
import { realClock } from '../procs/clock';
import { newProcessTable } from '../procs/table';
import { type Clock, type Identity, type InStream, Killed, type OutStream, type Process, type ProcessTable, type SignalName } from '../procs/types';
import type { Caller, ContainerFs } from '../rootfs/types';
import { type Listening, type ShmSegment, hostListening, hostShm } from '../procs/host-kernel';
import { Launcher } from './launcher';
import { replayingFs, replayingOut } from './replay';

// One container's inside: its processes, and how commands start in it. Its
// program is pid 1, on a clock that may replay after a restart of fakecri;
// ExecSync and exec start processes beside it on the wall clock.

export interface UserlandSetup {
  id: string;
  applets: ReadonlyMap<string, Applet>;
  fs(caller: Caller): ContainerFs;
  hostname: string;
  podIps: readonly string[];
  cpus: number;
  memoryLimitBytes: number;
  net?: PodNetwork;
  image?: string;
  // The pod shares the host's network or IPC namespace.
  hostNetwork?: boolean;
  hostIpc?: boolean;
  // Whether a process of uid may make a syscall (that needs capability cap).
  mayCall?(uid: number, cap: string | undefined, syscall: string): boolean;
}

export interface ProgramOptions {
  argv: readonly string[];
  env: Record<string, string>;
  cwd: string;
  identity: Identity;
  stdin?: InStream;
  stdout: OutStream;
  stderr: OutStream;
  clock: Clock;
  // A name found nowhere: a program of the image (it is not busybox-like).
  unknownIsProgram: boolean;
  onStart?: (proc: Process) => void;
}

export interface ExecOptions {
  argv: readonly string[];
  env: Record<string, string>;
  cwd: string;
  identity: Identity;
  stdin?: InStream;
  stdout: OutStream;
  stderr: OutStream;
  onStart?: (proc: Process) => void;
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x' };

export class ContainerUserland {
  readonly procs: ProcessTable;
  private programClock: Clock = realClock;
  private pid1?: Process;
  // The UTS name: sethostname changes it for every process of the container.
  private readonly uts: { hostname: string };
  // What its processes hold (ContainerInfo.allocate), and the OOM kills.
  private readonly memory: Memory = { used: 0, oomKills: 0 };

  constructor(private readonly setup: UserlandSetup) {
    this.procs = newProcessTable(() => this.programClock.now());
    this.uts = { hostname: setup.hostname };
  }

  // Whether the kernel's OOM killer has killed one of its processes: the
  // container's exit reason is then OOMKilled, as containerd reports it.
  get oomKilled(): boolean {
    return this.memory.oomKills > 0;
  }

  private info(clock: Clock): ContainerInfo {
    return new ContainerView(this.setup, this.uts, clock, this.procs, this.memory);
  }

  // Runs the container's program as pid 1 to its end: its wait status.
  // Rejects with FsError ENOENT/EACCES when it cannot start at all.
  runProgram(o: ProgramOptions): Promise<number> {
    this.programClock = o.clock;
    const replaying = () => o.clock.effect?.() ?? o.clock.replaying();
    const launcher = new Launcher({
      applets: this.setup.applets,
      fs: (c) => replayingFs(this.setup.fs(c), replaying),
      info: this.info(o.clock),
      unknown: o.unknownIsProgram ? 'program' : 'not-found',
    });
    return launcher.start(o.argv, {
      identity: o.identity,
      env: o.env,
      cwd: o.cwd,
      stdin: o.stdin && caughtUpOnRead(o.stdin, o.clock),
      stdout: replayingOut(o.stdout, replaying),
      stderr: replayingOut(o.stderr, replaying),
      onStart: (p) => {
        this.pid1 = p;
        o.onStart?.(p);
      },
    });
  }

  // A command beside the program (ExecSync, exec): its wait status.
  exec(o: ExecOptions): Promise<number> {
    const launcher = new Launcher({ applets: this.setup.applets, fs: (c) => this.setup.fs(c), info: this.info(realClock), unknown: 'not-found' });
    return launcher.start(o.argv, { identity: o.identity, env: o.env, cwd: o.cwd, stdin: o.stdin, stdout: o.stdout, stderr: o.stderr, onStart: o.onStart });
  }

  // The stop signal, or any other, to the program.
  signal(sig: SignalName): void {
    if (this.pid1) this.procs.signal(this.pid1.pid, sig);
  }

  // SIGKILL to every process: the container is gone.
  killAll(): void {
    this.procs.killAll();
  }
}

const ARCH_NAME = ARCH[osArch()] ?? osArch();
const KERNEL_RELEASE = release();

// The container as its applets see it; one per program and per exec.
interface Memory {
  used: number;
  oomKills: number;
}

class ContainerView implements ContainerInfo {
  constructor(
    private readonly s: UserlandSetup,
    private readonly uts: { hostname: string },
    readonly clock: Clock,
    readonly procs: ProcessTable,
    private readonly memory: Memory,
  ) {}

  hostListening(): Listening[] {
    return this.s.hostNetwork ? hostListening() : [];
  }

  sharedMemory(): ShmSegment[] {
    return this.s.hostIpc ? hostShm() : [];
  }

  allocate(bytes: number): () => void {
    const limit = this.s.memoryLimitBytes;
    if (limit > 0 && this.memory.used + bytes > limit) {
      this.memory.oomKills++;
      throw new Killed('KILL');
    }
    this.memory.used += bytes;
    let held = true;
    return () => {
      if (held) this.memory.used -= bytes;
      held = false;
    };
  }

  get id(): string {
    return this.s.id;
  }
  get hostname(): string {
    return this.uts.hostname;
  }
  get podIps(): readonly string[] {
    return this.s.podIps;
  }
  get cpus(): number {
    return this.s.cpus;
  }
  get memoryLimitBytes(): number {
    return this.s.memoryLimitBytes;
  }
  get net(): PodNetwork | undefined {
    return this.s.net && this.clock.caughtUp ? new CaughtUpNet(this.s.net, this.clock) : this.s.net;
  }
  get image(): string | undefined {
    return this.s.image;
  }
  get arch(): string {
    return ARCH_NAME;
  }
  get kernelRelease(): string {
    return KERNEL_RELEASE;
  }

  mayCall(uid: number, cap: string | undefined, syscall: string): boolean {
    return this.s.mayCall?.(uid, cap, syscall) ?? true;
  }

  setHostname(name: string, uid: number): boolean {
    if (!this.s.mayCall?.(uid, 'SYS_ADMIN', 'sethostname')) return false;
    this.uts.hostname = name;
    return true;
  }
}

// The program's stdin and its listeners: waiting on them ends a replay.
function caughtUpOnRead(input: InStream, clock: Clock): InStream {
  return new CaughtUpIn(input, clock);
}

class CaughtUpIn implements InStream {
  constructor(
    private readonly input: InStream,
    private readonly clock: Clock,
  ) {}

  get isTTY(): boolean | undefined {
    return this.input.isTTY;
  }

  get tty(): InStream['tty'] {
    return this.input.tty;
  }

  read(max?: number): ReturnType<InStream['read']> {
    this.clock.caughtUp?.();
    return this.input.read(max);
  }
}

class CaughtUpNet implements PodNetwork {
  constructor(
    private readonly net: PodNetwork,
    private readonly clock: Clock,
  ) {}

  resolve(name: string): string | undefined {
    return this.net.resolve(name);
  }

  connect(host: string, port: number): Promise<Connection> {
    return this.net.connect(host, port);
  }

  listen(port: number): Listener {
    const l = this.net.listen(port);
    const clock = this.clock;
    return {
      port: l.port,
      accept: (signal) => {
        clock.caughtUp?.();
        return l.accept(signal);
      },
      close: () => l.close(),
    };
  }
}
