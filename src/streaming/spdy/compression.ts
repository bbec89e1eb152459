import { Deflate, Inflate } from 'pako';
import { MAX_HEADER_BLOCK } from './constants';
import { SPDY3_DICTIONARY } from './dictionary';
import { ProtocolError } from './errors';

// SPDY/3 compresses every header block of one direction of a session with one
// zlib stream (dictionary above), each block ending on a Z_SYNC_FLUSH. So a
// session holds one deflater (what we send) and one inflater (what we read)
// for its whole life, and blocks must pass through them in wire order.
//
// node:zlib keeps a context only as a stream, on the thread pool: a libuv
// round trip per block, four per stream opened (both ends deflate and
// inflate), which was most of an exec's setup. pako (zlib in JavaScript)
// keeps its context and works synchronously: blocks are a few hundred
// bytes, and the order is the call order.
const Z_SYNC_FLUSH = 2;

class SerialZlib {
  private out: Buffer[] = [];
  private outBytes = 0;
  private failure?: Error;

  constructor(
    private readonly z: Deflate | Inflate,
    private readonly maxOut: number,
    private readonly what: string,
  ) {
    z.onData = (chunk: Uint8Array) => {
      this.outBytes += chunk.length;
      // Thrown out of push(): a zlib bomb stops here, not at its end.
      if (this.outBytes > this.maxOut) throw new ProtocolError(`${this.what} is over ${this.maxOut} bytes`);
      this.out.push(Buffer.from(chunk));
    };
  }

  run(input: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    try {
      this.z.push(input, Z_SYNC_FLUSH);
      if (this.z.err) throw new ProtocolError(`${this.what}: ${this.z.msg || `zlib error ${this.z.err}`}`);
      const result = Buffer.concat(this.out, this.outBytes);
      return Promise.resolve(result);
    } catch (err) {
      this.failure = err instanceof ProtocolError ? err : new ProtocolError(`${this.what}: ${(err as Error).message}`);
      return Promise.reject(this.failure);
    } finally {
      this.out = [];
      this.outBytes = 0;
    }
  }

  close(): void {
    this.failure ??= new Error(`${this.what}: closed`);
  }
}

// Our deflater keeps a 2 KiB window (it still holds the 1423-byte dictionary)
// and the least hash memory: header blocks are a few dozen bytes, and the
// defaults (32 KiB window, memLevel 8) cost far more per session. Any inflater reads a stream made with a smaller
// window (Go's zlib reader accepts any CINFO up to 7). Our inflater must take
// the peer's full 32 KiB window.
export class HeaderCompressor {
  private readonly zlib = new SerialZlib(
    new Deflate({ dictionary: SPDY3_DICTIONARY, windowBits: 11, memLevel: 1, chunkSize: 1024 }),
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
      new Inflate({ dictionary: SPDY3_DICTIONARY, chunkSize: 4096 }),
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
