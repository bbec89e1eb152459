import type { Readable, Writable } from 'node:stream';
import { type Chunk, FsError } from '../rootfs/types';
import { chunkBuffer } from './streams';
import type { InStream, OutStream } from './types';

// Node streams as a process's stdin and stdout (exec and attach over the
// streaming server): reads pull from the Readable only when the process
// reads, and writes wait for 'drain', so a slow client slows the process
// instead of filling memory.

// A Readable as input: its end (or its going away) is end of input.
// close() stops reading: a pending read answers null, later ones too.
export class ReadableIn implements InStream {
  private closed = false;
  private reads = 0;
  private wake?: () => void;

  constructor(private readonly r: Readable) {}

  // Only the newest read waits: an older one still waiting belongs to a
  // process killed meanwhile and must not take the next bytes; it never
  // returns.
  async read(max = Number.MAX_SAFE_INTEGER): Promise<Chunk | null> {
    const r = this.r;
    const me = ++this.reads;
    this.wake?.();
    for (;;) {
      if (this.closed) return null;
      if (me !== this.reads) return new Promise<never>(() => {});
      const c = r.readableEnded || r.destroyed ? null : (r.read() as Buffer | string | null);
      if (c !== null) {
        const b = typeof c === 'string' ? Buffer.from(c) : c;
        if (b.byteLength > max) {
          r.unshift(b.subarray(max));
          return b.subarray(0, max);
        }
        if (b.byteLength > 0) return b;
        continue;
      }
      if (r.readableEnded || r.destroyed || r.errored) return null;
      await new Promise<void>((resolve) => {
        const done = () => {
          r.off('readable', done);
          r.off('end', done);
          r.off('close', done);
          r.off('error', done);
          this.wake = undefined;
          resolve();
        };
        this.wake = done;
        r.on('readable', done);
        r.on('end', done);
        r.on('close', done);
        r.on('error', done);
      });
    }
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }
}

// A Writable as output. A write resolves once the Writable took the bytes
// and has room again; it fails with EPIPE (the process's SIGPIPE) when the
// Writable is gone or `stop` aborts (the client went).
export function nodeOut(w: Writable, stop?: AbortSignal): OutStream {
  return {
    write: async (data) => {
      if (stop?.aborted || w.destroyed || w.writableEnded) throw new FsError('EPIPE');
      const b = typeof data === 'string' ? Buffer.from(data) : chunkBuffer(data);
      if (b.byteLength === 0) return;
      if (w.write(b, noop)) return;
      await drained(w, stop);
    },
  };
}

const noop = () => {};

function drained(w: Writable, stop?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      w.off('drain', ok);
      w.off('close', gone);
      w.off('error', gone);
      stop?.removeEventListener('abort', gone);
      if (err) reject(new FsError('EPIPE'));
      else resolve();
    };
    const ok = () => done();
    const gone = () => done(true);
    if (stop?.aborted || w.destroyed) return gone();
    w.on('drain', ok);
    w.on('close', gone);
    w.on('error', gone);
    stop?.addEventListener('abort', gone, { once: true });
  });
}
