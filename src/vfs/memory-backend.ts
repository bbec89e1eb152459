import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../domain/sleep';
import { Accounts } from './accounts';
import { type Capacity, type Filesystem, type LiveSize, NoSpaceError, type ObjectSize, type Usage, type WriteOptions, paceDelay } from './filesystem';

// Accounting only: a configured capacity and inode count, nothing written.
// Fast enough for thousands of pods; the kubelet still statfs()es the
// mountpoint, so its capacity is the real disk's, not this one.
export class MemoryFilesystem implements Filesystem {
  readonly backend = 'memory';
  private readonly accounts = new Accounts();

  constructor(
    readonly name: string,
    readonly mountpoint: string,
    private readonly capacityBytes: number,
    private readonly inodeCount: number,
  ) {
    mkdirSync(mountpoint, { recursive: true });
  }

  async write(key: string, bytes: number, options: WriteOptions = {}, inodes = 1): Promise<void> {
    const newInodes = this.accounts.has(key) ? 0 : inodes;
    const { usedBytes, inodesUsed } = this.accounts.usage();
    if (usedBytes + bytes > this.capacityBytes || inodesUsed + newInodes > this.inodeCount) {
      throw new NoSpaceError(this.name, join(this.mountpoint, key));
    }
    const undo = this.accounts.reserve(key, bytes, inodes);
    const wait = paceDelay(bytes, Date.now(), options.bytesPerSecond);
    if (wait <= 0) return;
    try {
      await sleep(wait, options.signal);
    } catch (err) {
      undo();
      throw err;
    }
  }

  charge(key: string, bytes: number, inodes: number): void {
    const { usedBytes, inodesUsed } = this.accounts.usage();
    if ((bytes > 0 && usedBytes + bytes > this.capacityBytes) || (inodes > 0 && inodesUsed + inodes > this.inodeCount)) {
      throw new NoSpaceError(this.name, join(this.mountpoint, key));
    }
    this.accounts.add(key, bytes, inodes);
  }

  remove(key: string): undefined {
    this.accounts.remove(key);
    return undefined;
  }

  sizeOf(key: string): ObjectSize | undefined {
    return this.accounts.sizeOf(key);
  }

  entry(key: string): LiveSize | undefined {
    return this.accounts.entry(key);
  }

  keys(prefix = ''): string[] {
    return this.accounts.keys(prefix);
  }

  usage(): Usage {
    return this.accounts.usage();
  }

  capacity(): Capacity {
    const { usedBytes, inodesUsed } = this.accounts.usage();
    return {
      capacityBytes: this.capacityBytes,
      availableBytes: this.capacityBytes - usedBytes,
      inodes: this.inodeCount,
      inodesFree: this.inodeCount - inodesUsed,
    };
  }

  restore(expected: Map<string, ObjectSize>): string[] {
    for (const [key, size] of expected) this.accounts.adopt(key, size);
    return [];
  }
}
