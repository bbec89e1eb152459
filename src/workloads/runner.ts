import { closeSync, lstatSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
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
import type { Programs } from './programs';
import { emptyDirProblem } from './emptydir';
import { openAppend } from '../domain/safe-files';
import { longTimeout } from '../domain/sleep';

const TICK_MS = 100;
const MAX_TICK_S = 1;
// Real bytes all behaviours together write per second (log lines and
// emptyDir files), on fakecri's one event loop: past this, writers are
// slowed, as by a slow disk, so that a few pods at their limit cannot starve
// the kubelet's calls. The budget halves whenever ticks come late (the event
// loop is busy, or the machine), and grows back slowly; and a tick stops
// writing after 20 ms.
const WRITE_BUDGET_PER_S = 64 * 2 ** 20;
const MIN_BUDGET_PER_S = 2 ** 20;
const TICK_WORK_MS = 20;
const ZEROS = Buffer.alloc(1024 * 1024);

// One container's CPU and memory figures (see usage()).
export interface CpuMemory {
  cpuNanoCores: number;
  cpuCoreNanoSeconds: number;
  memoryBytes: number;
}

// A running container's CPU and memory from its start, as its live entry
// holds them: the stats lists keep it and read 10,000 per call, instead of
// looking the entry up by id each time, until `live` turns false (the
// container stopped, or its behaviour changed and it started again).
export class LiveUsage {
  live = true;

  constructor(
    readonly nanoCores: number,
    readonly memoryBytes: number,
    readonly startedMs: number,
  ) {}

  read(nowMs: number, out: CpuMemory): CpuMemory {
    out.cpuCoreNanoSeconds = cpuTime(this.nanoCores, this.startedMs, nowMs);
    out.cpuNanoCores = this.nanoCores;
    out.memoryBytes = this.memoryBytes;
    return out;
  }
}

// CPU time at `nanoCores` from `startMs` to `endMs`.
const cpuTime = (nanoCores: number, startMs: number, endMs: number): number => Math.round(nanoCores * (Math.max(0, endMs - startMs) / 1000));

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
  exitTimer?: { cancel(): void };
  rootfs?: { written: number; carry: number; busy: boolean; done: boolean };
  log?: { lines: number; carry: number };
  emptydir?: { path: string; written: number; carry: number; done: boolean };
  // Made as the stats first ask (see liveUsage()).
  usage?: LiveUsage;
}

export class WorkloadRunner {
  private readonly active = new Map<string, Active>();
  private readonly overrides = new Map<string, Behaviour>();
  private ticker?: NodeJS.Timeout;
  private lastTick = Date.now();
  private budget = 0;
  private budgetPerS = WRITE_BUDGET_PER_S;
  private turn = 0;

  constructor(
    private readonly containers: ContainerService,
    private readonly sandboxes: ObjectStore<Sandbox>,
    private readonly imageBehaviour: (image: string) => Behaviour | undefined,
    readonly programs: Programs,
    events: PodEvents,
    private readonly log: Logger,
  ) {
    events.onContainer((e) => {
      if (e.type === 'STARTED') {
        const files = this.resolve(e.container).files;
        if (files) this.programs.writeFiles(e.container, files);
        this.start(e.container);
        this.startProgram(e.container);
      } else if (e.type === 'STOPPED') {
        this.halt(e.container.id);
        this.programs.halt(e.container.id);
      } else if (e.type === 'DELETED') {
        this.halt(e.container.id);
        this.programs.halt(e.container.id);
        this.overrides.delete(e.container.id);
      }
    });
  }

