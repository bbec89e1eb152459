import { closeSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { nowNanos } from '../domain/clock';
import { FakecriError, invalidArgument } from '../domain/errors';
import { appendLog, formatLogLine } from '../logs/cri-log';
import type { ContainerService } from '../pods/container-service';
import type { PodEvents } from '../pods/events';
import type { Container } from '../store/container';
import type { ObjectStore } from '../store/object-store';
import type { Sandbox } from '../store/sandbox';
import { type Behaviour, behaviourFromAnnotations, mergeBehaviours } from './behaviour';
import { hostname } from 'node:os';
import { containerArgv, interpretable, runProgram } from './command';
import { containerIdentity, podFiles } from './pod-files';

const TICK_MS = 100;
const ZEROS = Buffer.alloc(1024 * 1024);

interface MountView {
  container_path?: string;
  host_path?: string;
}

// A running container's scripted life: its exit, the bytes and lines it
// writes, its CPU and memory figures. Everything it does goes through the same
// paths a kubelet looks at: the container service (state, writable layer),
// the log file, and the real files of its emptyDir mounts.
interface Active {
  container: Container;
  behaviour: Behaviour;
  startedMs: number;
  lastTick: number;
  exitTimer?: NodeJS.Timeout;
  rootfs?: { written: number; carry: number; busy: boolean; done: boolean };
  log?: { lines: number; carry: number };
  emptydir?: { path: string; written: number; carry: number; done: boolean };
}

export class WorkloadRunner {
  private readonly active = new Map<string, Active>();
  private readonly overrides = new Map<string, Behaviour>();
  // Containers whose own command is being interpreted (command.ts).
  private readonly programs = new Map<string, AbortController>();
  private ticker?: NodeJS.Timeout;

  constructor(
    private readonly containers: ContainerService,
    private readonly sandboxes: ObjectStore<Sandbox>,
    private readonly imageBehaviour: (image: string) => Behaviour | undefined,
    events: PodEvents,
    private readonly log: Logger,
  ) {
    events.onContainer((e) => {
      if (e.type === 'STARTED') {
        this.start(e.container);
        this.startProgram(e.container);
      } else if (e.type === 'STOPPED') {
        this.halt(e.container.id);
        this.stopProgram(e.container.id);
      } else if (e.type === 'DELETED') {
        this.halt(e.container.id);
        this.stopProgram(e.container.id);
        this.overrides.delete(e.container.id);
      }
    });
  }

  // Containers that were running before a restart carry on.
  restore(): void {
    const now = Date.now();
    for (const c of this.containers.store.values()) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      this.start(c);
      this.startProgram(c, now);
    }
  }

  // Interprets the container's command, unless its behaviour decides when it
  // exits. After a restart of fakecri (replayUntilMs), the program is replayed
  // from the container's start without writing again what it wrote before.
  private startProgram(c: Container, replayUntilMs?: number): void {
    const argv = containerArgv(c.config);
    if (!interpretable(argv) || this.programs.has(c.id)) return;
    const b = this.resolve(c);
    if (b.exit_after !== undefined || b.crash_loop || b.oom_after !== undefined) return;
    const ac = new AbortController();
    this.programs.set(c.id, ac);
    const sandbox = this.sandboxes.get(c.sandboxId);
    const mounts = (c.mounts as MountView[])
      .filter((m) => m.container_path && m.host_path)
      .map((m) => ({ container_path: m.container_path!, host_path: m.host_path! }));
    runProgram(argv, {
      startedMs: Number(BigInt(c.startedAt) / 1_000_000n),
      replayUntilMs,
      files: { ...podFiles(sandbox), ...b.files },
      mounts,
      hostname: sandbox?.hostname || hostname(),
      identity: containerIdentity(c.config),
      signal: ac.signal,
      line: (stream, text) => {
        if (!c.logPath) return;
        try {
          appendLog(c.logPath, formatLogLine(nowNanos(), stream, text));
        } catch (err) {
          this.log.warn({ container: c.id, err: (err as Error).message }, 'log write failed');
        }
      },
    }).then(
      (code) => {
        if (this.programs.get(c.id) !== ac) return;
        this.programs.delete(c.id);
        this.exitNow(c.id, code);
      },
      (err: unknown) => {
        if (!ac.signal.aborted) this.log.warn({ container: c.id, err: (err as Error).message }, 'container command failed');
      },
    );
  }

  private stopProgram(id: string): void {
    const ac = this.programs.get(id);
    if (!ac) return;
    this.programs.delete(id);
    ac.abort(new Error('container stopped'));
  }

  // The behaviour a container would get; throws INVALID_ARGUMENT for bad
  // annotations, so CreateContainer can refuse them up front.
  behaviourFor(sandboxAnnotations: Record<string, string>, containerName: string, image: string, override?: Behaviour): Behaviour {
    return mergeBehaviours(this.imageBehaviour(image), behaviourFromAnnotations(sandboxAnnotations, containerName), override);
  }

  private resolve(c: Container): Behaviour {
    const sandbox = this.sandboxes.get(c.sandboxId);
    try {
      return this.behaviourFor(sandbox?.annotations ?? {}, c.metadata.name, c.image.image, this.overrides.get(c.id));
    } catch (err) {
      this.log.warn({ container: c.id, err: (err as Error).message }, 'ignoring a bad behaviour');
      return this.overrides.get(c.id) ?? {};
    }
  }

  current(id: string): { behaviour: Behaviour; override?: Behaviour } | undefined {
    const c = this.containers.store.get(id);
    return c && { behaviour: this.resolve(c), override: this.overrides.get(id) };
  }

  // Replaces the control API's override for a container (undefined clears
  // it) and, if it runs, restarts its behaviour under the new rules.
  setOverride(id: string, behaviour: Behaviour | undefined): void {
    const c = this.containers.store.mustResolve(id);
    if (behaviour) this.overrides.set(c.id, behaviour);
    else this.overrides.delete(c.id);
    if (c.state === 'CONTAINER_RUNNING') {
      this.halt(c.id);
      this.start(c);
    }
  }

  overridden(): Map<string, Behaviour> {
    return new Map(this.overrides);
  }

  private start(c: Container): void {
    const b = this.resolve(c);
    const startedMs = Number(BigInt(c.startedAt) / 1_000_000n);
    const a: Active = { container: c, behaviour: b, startedMs, lastTick: Date.now() };
    const exitAt = (after: number) => Math.max(0, startedMs + after - Date.now());
    if (b.oom_after !== undefined) {
      a.exitTimer = setTimeout(() => this.exitNow(c.id, 137, 'OOMKilled', b.message ?? ''), exitAt(b.oom_after));
    } else if (b.exit_after !== undefined || b.crash_loop) {
      const code = b.exit_code ?? (b.crash_loop ? 1 : 0);
      a.exitTimer = setTimeout(() => this.exitNow(c.id, code, b.reason, b.message ?? ''), exitAt(b.exit_after ?? 1000));
    }
    if (b.rootfs_write) a.rootfs = { written: c.rootfsBytes ?? 0, carry: 0, busy: false, done: (c.rootfsBytes ?? 0) >= b.rootfs_write.total };
    if (b.log) a.log = { lines: 0, carry: 0 };
    if (b.emptydir_write) {
      const mount = (c.mounts as MountView[]).find((m) => m.container_path === b.emptydir_write!.volume);
      if (!mount?.host_path) {
        this.log.warn({ container: c.id, volume: b.emptydir_write.volume }, 'emptydir_write: no mount at that container path');
      } else {
        const path = join(mount.host_path, b.emptydir_write.file);
        let written = 0;
        try {
          written = statSync(path).size;
        } catch {
          // Not written yet.
        }
        a.emptydir = { path, written, carry: 0, done: written >= b.emptydir_write.total };
      }
    }
    this.active.set(c.id, a);
    if ((a.rootfs || a.log || a.emptydir) && !this.ticker) this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  private halt(id: string): void {
    const a = this.active.get(id);
    if (!a) return;
    clearTimeout(a.exitTimer);
    this.active.delete(id);
    if (this.active.size === 0 && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = undefined;
    }
  }

  private exitNow(id: string, code: number, reason?: string, message = ''): void {
    const c = this.containers.store.get(id);
    if (c?.state !== 'CONTAINER_RUNNING') return;
    this.containers.exit(id, code, reason, message);
  }

  stop(): void {
    for (const id of [...this.active.keys()]) this.halt(id);
    for (const id of [...this.programs.keys()]) this.stopProgram(id);
  }

  private tick(): void {
    const now = Date.now();
    for (const a of this.active.values()) {
      const dt = (now - a.lastTick) / 1000;
      a.lastTick = now;
      const b = a.behaviour;
      if (a.rootfs && b.rootfs_write) this.growRootfs(a, b.rootfs_write, dt);
      if (a.log && b.log) this.writeLog(a, b.log, dt);
      if (a.emptydir && b.emptydir_write) this.fillEmptyDir(a, b.emptydir_write, dt);
    }
  }

  private growRootfs(a: Active, spec: NonNullable<Behaviour['rootfs_write']>, dt: number): void {
    const r = a.rootfs!;
    if (r.done || r.busy) return;
    const want = spec.rate * dt + r.carry;
    const n = Math.min(Math.floor(want), spec.total - r.written);
    r.carry = want - Math.floor(want);
    if (n <= 0) return;
    r.busy = true;
    this.containers
      .writeRootfs(a.container.id, n)
      .then(() => {
        r.written += n;
        if (r.written >= spec.total) r.done = true;
      })
      .catch((err: unknown) => this.onWriteError(a, err, spec.on_enospc, '/', () => (r.done = true)))
      .finally(() => (r.busy = false));
  }

  private writeLog(a: Active, spec: NonNullable<Behaviour['log']>, dt: number): void {
    const l = a.log!;
    const path = a.container.logPath;
    if (!path) return;
    const want = spec.rate * dt + l.carry;
    let n = Math.floor(want);
    l.carry = want - n;
    if (spec.total !== undefined) n = Math.min(n, spec.total - l.lines);
    if (n <= 0) return;
    let chunk = '';
    for (let i = 0; i < n; i++) {
      l.lines++;
      const base = spec.text ?? `fakecri ${a.container.metadata.name} line ${l.lines} `;
      chunk += formatLogLine(nowNanos(), spec.stream, base.length >= spec.line_size ? base.slice(0, spec.line_size) : base.padEnd(spec.line_size, 'x'));
    }
    try {
      appendLog(path, chunk);
    } catch (err) {
      this.log.warn({ container: a.container.id, err: (err as Error).message }, 'log write failed');
    }
  }

  private fillEmptyDir(a: Active, spec: NonNullable<Behaviour['emptydir_write']>, dt: number): void {
    const e = a.emptydir!;
    if (e.done) return;
    const want = spec.rate * dt + e.carry;
    let n = Math.min(Math.floor(want), spec.total - e.written);
    e.carry = want - Math.floor(want);
    if (n <= 0) return;
    let fd: number | undefined;
    try {
      mkdirSync(join(e.path, '..'), { recursive: true });
      fd = openSync(e.path, 'a');
      while (n > 0) {
        const w = writeSync(fd, ZEROS, 0, Math.min(n, ZEROS.length));
        n -= w;
        e.written += w;
      }
      if (e.written >= spec.total) e.done = true;
    } catch (err) {
      this.onWriteError(a, err, spec.on_enospc, e.path, () => (e.done = true));
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  private onWriteError(a: Active, err: unknown, onEnospc: 'stop' | 'crash', path: string, stop: () => void): void {
    const enospc = (err instanceof FakecriError && err.code === 'RESOURCE_EXHAUSTED') || (err as NodeJS.ErrnoException).code === 'ENOSPC';
    if (!enospc) {
      this.log.warn({ container: a.container.id, err: (err as Error).message }, 'workload write failed');
      stop();
      return;
    }
    stop();
    if (onEnospc === 'crash') this.exitNow(a.container.id, 1, 'Error', `write ${path}: no space left on device`);
  }

  // CPU and memory figures for the stats RPCs: the behaviour's, else the
  // baseline. CPU time grows while the container runs; an exited container
  // uses nothing and keeps the CPU time it had at its exit.
  usage(c: Container, baseline: { cpu: number; memory: number }): { cpuNanoCores: number; cpuCoreNanoSeconds: bigint; memoryBytes: number } {
    if (c.startedAt === '0') return { cpuNanoCores: 0, cpuCoreNanoSeconds: 0n, memoryBytes: 0 };
    const running = c.state === 'CONTAINER_RUNNING';
    const b = (running && this.active.get(c.id)?.behaviour) || this.resolve(c);
    const nanoCores = b.cpu ?? baseline.cpu;
    const startedMs = Number(BigInt(c.startedAt) / 1_000_000n);
    const endMs = running ? Date.now() : Number(BigInt(c.finishedAt) / 1_000_000n);
    const seconds = Math.max(0, endMs - startedMs) / 1000;
    const cpuCoreNanoSeconds = BigInt(Math.round(nanoCores * seconds));
    return running ? { cpuNanoCores: nanoCores, cpuCoreNanoSeconds, memoryBytes: b.memory ?? baseline.memory } : { cpuNanoCores: 0, cpuCoreNanoSeconds, memoryBytes: 0 };
  }

  // What the container does with a graceful stop.
  stopPlan(c: Container): { mode: 'exit' | 'delay' | 'ignore'; delayMs: number; exitCode: number } {
    const s = this.resolve(c).stop;
    return { mode: s?.mode ?? 'exit', delayMs: s?.delay ?? 0, exitCode: s?.exit_code ?? 0 };
  }

  // Used by the control API to check a behaviour names things that exist.
  check(b: Behaviour, c: Container): void {
    if (b.emptydir_write && !(c.mounts as MountView[]).some((m) => m.container_path === b.emptydir_write!.volume)) {
      throw invalidArgument(`behaviour field "emptydir_write.volume": container "${c.id}" has no mount at "${b.emptydir_write.volume}"`);
    }
  }
}
