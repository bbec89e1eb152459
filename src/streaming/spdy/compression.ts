import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { MAX_HEADER_BLOCK } from './constants';
import { SPDY3_DICTIONARY } from './dictionary';
import { ProtocolError } from './errors';

// SPDY/3 compresses every header block of one direction of a session with one
// zlib stream (dictionary above), each block ending on a Z_SYNC_FLUSH. So a
// session holds one deflater (what we send) and one inflater (what we read)
// for its whole life, and blocks must pass through them in wire order.
//
// node:zlib offers a persistent context only as a stream, which works on the
// thread pool: run() queues blocks one after another and answers each with
// exactly the bytes its write produced. With `flush: Z_SYNC_FLUSH` every write
// ends on a sync flush. The 'data' listener is attached at once, so output is
// emitted as zlib pushes it, before the write's callback runs.
class SerialZlib {
  private chain: Promise<unknown> = Promise.resolve();
  private out: Buffer[] = [];
  private outBytes = 0;
  private reject?: (err: Error) => void;
  private failure?: Error;

  constructor(
    private readonly z: Deflate | Inflate,
    private readonly maxOut: number,
    private readonly what: string,
  ) {
    z.on('data', (chunk: Buffer) => {
      this.out.push(chunk);
      this.outBytes += chunk.length;
      if (this.outBytes > this.maxOut) this.fail(new ProtocolError(`${this.what} is over ${this.maxOut} bytes`));
    });
    z.on('error', (err: Error) => this.fail(new ProtocolError(`${this.what}: ${err.message}`)));
  }

  run(input: Buffer): Promise<Buffer> {
    const next = this.chain.then(() => this.one(input));
    this.chain = next.catch(() => undefined);
    return next;
  }

  close(): void {
    this.failure ??= new Error(`${this.what}: closed`);
    this.z.destroy();
  }

  private one(input: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      this.reject = reject;
      this.z.write(input, (err) => {
        if (this.reject !== reject) return; // failed already
        this.reject = undefined;
        if (err) return reject(new ProtocolError(`${this.what}: ${err.message}`));
        // Anything zlib buffered instead of emitting (not expected in
        // flowing mode) comes out through the 'data' listener now.
        while (this.z.readableLength > 0 && this.z.read() !== null);
        const result = Buffer.concat(this.out, this.outBytes);
        this.out = [];
        this.outBytes = 0;
        resolve(result);
      });
    });
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.z.destroy();
    const reject = this.reject;
    this.reject = undefined;
    reject?.(err);
  }
}

// Our deflater keeps a 2 KiB window (it still holds the 1423-byte dictionary)
// and the least hash memory: header blocks are a few dozen bytes, and the
// defaults (32 KiB window, memLevel 8) cost ~230 KiB of native memory per
// session against ~95 KiB. Any inflater reads a stream made with a smaller
// window (Go's zlib reader accepts any CINFO up to 7). Our inflater must take
// the peer's full 32 KiB window.
export class HeaderCompressor {
  private readonly zlib = new SerialZlib(
    createDeflate({ dictionary: SPDY3_DICTIONARY, flush: constants.Z_SYNC_FLUSH, windowBits: 11, memLevel: 1, chunkSize: 1024 }),
    Number.MAX_SAFE_INTEGER,
    'header compression',
  );
  compress(block: Buffer): Promise<Buffer> {
    return this.zlib.run(block);
  }
  close(): void {
    this.zlib.close();
  }
}

export class HeaderDecompressor {
  private readonly zlib: SerialZlib;
  constructor(maxBlock = MAX_HEADER_BLOCK) {
    this.zlib = new SerialZlib(
      createInflate({ dictionary: SPDY3_DICTIONARY, flush: constants.Z_SYNC_FLUSH }),
      maxBlock,
      'header block',
    );
  }
  decompress(compressed: Buffer): Promise<Buffer> {
    return this.zlib.run(compressed);
  }
  close(): void {
    this.zlib.close();
  }
}
