import { Duplex } from 'node:stream';
import { RstStatus } from './constants';
import type { Headers } from './header-block';

// What a stream needs of its session (SpdySession implements it).
export interface StreamHost {
  sendReply(s: SpdyStream, headers: Headers): void;
  // Queues the frames; cb once the connection can take more (backpressure).
  sendData(s: SpdyStream, chunk: Buffer, fin: boolean, cb: (err?: Error | null) => void): void;
  sendReset(s: SpdyStream, status: number): void;
  // The reader wants more: the session may read the socket again.
  streamReadable(s: SpdyStream): void;
  // Both sides are done with the stream (FIN both ways, or a reset).
  streamDone(s: SpdyStream): void;
}

type Held = { chunk: Buffer; fin: boolean; cb: (err?: Error | null) => void };

// One SPDY stream as a Duplex. Writes become DATA frames, end() a FIN (an
// empty DATA frame with FIN, as spdystream's Close() sends); the peer's FIN
// ends the readable side. The protocol is done with the stream once both
// sides sent FIN or either reset it; the Duplex lives on until its reader has
// read the end (autoDestroy). Destroying it before that resets it (CANCEL).
//
// Events besides the Duplex ones: 'reply' (headers) when the peer accepts a
// stream we opened (SYN_REPLY); 'headers' (headers) on a HEADERS frame;
// 'reset' (status: number) when the peer resets it (the stream is then
// destroyed with no error: a reader sees 'close' without 'end').
export class SpdyStream extends Duplex {
  readonly id: number;
  // The headers of the SYN_STREAM that opened it: lower-cased names, a
  // repeated header's values joined with ",".
  readonly headers: Headers;
  // Whether this side opened it (SYN_STREAM sent) rather than the peer.
  readonly outgoing: boolean;
  // What the peer's RST_STREAM said, if it reset the stream.
  resetStatus?: number;

  // SYN_REPLY sent (peer's stream) or received (ours): until then writes wait,
  // for spdystream drops DATA on a stream it has not seen replied.
  private replied = false;
  private localFin = false;
  private remoteFin = false;
  private finished = false; // done as far as the protocol goes
  private held: Held[] = [];

  constructor(
    private readonly host: StreamHost,
    id: number,
    headers: Headers,
    outgoing: boolean,
  ) {
    // 64 KiB readable: one DATA frame as we write them (the kubelet's io.Copy
    // writes 32 KiB ones).
    super({ allowHalfOpen: true, readableHighWaterMark: 64 * 1024 });
    this.id = id;
    this.headers = headers;
    this.outgoing = outgoing;
  }

  // Accepts a stream the peer opened (SYN_REPLY). Once; later calls do nothing.
  reply(headers: Headers = {}): void {
    if (this.outgoing || this.replied || this.finished || this.destroyed) return;
    this.replied = true;
    this.host.sendReply(this, headers);
    this.release();
  }

  // RST_STREAM (CANCEL unless told otherwise), then destroy. Refuses a stream
  // the peer opened when called before reply().
  reset(status: number = RstStatus.CANCEL): void {
    if (!this.finished) {
      this.finished = true;
      this.host.sendReset(this, status);
      this.host.streamDone(this);
    }
    this.destroy();
  }

  // ---- from the session ----

  // Data from the peer; false when the reader is behind (stop reading).
  deliver(chunk: Buffer): boolean {
    if (this.remoteFin || this.readableEnded || this.destroyed) return true;
    return this.push(chunk);
  }

  peerFin(): void {
    if (this.remoteFin) return;
    this.remoteFin = true;
    if (!this.destroyed) this.push(null);
    this.checkDone();
  }

  peerReply(headers: Headers): void {
    if (!this.outgoing || this.replied) return;
    this.replied = true;
    this.emit('reply', headers);
    this.release();
  }

  peerHeaders(headers: Headers): void {
    this.emit('headers', headers);
  }

  peerReset(status: number): void {
    this.resetStatus = status;
    this.finished = true;
    this.emit('reset', status);
    this.destroy();
  }

  // The SYN_STREAM said this side may not send (UNIDIRECTIONAL).
  noLocalData(): void {
    this.localFin = true;
    this.end();
    this.checkDone();
  }

  // The session is gone: no frames can be sent any more.
  sessionGone(): void {
    this.finished = true;
    this.destroy();
  }

  // ---- Duplex ----

  override _read(): void {
    this.host.streamReadable(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.send({ chunk, fin: false, cb });
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.localFin) return cb();
    this.send({ chunk: Buffer.alloc(0), fin: true, cb });
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.held = [];
    // Gone before both sides were done: tell the peer to stop.
    if (!this.finished) {
      this.finished = true;
      this.host.sendReset(this, RstStatus.CANCEL);
      this.host.streamDone(this);
    }
    cb(err);
  }

  private send(h: Held): void {
    if (this.finished) return h.cb(new Error(`SPDY stream ${this.id} is closed`));
    if (!this.replied) {
      this.held.push(h);
      return;
    }
    if (h.fin) this.localFin = true;
    this.host.sendData(this, h.chunk, h.fin, h.cb);
    if (h.fin) this.checkDone();
  }

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const h of held) this.send(h);
  }

  private checkDone(): void {
    if (this.localFin && this.remoteFin && !this.finished) {
      this.finished = true;
      this.host.streamDone(this);
    }
  }
}
