import type { InStream, OutStream } from '../procs/types';
import { chunkBuffer } from '../procs/streams';
import { type Chunk, type FileHandle, FsError } from '../rootfs/types';

// One open file description, shared by the fd table slots (of this shell
// and of its subshells) that refer to it. The last slot to let go of it
// closes what the shell opened (a file, a pipe's end); the streams the
// shell was given (its stdin, stdout, stderr) are never closed by it.
export class Fd {
  refs = 0;
  // Input already read from `in` but not used (by `read`), served first.
  private pending: Buffer | undefined;
  // A read `read` gave up on (a trap came): its data goes to the next reader.
  private inflight: Promise<Chunk | null> | undefined;

  constructor(
    readonly input: InStream | undefined,
    readonly out: OutStream | undefined,
    private readonly closer?: () => void,
    // A pipe's write end: a write to it after the reader left raises SIGPIPE.
    readonly pipe = false,
  ) {}

  // The input as a stream that serves what `read` pushed back first.
  get in(): InStream | undefined {
    if (!this.input) return undefined;
    if (!this.pending && !this.inflight) return this.input;
    return { read: (max) => this.read(max), isTTY: this.input.isTTY, tty: this.input.tty };
  }

  async read(max?: number): Promise<Chunk | null> {
    const p = this.pending;
    if (p) {
      const n = Math.min(max ?? p.byteLength, p.byteLength);
      this.pending = n < p.byteLength ? p.subarray(n) : undefined;
      return p.subarray(0, n);
    }
    if (this.inflight) {
      const r = this.inflight;
      this.inflight = undefined;
      return r;
    }
    if (!this.input) throw new FsError('EBADF');
    return this.input.read(max);
  }

  // Keeps a read whose result nobody took, for the next reader.
  keep(p: Promise<Chunk | null>): void {
    this.inflight = p;
    p.catch(() => {});
  }

  // Gives back bytes read ahead, for the next reader.
  unread(b: Buffer): void {
    if (b.byteLength === 0) return;
    this.pending = this.pending ? Buffer.concat([b, this.pending]) : b;
  }

  hold(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs > 0) return;
    this.pending = undefined;
    try {
      this.closer?.();
    } catch {
      // closing is best effort, as close(2) errors are for the writer
    }
  }
}

// The fd table starts with 0-9 and grows as a redirection names a higher
// one (`exec 200>lock`), up to MAX_FD: ash goes as far as RLIMIT_NOFILE,
// a table that large would cost every subshell its copy.
export const NFDS = 10;
export const MAX_FD = 65535;
export type FdTable = (Fd | undefined)[];

// An open file as streams. Reads and writes go straight to the handle.
export function fileFd(h: FileHandle, read: boolean, write: boolean): Fd {
  const input: InStream | undefined = read ? { read: async (max) => h.read(max ?? 64 * 1024) } : undefined;
  const out: OutStream | undefined = write
    ? {
        write: async (data) => {
          h.write(typeof data === 'string' ? Buffer.from(data) : data);
        },
      }
    : undefined;
  return new Fd(input, out, () => h.close());
}

// Stdio the shell was given: not closed by the shell.
export function streamFd(input: InStream | undefined, out: OutStream | undefined): Fd {
  return new Fd(input, out);
}

// What a closed or write-only fd gives a command that uses it.
export const badIn: InStream = { read: async () => Promise.reject(new FsError('EBADF')) };
export const badOut: OutStream = { write: async () => Promise.reject(new FsError('EBADF')) };

export const toBuffer = (c: Chunk): Buffer => chunkBuffer(c);
