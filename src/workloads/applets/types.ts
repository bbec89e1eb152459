import type { Found } from '../rootfs/path';
import type { ContainerFs } from '../rootfs/types';
import type { Clock, InStream, OutStream, Process, ProcessTable, SignalName } from '../procs/types';
import type { PodNetwork } from '../net/types';
import type { Listening, ShmSegment } from '../procs/host-kernel';

// What yield() answers while the slice goes on: a caller that checks for it
// need not await (the shell's steps, which would otherwise allocate a
// promise each).
export const NO_WAIT: Promise<void> = Promise.resolve();

// What an applet (ls, dd, grep…) gets: the process it runs as, its
// arguments, environment and streams, the container's files seen as that
// process, and the container around it.
export interface AppletContext {
  // argv[0] is the name as invoked (`/bin/ls`, `ls`).
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string; // absolute
  readonly stdin: InStream;
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly fs: ContainerFs; // as this process: its uid, gid, groups and pid
  readonly proc: Process;
  // Set when the applet runs as a builtin of the program whose process it
  // runs in (ash's echo, printf, test, kill): that program's name. Busybox
  // prefixes messages with the process's applet name, so these say "sh:".
  readonly builtinOf?: string;
  // The open files past fd 2 this process inherited (by fd number), as
  // fork and exec hand them on: a shell's `exec 3>log` reaches the scripts
  // it runs.
  readonly files?: readonly (OpenFile | undefined)[];
  readonly container: ContainerInfo;
  // Sleeps on the container's clock; rejects with Killed if the process is
  // killed meanwhile.
  sleep(ms: number): Promise<void>;
  // Lets the rest of fakecri run. Loops call it between steps (a block of
  // dd, a line of grep): it answers NO_WAIT until the step budget of this
  // turn of the event loop is spent. Rejects with Killed.
  yield(): Promise<void>;
  // Runs another command as a child process (xargs, find -exec, env,
  // timeout, nohup, the shell's external commands): argv[0] is a path, or a
  // name looked up through PATH; an applet, a `#!` script, or a program of
  // the image. Answers the wait status (128+n when a signal killed it).
  // Rejects before starting anything with FsError ENOENT (not found) or
  // EACCES (not executable), so the caller words the message. Streams
  // default to this applet's.
  run(argv: readonly string[], options?: RunOptions): Promise<number>;
}

// Where a command name is found down PATH: a path, or why not.
export interface CommandLookup {
  lookup(fs: ContainerFs, name: string, path: string, cwd: string): Found;
}

// An open file description (the shell's Fd), held by each process that
// has it open and closed when the last lets go.
export interface OpenFile {
  hold(): OpenFile;
  release(): void;
  // What /dev/fd/N opens: its input or output, where it has one.
  readonly in?: InStream;
  readonly out?: OutStream;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: InStream;
  stdout?: OutStream;
  stderr?: OutStream;
  // Called with the child before it starts: the shell sets the signals it
  // leaves ignored in it.
  onSpawn?: (child: Process) => void;
  // Called before the status comes when the command's own process (not one
  // it ran in) ends by a signal: the shell then says so, as ash's waitforjob.
  signalled?: (signal: SignalName) => void;
  // Run in the calling process instead of a child (the shell's `exec`, and
  // applets busybox ash runs without forking: echo, printf, test, kill).
  inProcess?: boolean;
  // With inProcess: argv[0] is an applet the caller runs as its builtin
  // (ash's echo, printf, test, [, kill), found by name, not down PATH.
  builtin?: boolean;
  // With inProcess: the command replaces the process, as execve does (the
  // shell's `exec`, or the last command of `sh -c`), so ps and pgrep show
  // its command line from then on; a builtin (echo, kill) does not.
  exec?: boolean;
  // The process the command runs for, when not the caller's own: the shell
  // runs commands from subshells it forked itself (pipeline stages,
  // background jobs, $(...)), each a Process of its own. It is then the
  // child's parent and the process whose kill ends the wait; with inProcess
  // the command runs as it (ash's fork-then-exec: `sleep 9 &` is one
  // process, $! is its pid, and `kill $!` stops the sleep).
  process?: Process;
  // The file mode creation mask the command starts with: the shell's, after
  // its `umask` builtin. Default: the caller's.
  umask?: number;
  // The shell's command hash (shell/command-hash.ts): where argv[0] is
  // looked up down PATH. Default: a search every time.
  hash?: CommandLookup;
  // The PATH argv[0] is searched down: a shell's own PATH variable,
  // exported or not, "" when unset (ash's pathval). Default: the env's, or
  // execvp's default when it has none.
  path?: string;
  // Open files past fd 2 the command inherits (by fd number). Default: the
  // caller's.
  files?: readonly (OpenFile | undefined)[];
}

// The container, as far as applets see it.
export interface ContainerInfo {
  readonly id: string;
  readonly hostname: string;
  readonly clock: Clock;
  readonly procs: ProcessTable;
  // The pod's addresses: nc and wget reach listeners on these and loopback.
  readonly podIps: readonly string[];
  // From the CRI resources: nproc, /sys/fs/cgroup.
  readonly cpus: number;
  readonly memoryLimitBytes: number; // 0: none
  // Charges `bytes` a process holds (dd's buffers) to the container's
  // memory; answers the release. Past memory.max the kernel's OOM killer
  // ends the process: throws Killed('KILL'), and the container
  // is marked OOM-killed. Absent: no limit is kept.
  allocate?(bytes: number): () => void;
  // uname -m and friends.
  readonly arch: string; // "x86_64", "aarch64"
  readonly kernelRelease: string;
  // The pod's network (nc, wget); none: they find nothing listening.
  readonly net?: PodNetwork;
  // With the host's network namespace: its listening sockets (netstat).
  hostListening?(): Listening[];
  // The IPC namespace's shared memory segments (ipcs): the host's with
  // the host's namespace, else the pod's (none: nothing makes them).
  sharedMemory?(): ShmSegment[];
  // The container's image reference (docker.io/library/nginx:1.25): the
  // image programs fakecri emulates take their version from it.
  readonly image?: string;
  // Whether a process of `uid` may make `syscall`, given the capability
  // the kernel wants for it and the seccomp profile (EPERM otherwise).
  // Absent: always.
  mayCall?(uid: number, cap: string | undefined, syscall: string): boolean;
  // sethostname(2) for a process of `uid`: false (EPERM) without
  // CAP_SYS_ADMIN or when the seccomp profile denies it. Absent: never.
  setHostname?(name: string, uid: number): boolean;
}

// An applet answers its exit status (0–255). It writes its own messages to
// stderr in busybox's words; an FsError it does not catch is reported by the
// caller as `${argv0}: ${err.path}: ${err.message}` with status 1.
export interface Applet {
  (ctx: AppletContext): Promise<number>;
  // An applet that only waits (sleep) may say from its argv alone how long,
  // in ms: the launcher then sleeps its process without building it a
  // context, and a loop's `sleep .1` keeps that much less alive while it
  // waits. Undefined: run the applet.
  waits?(argv: readonly string[]): number | undefined;
}
