import { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import { toBuffer } from './raw';
import { sendPaced } from './send';

// SPDY/3.1+portforward.k8s.io, as client-go's TunnelingConnection speaks it:
// the SPDY byte stream cut into WebSocket binary messages, in any sizes (one
// message per write here). A text message is a protocol error. A close frame
// with 1000 is end of stream, anything else an error; ending our side sends
// close 1000, since SPDY has no half-close of its own transport.
export class TunnelStream extends Duplex {
  private reading = true;

  constructor(private readonly ws: WebSocket) {
    super({ allowHalfOpen: false });
    ws.on('message', (raw, isBinary) => this.onMessage(raw, isBinary));
    ws.on('close', (code) => this.onClose(code));
    ws.on('error', (err) => this.destroy(err));
    if (ws.readyState === WebSocket.CLOSED) process.nextTick(() => this.onClose(1006));
  }

  private onMessage(raw: RawData, isBinary: boolean): void {
    if (!this.reading) return;
    if (!isBinary) {
      this.reading = false;
      this.ws.close(1003, 'the SPDY tunnel carries binary messages only');
      this.destroy(new Error('tunnel: text message received; SPDY travels in binary messages'));
      return;
    }
    // Like a socket: stop reading while the SPDY session is behind.
    if (!this.push(toBuffer(raw))) this.ws.pause();
  }

  private onClose(code: number): void {
    if (!this.reading) return;
    this.reading = false;
    if (code === 1000) this.push(null);
    else this.destroy(new Error(`tunnel: websocket closed with code ${code}`));
  }

  override _read(): void {
    this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    sendPaced(this.ws, chunk, (ok) => cb(ok ? null : new Error('tunnel: websocket is closed')));
  }

  // Corked writes (a SPDY DATA frame's header and payload) as one message.
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    const data = chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk));
    sendPaced(this.ws, data, (ok) => cb(ok ? null : new Error('tunnel: websocket is closed')));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.reading = false;
    if (this.ws.readyState === WebSocket.OPEN) {
      if (err) this.ws.terminate();
      else this.ws.close(1000);
    }
    cb(err);
  }
}

export function tunnel(ws: WebSocket): Duplex {
  return new TunnelStream(ws);
}
