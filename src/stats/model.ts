import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';
import type { ObjectSize } from '../vfs/filesystem';

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

export interface StatsSources {
  // CPU and memory of a container, from the runner's live entry (kept as
  // the container starts, stops and changes behaviour).
  cpuMemory(c: Container): { cpuNanoCores: number; cpuCoreNanoSeconds: bigint; memoryBytes: number };
  // The writable layer's live account on containerfs.
  layer(containerId: string): Readonly<ObjectSize> | undefined;
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

  container(c: Container): ContainerUsage {
    const u = this.src.cpuMemory(c);
    const layer = this.src.layer(c.id);
    return {
      cpuCoreNanoSeconds: u.cpuCoreNanoSeconds,
      cpuNanoCores: u.cpuNanoCores,
      memoryWorkingSetBytes: u.memoryBytes,
      writableLayer: { mountpoint: this.src.containerfsMountpoint, usedBytes: layer?.bytes ?? 0, inodesUsed: layer?.inodes ?? 0 },
    };
  }

  sandbox(s: Sandbox): SandboxUsage {
    const out: SandboxUsage = { cpuCoreNanoSeconds: 0n, cpuNanoCores: 0, memoryWorkingSetBytes: 0, containers: [] };
    for (const c of this.src.inSandbox(s.id)) {
      if (c.state !== 'CONTAINER_RUNNING') continue;
      const usage = this.container(c);
      out.cpuCoreNanoSeconds += usage.cpuCoreNanoSeconds;
      out.cpuNanoCores += usage.cpuNanoCores;
      out.memoryWorkingSetBytes += usage.memoryWorkingSetBytes;
      out.containers.push({ container: c, usage });
    }
    return out;
  }
}
