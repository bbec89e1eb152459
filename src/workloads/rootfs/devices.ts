import type { FileIo } from './backend';
import { type Chunk, FsError } from './types';

// The character devices a container's /dev holds, by rdev (major << 8 | minor,
// as stat shows small device numbers).
export const makedev = (major: number, minor: number): number => (major << 8) | minor;
export const DEV = {
  null: makedev(1, 3),
  zero: makedev(1, 5),
  full: makedev(1, 7),
  random: makedev(1, 8),
  urandom: makedev(1, 9),
  tty: makedev(5, 0),
} as const;

// /dev/random and /dev/urandom of one container: a stream keyed by its seed;
// each read takes the next stretch, so successive reads differ and a file
// written from them in order stays one Fill.
export class RandomSource {
  position = 0;
  constructor(readonly seed: number) {}

  take(length: number): Chunk {
    const fill = { fill: 'random' as const, length, seed: this.seed, offset: this.position };
    this.position += length;
    return fill;
  }
}

// An open device file. Positions mean nothing to these devices. Those that
// hold nothing are shared: a loop's `2>/dev/null` opens one a round, and
// with a thousand loops parked between slices, what each open builds
// outlives a scavenge and is copied.
class DeviceIo implements FileIo {
  constructor(
    private readonly from: (length: number) => Chunk | null,
    private readonly to: (data: Chunk) => void,
  ) {}

  read(_position: number, length: number): Chunk | null {
    return this.from(length);
  }

  write(_position: number, data: Chunk): void {
    this.to(data);
  }

  size(): number {
    return 0;
  }

  truncate(): void {}

  allocate(): void {
    throw new FsError('ENODEV');
  }

  sync(): void {}

  close(): void {}
}

const zeros = (length: number): Chunk => ({ fill: 'zero', length, seed: 0, offset: 0 });
const discard = (): void => {};
const NULL_IO = new DeviceIo(() => null, discard);
const ZERO_IO = new DeviceIo(zeros, discard);
const FULL_IO = new DeviceIo(zeros, () => {
  throw new FsError('ENOSPC');
});

export function openDevice(rdev: number, random: () => RandomSource): FileIo {
  switch (rdev) {
    case DEV.null:
      return NULL_IO;
    case DEV.zero:
      return ZERO_IO;
    case DEV.full:
      return FULL_IO;
    case DEV.random:
    case DEV.urandom:
      return new DeviceIo((length) => random().take(length), discard);
    default:
      throw new FsError('ENXIO');
  }
}
