import { FakecriError } from '../domain/errors';

// A filesystem as fakecri models it: named objects (image layers, container
// writable layers, ballast) that take bytes and inodes. Backends differ in
// whether the bytes are real.
export interface ObjectSize {
  bytes: number;
  inodes: number;
}

// An object's figures as its filesystem keeps them, read in place. `gone`
// turns true as the object leaves the accounts (removed, or replaced at a
// restore): a reader that keeps the entry looks it up again then.
export interface LiveSize extends Readonly<ObjectSize> {
  readonly gone: boolean;
}

export interface Usage {
  usedBytes: number; // what fakecri stored: objects + ballast
  inodesUsed: number;
}

export interface Capacity {
  capacityBytes: number;
  availableBytes: number;
  inodes: number;
  inodesFree: number;
}

export interface WriteOptions {
  // Pace the write to this many bytes per second (0: as fast as possible).
  bytesPerSecond?: number;
  signal?: AbortSignal;
}

export interface Filesystem {
  readonly name: string;
  readonly backend: 'memory' | 'host';
  // The directory the kubelet statfs()es; ImageFsInfo reports it.
  readonly mountpoint: string;

  // Adds `bytes` (and `inodes`, for a new object) to object `key`, creating
  // it. All or nothing: when the space runs out nothing of this write stays,
  // and the error is RESOURCE_EXHAUSTED "no space left on device".
  write(key: string, bytes: number, options?: WriteOptions, inodes?: number): Promise<void>;
  // Counts bytes and inodes that their owner writes (or frees, negative)
  // in object `key`, a directory tree it manages itself: a container's
  // writable layer. Synchronous. A charge that does not fit is refused
  // whole with NoSpaceError: the memory backend checks its capacity; on the
  // host backend the owner wrote real bytes, and the disk already decided.
  charge(key: string, bytes: number, inodes: number): void;
  // Out of the accounts at once. A promise when the files leave the disk
  // later (a host tree of many inodes), settled once they have.
  remove(key: string): Promise<void> | undefined;
  sizeOf(key: string): ObjectSize | undefined;
  // The object's live figures, not a copy: for readers that look at
  // thousands of objects per call (the stats lists) and keep nothing.
  entry(key: string): LiveSize | undefined;
  keys(prefix?: string): string[];
  usage(): Usage;
  capacity(): Capacity;
  // After a restart: adopt objects the state says exist. Returns what is
  // wrong (missing or short files); removes what the state does not know.
  // `trees` are keys of directory trees charged by their owner, who measured
  // them: adopted as given, their contents kept.
  restore(expected: Map<string, ObjectSize>, trees?: ReadonlySet<string>): string[];
}

export class NoSpaceError extends FakecriError {
  constructor(fs: string, path: string) {
    super('RESOURCE_EXHAUSTED', `write ${path}: no space left on device (${fs})`);
  }
}

// How long to wait so that `done` bytes since `startedAt` keep to the rate.
export function paceDelay(done: number, startedAt: number, bytesPerSecond = 0): number {
  if (!bytesPerSecond) return 0;
  return Math.max(0, startedAt + (done / bytesPerSecond) * 1000 - Date.now());
}
