import { Transform, Writable } from 'node:stream';
import { endAndWait } from './end';

// streaming.max_stream_bytes: the most bytes one data stream may carry (an
// exec's stdin, stdout or stderr; a forwarded connection, both ways
// together). The kubelet's server has no such limit; this one is ours, so
// a runaway client or command ends with a message instead of running on.
// The bytes up to the limit go through; what lies beyond is dropped, and
// the stream's owner is told once.

export class StreamBytesExceeded extends Error {
  constructor(
    readonly stream: string,
    readonly limit: number,
  ) {
    super(`the ${stream} stream reached streaming.max_stream_bytes (${limit} bytes)`);
  }
}

// The bytes one stream has left; over() is called once, when a chunk does
// not fit.
export class ByteBudget {
  private used = 0;
  private tripped = false;

  constructor(
    readonly stream: string,
    readonly limit: number,
    private readonly over: (err: StreamBytesExceeded) => void,
  ) {}

  get exceeded(): boolean {
    return this.tripped;
  }

  // What of a chunk may pass: all of it, a head, or nothing.
  take(chunk: Buffer): Buffer {
    if (this.tripped) return chunk.subarray(0, 0);
    const left = this.limit - this.used;
    if (chunk.byteLength <= left) {
      this.used += chunk.byteLength;
      return chunk;
    }
    this.used = this.limit;
    this.tripped = true;
    this.over(new StreamBytesExceeded(this.stream, this.limit));
    return chunk.subarray(0, left);
  }
}

// Writes go on to `inner` while the budget lasts (with its backpressure);
// ending this ends inner.
export class CappedWritable extends Writable {
  constructor(
    private readonly inner: Writable,
    private readonly budget: ByteBudget,
  ) {
    super();
    inner.once('close', () => this.destroy());
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const part = this.budget.take(chunk);
    if (part.byteLength === 0 || this.inner.destroyed) return cb();
    if (this.inner.write(part)) cb();
    else this.inner.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    void endAndWait(this.inner).then(() => cb());
  }
}

// A pass-through that lets the budget's bytes by.
export function cappedTransform(budget: ByteBudget): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      const part = budget.take(chunk);
      cb(null, part.byteLength ? part : undefined);
    },
  });
}