  // Containers that were running before a restart carry on: their programs
  // run again from their start, fast up to where they had got, without
  // doing twice what they did (see userland/replay.ts).
  restore(): void {
    const now = Date.now();
    for (const c of this.containers.store.values()) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      // One container that cannot carry on does not keep fakecri down.
      try {
        this.start(c);
        this.startProgram(c, now);
        if (c.programAt) this.containers.store.update(c.id, (r) => delete r.programAt);
      } catch (err) {
        this.log.error({ container: c.id, err }, 'cannot restore the container behaviour; it runs without one');
      }
    }
  }

  // Before StartContainer changes anything: the program must be there,
  // unless a behaviour decides the container's life instead.
  checkStart(c: Container): void {
    if (!this.decidesExit(this.resolve(c))) this.programs.check(c);
  }

  // A behaviour that says when the container exits replaces its program.
  private decidesExit(b: Behaviour): boolean {
    return b.exit_after !== undefined || Boolean(b.crash_loop) || b.oom_after !== undefined;
  }

  private startProgram(c: Container, replayUntilMs?: number): void {
    if (this.decidesExit(this.resolve(c))) return;
    this.programs.start(c, replayUntilMs);
  }

  // StopContainer for a container whose program answers the stop signal
  // itself; undefined when a behaviour's `stop` says how it stops (it wins
  // over the program) or no program runs.
  stopProgram(c: Container, timeoutMs: number): Promise<void> | undefined {
    if (this.resolve(c).stop || !this.programs.has(c.id)) return undefined;
    return this.programs.stop(c.id, timeoutMs);
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
      a.exitTimer = longTimeout(() => this.exitNow(c.id, 137, 'OOMKilled', b.message ?? ''), exitAt(b.oom_after));
    } else if (b.exit_after !== undefined || b.crash_loop) {
      const code = b.exit_code ?? (b.crash_loop ? 1 : 0);
      a.exitTimer = longTimeout(() => this.exitNow(c.id, code, b.reason, b.message ?? ''), exitAt(b.exit_after ?? 1000));
    }
    if (b.rootfs_write) a.rootfs = { written: c.rootfsBytes ?? 0, carry: 0, busy: false, done: (c.rootfsBytes ?? 0) >= b.rootfs_write.total };
    if (b.log) a.log = { lines: 0, carry: 0 };
    if (b.emptydir_write) {
      const mount = (c.mounts as MountView[]).find((m) => m.container_path === b.emptydir_write!.volume);
      const problem = mount?.host_path ? emptyDirProblem(mount.host_path, this.podUid(c)) : 'no mount at that container path';
      if (problem) {
        this.log.warn({ container: c.id, volume: b.emptydir_write.volume, problem }, 'emptydir_write: not writing');
      } else {
        const path = join(mount!.host_path!, b.emptydir_write.file);
        let written = 0;
        try {
          written = lstatSync(path).size;
        } catch {
          // Not written yet.
        }
        a.emptydir = { path, written, carry: 0, done: written >= b.emptydir_write.total };
      }
    }
    this.active.set(c.id, a);
    if ((a.rootfs || a.log || a.emptydir) && !this.ticker) {
      this.lastTick = Date.now();
      this.ticker = setInterval(() => this.tick(), TICK_MS);
    }
  }

  private halt(id: string): void {
    const a = this.active.get(id);
    if (!a) return;
    a.exitTimer?.cancel();
    if (a.usage) a.usage.live = false;
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
    // Where each program had got, for the replay after the restart: the
    // time of a restart would count a round whose sleep had ended but whose
    // timer had not yet run (a loaded machine) as done.
    for (const [id, at] of this.programs.positions()) {
      try {
        this.containers.store.update(id, (r) => (r.programAt = at));
      } catch (err) {
        this.log.warn({ container: id, err: (err as Error).message }, 'where the program had got was not recorded; it replays to the restart');
      }
    }
    this.programs.haltAll();
  }

  private tick(): void {
    const now = Date.now();
    const late = now - this.lastTick > 3 * TICK_MS;
    this.lastTick = now;
    this.budgetPerS = late ? Math.max(MIN_BUDGET_PER_S, this.budgetPerS / 2) : Math.min(WRITE_BUDGET_PER_S, this.budgetPerS * 1.05);
    this.budget = (this.budgetPerS * TICK_MS) / 1000;
    const workUntil = performance.now() + TICK_WORK_MS;
    // Who writes first turns round, so that the budget is shared.
    const all = [...this.active.values()];
    const first = all.length ? this.turn++ % all.length : 0;
    for (const a of [...all.slice(first), ...all.slice(0, first)]) {
      // A tick late by more than a second (a stalled event loop) does not
      // try to catch up: that is how one tick could ask for gigabytes.
      const dt = Math.min(MAX_TICK_S, Math.max(0, (now - a.lastTick) / 1000));
      a.lastTick = now;
      const b = a.behaviour;
      if (performance.now() > workUntil) this.budget = 0;
      try {
        if (a.rootfs && b.rootfs_write) this.growRootfs(a, b.rootfs_write, dt);
        if (a.log && b.log) this.writeLog(a, b.log, dt);
        if (a.emptydir && b.emptydir_write) this.fillEmptyDir(a, b.emptydir_write, dt);
      } catch (err) {
        // A fakecri bug: this container's behaviour stops, fakecri does not.
        this.log.error({ container: a.container.id, err }, 'container behaviour failed; stopping it');
        this.halt(a.container.id);
      }
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
    // Over the budget, the lines are late, not lost: they come in later ticks.
    const fits = Math.floor(this.budget / (spec.line_size + 40));
    if (n > fits) {
      l.carry = Math.min(l.carry + n - fits, spec.rate);
      n = fits;
    }
    if (n <= 0) return;
    this.budget -= n * (spec.line_size + 40);
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
    if (n > this.budget) {
      e.carry = Math.min(e.carry + n - Math.floor(this.budget), spec.rate);
      n = Math.floor(this.budget);
    }
    if (n <= 0) return;
    this.budget -= n;
    let fd: number | undefined;
    try {
      // Never through a symlink: the file is the container's to write.
      fd = openAppend(e.path);
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

  // CPU and memory figures for the stats RPCs at `nowMs`: the behaviour's,
  // else the baseline. CPU time grows while the container runs; an exited
  // container uses nothing and keeps the CPU time it had at its exit.
  // Written into `out`, as plain numbers: the stats lists read 10,000 per
  // call, and a fresh object and a BigInt each cost more than the rest.
  // A number holds CPU time exactly to 2^53 ns (104 days of one core) and
  // to 11 significant digits past it, as the figure was computed before.
  usage(c: Container, baseline: { cpu: number; memory: number }, nowMs: number, out: CpuMemory): CpuMemory {
    const live = this.liveUsage(c, baseline);
    if (live) return live.read(nowMs, out);
    if (c.startedAt === '0') {
      out.cpuNanoCores = out.cpuCoreNanoSeconds = out.memoryBytes = 0;
      return out;
    }
    // Exited, or running without a live entry.
    const running = c.state === 'CONTAINER_RUNNING';
    const b = this.resolve(c);
    const nanoCores = b.cpu ?? baseline.cpu;
    const startedMs = Number(BigInt(c.startedAt) / 1_000_000n);
    const endMs = running ? nowMs : Number(BigInt(c.finishedAt) / 1_000_000n);
    out.cpuCoreNanoSeconds = cpuTime(nanoCores, startedMs, endMs);
    out.cpuNanoCores = running ? nanoCores : 0;
    out.memoryBytes = running ? (b.memory ?? baseline.memory) : 0;
    return out;
  }

  // A running container's figures from its live entry (what it needs,
  // parsed once at its start), to read in place; undefined when it has none.
  liveUsage(c: Container, baseline: { cpu: number; memory: number }): LiveUsage | undefined {
    const a = c.state === 'CONTAINER_RUNNING' ? this.active.get(c.id) : undefined;
    if (!a) return undefined;
    return (a.usage ??= new LiveUsage(a.behaviour.cpu ?? baseline.cpu, a.behaviour.memory ?? baseline.memory, a.startedMs));
  }

  // What the container does with a graceful stop.
  stopPlan(c: Container): { mode: 'exit' | 'delay' | 'ignore'; delayMs: number; exitCode: number } {
    const s = this.resolve(c).stop;
    return { mode: s?.mode ?? 'exit', delayMs: s?.delay ?? 0, exitCode: s?.exit_code ?? 0 };
  }

  // Used by the control API to check a behaviour names things that exist.
  check(b: Behaviour, c: Container): void {
    if (!b.emptydir_write) return;
    const mount = (c.mounts as MountView[]).find((m) => m.container_path === b.emptydir_write!.volume);
    if (!mount) throw invalidArgument(`behaviour field "emptydir_write.volume": container "${c.id}" has no mount at "${b.emptydir_write.volume}"`);
    const problem = emptyDirProblem(mount.host_path ?? '', this.podUid(c));
    if (problem) throw invalidArgument(`behaviour field "emptydir_write.volume": the mount at "${b.emptydir_write.volume}" is not an emptyDir: ${problem}`);
  }

  private podUid(c: Container): string {
    return this.sandboxes.get(c.sandboxId)?.metadata.uid ?? '';
  }
}
