import type { FileIo } from './backend';
import { type Chunk, type FileHandle, FsError, type Stat, chunkLength } from './types';

// Files may grow to this size (ext4's limit with 4 KiB blocks is 16 TiB).
export const MAX_FILE_SIZE = 2 ** 44;

// An open file: its offset, its access mode and the backend's I/O.
export class Handle implements FileHandle {
  private pos = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly io: FileIo,
    private readonly mode: { read: boolean; write: boolean; append: boolean; dir: boolean },
    private readonly statOf: () => Stat,
  ) {}

  get offset(): number {
    return this.pos;
  }

  read(length: number, position?: number): Chunk | null {
    this.check(this.mode.read);
    if (this.mode.dir) throw new FsError('EISDIR', this.path);
    const at = position ?? this.pos;
    const chunk = this.io.read(at, length);
    if (position === undefined && chunk) this.pos += chunkLength(chunk);
    return chunk;
  }

  write(data: Chunk, position?: number): number {
    this.check(this.mode.write);
    const len = chunkLength(data);
    const at = position ?? (this.mode.append ? this.io.size() : this.pos);
    if (at + len > MAX_FILE_SIZE) throw new FsError('EFBIG', this.path);
    if (len > 0) this.io.write(at, data);
    if (position === undefined) this.pos = at + len;
    return len;
  }

  stat(): Stat {
    this.check(true);
    return this.statOf();
  }

  truncate(size: number): void {
    this.check(this.mode.write);
    if (size < 0) throw new FsError('EINVAL', this.path);
    if (size > MAX_FILE_SIZE) throw new FsError('EFBIG', this.path);
    this.io.truncate(size);
  }

  allocate(offset: number, length: number): void {
    this.check(this.mode.write);
    if (offset < 0 || length <= 0) throw new FsError('EINVAL', this.path);
    if (offset + length > MAX_FILE_SIZE) throw new FsError('EFBIG', this.path);
    this.io.allocate(offset, length);
  }

  seek(offset: number): void {
    this.check(true);
    if (offset < 0) throw new FsError('EINVAL', this.path);
    this.pos = offset;
  }

  sync(): void {
    this.check(true);
    this.io.sync();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.io.close();
  }

  private check(allowed: boolean): void {
    if (this.closed || !allowed) throw new FsError('EBADF', this.path);
  }
}
