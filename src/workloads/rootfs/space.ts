import { BLOCK } from './content';
import { FsError, type StatFs } from './types';

// Where a filesystem's bytes and inodes are counted: refuses a charge that
// does not fit with ENOSPC, changing nothing.
export interface Space {
  charge(bytes: number, inodes: number): void;
  credit(bytes: number, inodes: number): void;
  statfs(): StatFs;
}

// A fixed capacity, counted here: tests, /dev/shm, a standalone tree.
export class CapacitySpace implements Space {
  usedBytes = 0;
  usedInodes = 0;

  constructor(
    readonly capacityBytes: number,
    readonly inodes: number,
    readonly type = 'tmpfs',
  ) {}

  charge(bytes: number, inodes: number): void {
    if (this.usedBytes + bytes > this.capacityBytes || this.usedInodes + inodes > this.inodes) throw new FsError('ENOSPC');
    this.usedBytes += bytes;
    this.usedInodes += inodes;
  }

  credit(bytes: number, inodes: number): void {
    this.usedBytes -= bytes;
    this.usedInodes -= inodes;
  }

  statfs(): StatFs {
    const blocks = Math.floor(this.capacityBytes / BLOCK);
    const bfree = Math.max(0, blocks - Math.ceil(this.usedBytes / BLOCK));
    return { type: this.type, bsize: BLOCK, blocks, bfree, bavail: bfree, files: this.inodes, ffree: Math.max(0, this.inodes - this.usedInodes) };
  }
}

// Counts nothing and never fills (an image's shared lower tree).
export const unlimitedSpace = (type = 'overlay'): Space => ({
  charge() {},
  credit() {},
  statfs: () => ({ type, bsize: BLOCK, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0 }),
});
