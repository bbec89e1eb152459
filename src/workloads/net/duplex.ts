import { Duplex } from 'node:stream';
import { chunkBuffer } from '../procs/streams';
import { type Chunk, isFill } from '../rootfs/types';
import type { Connection } from './types';

// Zeros (a listener sending /dev/zero) as views of one buffer that nothing
// writes to, instead of a new buffer per chunk: a Fill costs O(1), and at
// hundreds of MiB/s fresh buffers pile up as garbage faster than the GC
// takes them (fakecri's RSS rose by tens of MiB over a 1 GiB forward). What
// reads this Duplex only passes chunks on (to a socket), never writes into them.
const ZEROS = Buffer.alloc(64 * 1024);

function asBuffer(c: Chunk): Buffer {
  if (isFill(c) && c.fill !== 'random' && c.length <= ZEROS.length) return ZEROS.subarray(0, c.length);
  return chunkBuffer(c);
}

// A pod connection as a Node Duplex, for port-forward: the client's bytes
// go in, the listener's come out. Reads pull from the connection only as
// the Duplex's reader wants them, and writes wait for the pod's side to
// take them, so backpressure holds end to end. end() is FIN (the listener
// reads end of input); destroy() resets both directions.
export class ConnectionDuplex extends Duplex {
  private reading = false;

  constructor(private readonly conn: Connection) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        const c = await this.conn.input.read();
        if (c === null) {
          this.push(null);
          return;
        }
        if (!this.push(asBuffer(c))) return;
      }
    } catch (err) {
      this.destroy(err as Error);
    } finally {
      this.reading = false;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.conn.output.write(chunk).then(
      () => cb(),
      (err: Error) => cb(err),
    );
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.conn.output.close();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.conn.close();
    cb(err);
  }
}
