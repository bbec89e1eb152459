import { Duplex, type DuplexOptions } from 'node:stream';
import type { InboundFlow } from './flow';

// What a channel needs from its connection.
export interface ChannelLink {
  readonly flow: InboundFlow;
  send(channel: number, data: Uint8Array, next: (ok: boolean) => void): void;
}

// One wsstream channel as a Node stream. The readable side carries what the
// client sent on the channel, the writable side frames what we write onto the
// socket. A side the channel type lacks is disabled (Duplex readable/writable
// options), so a write-only channel is an ordinary Writable to its user.
export class ChannelStream extends Duplex {
  private inputDone: boolean;

  constructor(
    private readonly link: ChannelLink,
    readonly channel: number,
    readonly hasInput: boolean,
    readonly hasOutput: boolean,
  ) {
    // Node has the readable/writable options; @types/node does not list them.
    super({ readable: hasInput, writable: hasOutput, allowHalfOpen: true } as DuplexOptions);
    this.inputDone = !hasInput;
  }

  // A message from the client for this channel. After the input has ended
  // (v5 CLOSE, connection closing) it is dropped, as wsstream's write into a
  // closed pipe is.
  deliver(data: Buffer): boolean {
    if (this.inputDone || this.destroyed) return false;
    if (data.length > 0 && !this.push(data)) this.link.flow.block(this);
    return true;
  }

  // End of input: the reader sees EOF once it has read what came before.
  endInput(): void {
    if (this.inputDone) return;
    this.inputDone = true;
    this.push(null);
    this.link.flow.unblock(this);
  }

  // The connection is gone: input ends; output has nowhere to go, so the
  // stream is destroyed (without an error: pipelines into it stop, nothing
  // throws) once what was received has been read.
  gone(): void {
    this.endInput();
    if (!this.hasOutput || this.destroyed) return;
    if (!this.hasInput || this.readableEnded) this.destroy();
    else this.once('end', () => this.destroy());
  }

  override _read(): void {
    this.link.flow.unblock(this);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.link.send(this.channel, chunk, (ok) => {
      cb();
      if (!ok) this.destroy();
    });
  }

  // wsstream puts nothing on the wire when a channel's writer closes.
  override _final(cb: (err?: Error | null) => void): void {
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inputDone = true;
    this.link.flow.unblock(this);
    cb(err);
  }
}
