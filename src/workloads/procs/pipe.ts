import { type Chunk, FsError, chunkLength, isFill } from '../rootfs/types';
import type { InStream, OutStream } from './types';

// A pipe between two processes, with the kernel's 64 KiB of buffer: a
// writer waits while it is full, a reader while it is empty. Closing the
// read end makes writes fail with EPIPE (the writer's SIGPIPE is its
// owner's business); closing the write end gives the reader end of input.
export const PIPE_BUFFER = 64 * 1024;

export class Pipe {
  private readonly chunks: Chunk[] = [];
  private buffered = 0;
  private writers = 1;
  private readerClosed = false;
  private wakeReader?: () => void;
  private wakeWriters: (() => void)[] = [];

  readonly reader: InStream & { close(): void } = {
    read: (max) => this.read(max),
    close: () => this.closeRead(),
  };

  readonly writer: OutStream & { close(): void } = {
    write: (data) => this.write(data),
    close: () => this.closeWrite(),
  };

  // Another process holds the write end (a pipeline stage forked twice):
  // end of input comes when every holder has closed it.
  addWriter(): void {
    this.writers++;
  }

  private async write(data: Chunk | string): Promise<void> {
    const chunk: Chunk = typeof data === 'string' ? Buffer.from(data) : data;
    if (chunkLength(chunk) === 0) return;
    while (this.buffered >= PIPE_BUFFER && !this.readerClosed) {
      await new Promise<void>((r) => this.wakeWriters.push(r));
    }
    if (this.readerClosed) throw new FsError('EPIPE');
    this.chunks.push(chunk);
    this.buffered += chunkLength(chunk);
    this.wake();
  }

  private async read(max = Number.MAX_SAFE_INTEGER): Promise<Chunk | null> {
    while (this.chunks.length === 0) {
      if (this.writers === 0 || this.readerClosed) return null;
      await new Promise<void>((r) => (this.wakeReader = r));
    }
    let chunk = this.chunks[0];
    const n = chunkLength(chunk);
    if (n > max) {
      const [head, tail] = split(chunk, max);
      this.chunks[0] = tail;
      chunk = head;
    } else this.chunks.shift();
    this.buffered -= Math.min(n, max);
    const writers = this.wakeWriters;
    this.wakeWriters = [];
    for (const w of writers) w();
    return chunk;
  }

  private closeWrite(): void {
    if (this.writers > 0) this.writers--;
    this.wake();
  }

  private closeRead(): void {
    this.readerClosed = true;
    this.chunks.length = 0;
    this.buffered = 0;
    const writers = this.wakeWriters;
    this.wakeWriters = [];
    for (const w of writers) w();
    this.wake();
  }

  private wake(): void {
    const r = this.wakeReader;
    this.wakeReader = undefined;
    r?.();
  }
}

export function split(chunk: Chunk, at: number): [Chunk, Chunk] {
  if (isFill(chunk)) {
    return [
      { ...chunk, length: at },
      { ...chunk, length: chunk.length - at, offset: chunk.offset + at },
    ];
  }
  return [chunk.subarray(0, at), chunk.subarray(at)];
}
