import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Capacity, type Filesystem, NoSpaceError, type ObjectSize, type Usage, type WriteOptions, paceDelay } from './filesystem';
import { sleep } from '../domain/sleep';

// Accounting only: a configured capacity and inode count, nothing written.
// Fast enough for thousands of pods; the kubelet still statfs()es the
// mountpoint, so its capacity is the real disk's, not this one.
export class MemoryFilesystem implements Filesystem {
  readonly backend = 'memory';
  private readonly objects = new Map<string, ObjectSize>();
  private used = 0;
  private inodes = 0;

  constructor(
    readonly name: string,
    readonly mountpoint: string,
    private readonly capacityBytes: number,
    private readonly inodeCount: number,
  ) {
    mkdirSync(mountpoint, { recursive: true });
  }

  async write(key: string, bytes: number, options: WriteOptions = {}, inodes = 1): Promise<void> {
    const existing = this.objects.get(key);
    const newInodes = existing ? 0 : inodes;
    if (this.used + bytes > this.capacityBytes || this.inodes + newInodes > this.inodeCount) {
      throw new NoSpaceError(this.name, join(this.mountpoint, key));
    }
    // Reserve first so that concurrent writes cannot overcommit.
    const entry = existing ?? { bytes: 0, inodes: newInodes };
    entry.bytes += bytes;
    this.objects.set(key, entry);
    this.used += bytes;
    this.inodes += newInodes;
    const wait = paceDelay(bytes, Date.now(), options.bytesPerSecond);
    if (wait <= 0) return;
    try {
      await sleep(wait, options.signal);
    } catch (err) {
      entry.bytes -= bytes;
      this.used -= bytes;
      if (!existing) {
        this.objects.delete(key);
        this.inodes -= newInodes;
      }
      throw err;
    }
  }

  remove(key: string): void {
    const entry = this.objects.get(key);
    if (!entry) return;
    this.objects.delete(key);
    this.used -= entry.bytes;
    this.inodes -= entry.inodes;
  }

  sizeOf(key: string): ObjectSize | undefined {
    const e = this.objects.get(key);
    return e && { ...e };
  }

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix));
  }

  usage(): Usage {
    return { usedBytes: this.used, inodesUsed: this.inodes };
  }

  capacity(): Capacity {
    return {
      capacityBytes: this.capacityBytes,
      availableBytes: this.capacityBytes - this.used,
      inodes: this.inodeCount,
      inodesFree: this.inodeCount - this.inodes,
    };
  }

  restore(expected: Map<string, ObjectSize>): string[] {
    for (const [key, size] of expected) {
      this.objects.set(key, { ...size });
      this.used += size.bytes;
      this.inodes += size.inodes;
    }
    return [];
  }
}
