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

// An open device file. Positions mean nothing to these devices.
export function openDevice(rdev: number, random: () => RandomSource): FileIo {
  const io = (read: (length: number) => Chunk | null, write: (data: Chunk) => void): FileIo => ({
    read: (_position, length) => read(length),
    write: (_position, data) => write(data),
    size: () => 0,
    truncate: () => {},
    allocate: () => {
      throw new FsError('ENODEV');
    },
    sync: () => {},
    close: () => {},
  });
  const zeros = (length: number): Chunk => ({ fill: 'zero', length, seed: 0, offset: 0 });
  const discard = (): void => {};
  switch (rdev) {
    case DEV.null:
      return io(() => null, discard);
    case DEV.zero:
      return io(zeros, discard);
    case DEV.full:
      return io(zeros, () => {
        throw new FsError('ENOSPC');
      });
    case DEV.random:
    case DEV.urandom:
      return io((length) => random().take(length), discard);
    default:
      throw new FsError('ENXIO');
  }
}
