import { Inflate } from 'pako';
import { MAX_HEADER_BLOCK } from './constants';
import { SPDY3_DICTIONARY } from './dictionary';
import { ProtocolError } from './errors';

// SPDY/3 compresses every header block of one direction of a session with one
// zlib stream (dictionary above), each block ending on a Z_SYNC_FLUSH. So a
// session holds one inflater (what we read) for its whole life, and blocks
// must pass through it in wire order.
//
// node:zlib keeps a context only as a stream, on the thread pool: a libuv
// round trip per block, which was most of an exec's setup. pako (zlib in JavaScript)
// keeps its context and works synchronously: blocks are a few hundred
// bytes, and the order is the call order.
const Z_SYNC_FLUSH = 2;

class SerialZlib {
  private out: Buffer[] = [];
  private outBytes = 0;
  private failure?: Error;
  private closed = false;

  constructor(
    private readonly z: Inflate,
    private readonly maxOut: number,
    private readonly what: string,
  ) {
    z.onData = (chunk: Uint8Array) => {
      this.outBytes += chunk.length;
      // Thrown out of push(): a zlib bomb stops here, not at its end.
      if (this.outBytes > this.maxOut) throw new ProtocolError(`${this.what} is over ${this.maxOut} bytes`);
      // pako hands over a fresh output array each time: no copy needed.
      this.out.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    };
  }

  run(input: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error(`${this.what}: closed`));
    try {
      this.z.push(input, Z_SYNC_FLUSH);
      if (this.z.err) throw new ProtocolError(`${this.what}: ${this.z.msg || `zlib error ${this.z.err}`}`);
      return Promise.resolve(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out, this.outBytes));
    } catch (err) {
      this.failure = err instanceof ProtocolError ? err : new ProtocolError(`${this.what}: ${(err as Error).message}`);
      return Promise.reject(this.failure);
    } finally {
      this.out = [];
      this.outBytes = 0;
    }
  }

  // Every session closes one: an Error (and its stack) made here cost more
  // than the inflating.
  close(): void {
    this.closed = true;
  }
}

// What we send is not compressed: each header block goes out as a zlib
// "stored" block. It is still one zlib stream with the SPDY dictionary, each
// block ending on a sync flush, which every inflater reads (Go's
// compress/zlib in spdystream included). A deflater primed with the
// dictionary cost ~0.1 ms per session to set up, on both ends of every exec,
// and a few KiB for the session's life; blocks are a few dozen bytes, so
// compressing them saved nothing worth that.
const ZLIB_HEADER = (() => {
  // CMF 0x78: deflate, 32 KiB window. FLG 0x20: FDICT, level 0 ("fastest"),
  // and 0x7820 is a multiple of 31 as the check bits require.
  const h = Buffer.from([0x78, 0x20, 0, 0, 0, 0]);
  h.writeUInt32BE(adler32(SPDY3_DICTIONARY), 2);
  return h;
})();
// An empty stored block: how zlib's Z_SYNC_FLUSH ends each block.
const SYNC_FLUSH = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
const MAX_STORED = 0xffff;

export class HeaderCompressor {
  private started = false;
  private closed = false;

  compress(block: Buffer): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('header compression: closed'));
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      parts.push(ZLIB_HEADER);
    }
    for (let at = 0; at < block.length; at += MAX_STORED) {
      const data = block.subarray(at, at + MAX_STORED);
      // BFINAL 0, BTYPE 00 (stored), padded to the byte; LEN, ~LEN little-endian.
      const h = Buffer.from([0, data.length & 0xff, data.length >> 8, ~data.length & 0xff, (~data.length >> 8) & 0xff]);
      parts.push(h, data);
    }
    parts.push(SYNC_FLUSH);
    return Promise.resolve(Buffer.concat(parts));
  }

  close(): void {
    this.closed = true;
  }
}

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const byte of b) {
    a = (a + byte) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

// Our inflater must take the peer's full 32 KiB window.
export class HeaderDecompressor {
  private readonly zlib: SerialZlib;
  constructor(maxBlock = MAX_HEADER_BLOCK) {
    this.zlib = new SerialZlib(
      new Inflate({ dictionary: SPDY3_DICTIONARY, chunkSize: 1024 }),
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
