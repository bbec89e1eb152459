import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';
import type { LiveSize } from '../vfs/filesystem';

export interface DiskUsage {
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
}

export interface ContainerUsage {
  cpuCoreNanoSeconds: bigint;
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
  writableLayer: DiskUsage;
}

// A pod: the sums over its running containers, and each of them.
export interface SandboxUsage {
  cpuCoreNanoSeconds: bigint;
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
  containers: { container: Container; usage: ContainerUsage }[];
}

// One container's figures at one moment as plain numbers, written into an
// object the caller keeps: what the stats lists read, 10,000 per call.
export interface Figures {
  cpuNanoCores: number;
  cpuCoreNanoSeconds: number;
  memoryBytes: number;
  layerBytes: number;
  layerInodes: number;
}

export const newFigures = (): Figures => ({ cpuNanoCores: 0, cpuCoreNanoSeconds: 0, memoryBytes: 0, layerBytes: 0, layerInodes: 0 });

// A container's CPU and memory figures.
export type CpuMemory = Pick<Figures, 'cpuNanoCores' | 'cpuCoreNanoSeconds' | 'memoryBytes'>;

// What a pod's stats sum over its running containers.
export type PodSums = CpuMemory;

// The sums of the first `n` of a pod's containers' figures, into `out`:
// the one place both the stats lists and the unary RPCs add them up.
export function podSums(figures: readonly Figures[], n: number, out: PodSums): PodSums {
  out.cpuNanoCores = out.cpuCoreNanoSeconds = out.memoryBytes = 0;
  for (let i = 0; i < n; i++) {
    out.cpuNanoCores += figures[i].cpuNanoCores;
    out.cpuCoreNanoSeconds += figures[i].cpuCoreNanoSeconds;
    out.memoryBytes += figures[i].memoryBytes;
  }
  return out;
}

// A running container's CPU and memory as the runner's live entry holds
// them, read in place until `live` turns false.
export interface LiveCpuMemory {
  readonly live: boolean;
  read(nowMs: number, out: CpuMemory): void;
}

// What a container's figures are read from, found once and kept by a
// caller that reads them on every call (the stats lists, 10,000 per call),
// instead of looked up by id each time: each part is the live object its
// source keeps, and says when it stops being the one to read.
export interface Kept {
  cpu: LiveCpuMemory | undefined;
  layer: LiveSize;
}

// Nothing kept yet: looked up at the first read.
export const NOTHING_KEPT: LiveSize = Object.freeze({ bytes: 0, inodes: 0, gone: true });

export interface StatsSources {
  // CPU and memory of a container at `nowMs`, from the runner's live entry
  // (kept as the container starts, stops and changes behaviour), written
  // into `out`.
  cpuMemory(c: Container, nowMs: number, out: CpuMemory): void;
  // The same live entry, to keep; undefined when the container has none
  // (not running).
  liveCpuMemory(c: Container): LiveCpuMemory | undefined;
  // The writable layer's live account on containerfs, read in place.
  layer(containerId: string): LiveSize;
  containerfsMountpoint: string;
  // The sandbox's containers (an index, not a scan of all containers).
  inSandbox(sandboxId: string): Container[];
}

// The one place stats figures come from: the stats RPCs (as objects or
// encoded in bulk) and the metrics read them here, so they always agree.
// Every figure is read from state that is kept as things change (the
// runner's entries, the filesystem accounts): nothing is walked or parsed
// per call.
export class StatsModel {
  constructor(private readonly src: StatsSources) {}

  get mountpoint(): string {
    return this.src.containerfsMountpoint;
  }

  // The figures of container `c` at `nowMs`, into `out`.
  read(c: Container, nowMs: number, out: Figures): Figures {
    this.src.cpuMemory(c, nowMs, out);
    const layer = this.src.layer(c.id);
    out.layerBytes = layer.bytes;
    out.layerInodes = layer.inodes;
    return out;
  }

  // The same through what `kept` holds for `c`, looked up again where it is
  // gone: what the stats lists read.
  readKept(c: Container, kept: Kept, nowMs: number, out: Figures): Figures {
    let cpu = kept.cpu;
    if (cpu === undefined || !cpu.live) cpu = kept.cpu = this.src.liveCpuMemory(c);
    if (cpu === undefined) this.src.cpuMemory(c, nowMs, out);
    else cpu.read(nowMs, out);
    let layer = kept.layer;
    if (layer.gone) layer = kept.layer = this.src.layer(c.id);
    out.layerBytes = layer.bytes;
    out.layerInodes = layer.inodes;
    return out;
  }

  // The running containers of a sandbox, whose figures it sums.
  running(s: Sandbox): Container[] {
    return this.src.inSandbox(s.id).filter((c) => c.state === 'CONTAINER_RUNNING');
  }

  container(c: Container, nowMs = Date.now()): ContainerUsage {
    return this.usage(this.read(c, nowMs, newFigures()));
  }

  sandbox(s: Sandbox, nowMs = Date.now()): SandboxUsage {
    const containers = this.running(s);
    const figures = containers.map((c) => this.read(c, nowMs, newFigures()));
    const sums = podSums(figures, figures.length, newFigures());
    return {
      cpuCoreNanoSeconds: BigInt(sums.cpuCoreNanoSeconds),
      cpuNanoCores: sums.cpuNanoCores,
      memoryWorkingSetBytes: sums.memoryBytes,
      containers: containers.map((c, i) => ({ container: c, usage: this.usage(figures[i]) })),
    };
  }

  private usage(f: Figures): ContainerUsage {
    return {
      cpuCoreNanoSeconds: BigInt(f.cpuCoreNanoSeconds),
      cpuNanoCores: f.cpuNanoCores,
      memoryWorkingSetBytes: f.memoryBytes,
      writableLayer: { mountpoint: this.src.containerfsMountpoint, usedBytes: f.layerBytes, inodesUsed: f.layerInodes },
    };
  }
}
