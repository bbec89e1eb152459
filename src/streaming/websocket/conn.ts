import { finished } from 'node:stream/promises';
import { WebSocket, type RawData } from 'ws';
import { ChannelStream, type ChannelLink } from './channel-stream';
import { decodeMessage, encodeFrame } from './codec';
import { InboundFlow } from './flow';
import { toBuffer } from './raw';
import { sendPaced } from './send';

// wsstream's channel types: what the client may send on it, what we may write.
export type ChannelType = 'ignore' | 'read' | 'write' | 'readwrite';

export interface ChannelConnOptions {
  // The kubelet's stream idle timeout: no message either way for this long
  // and the connection is dropped (as a Go deadline does: no close frame).
  idleTimeoutMs?: number;
  // Told about each message dropped and why the connection ended early.
  log?: (msg: string) => void;
}

export interface Framing {
  base64: boolean;
  streamClose: boolean;
}

// wsstream.Conn over a `ws` socket: demultiplexes the client's messages onto
// channel streams, multiplexes their writes, and closes the way the kubelet
// does (close frame 1000, also after a protocol error).
export class ChannelConn implements ChannelLink {
  readonly streams: (ChannelStream | undefined)[];
  readonly flow: InboundFlow;
  private readonly aborter = new AbortController();
  private readonly log: (msg: string) => void;
  private idle?: NodeJS.Timeout;
  private closing = false;

  constructor(
    private readonly ws: WebSocket,
    types: readonly ChannelType[],
    private readonly framing: Framing,
    opts: ChannelConnOptions = {},
  ) {
    this.log = opts.log ?? (() => {});
    this.flow = new InboundFlow(ws);
    this.streams = types.map((t, i) =>
      t === 'ignore' ? undefined : new ChannelStream(this, i, t === 'read' || t === 'readwrite', t === 'write' || t === 'readwrite'),
    );
    ws.on('message', (raw) => this.onMessage(raw));
    ws.on('close', () => this.onGone());
    // ws reports bad frames, oversized messages and socket errors here, then
    // closes; without a listener they would take the process down.
    ws.on('error', (err) => this.log(`websocket: ${err.message}`));
    if (opts.idleTimeoutMs) {
      this.idle = setTimeout(() => {
        this.log(`idle for ${opts.idleTimeoutMs} ms: dropping the connection`);
        ws.terminate();
      }, opts.idleTimeoutMs).unref();
    }
    if (ws.readyState === WebSocket.CLOSED) process.nextTick(() => this.onGone());
  }

  // Aborted when the connection is gone, for whatever reason.
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  send(channel: number, data: Uint8Array, next: (ok: boolean) => void): void {
    this.idle?.refresh();
    sendPaced(this.ws, encodeFrame(channel, data, this.framing.base64), next);
  }

  // Conn.Close(), when the server is done: readers see EOF, what was written
  // goes out, then the close frame.
  close(): void {
    if (this.closing) return;
    this.closing = true;
    const writers = this.streams.filter((s): s is ChannelStream => !!s?.hasOutput);
    for (const s of this.streams) s?.endInput();
    for (const w of writers) w.end();
    void Promise.all(writers.map((w) => finished(w, { readable: false }).catch(() => {}))).then(() => this.closeSocket());
  }

  private onMessage(raw: RawData): void {
    this.idle?.refresh();
    // The kubelet stops reading once it is closing.
    if (this.closing) return;
    const m = decodeMessage(toBuffer(raw), { ...this.framing, channels: this.streams.length });
    switch (m.kind) {
      case 'data': {
        const s = this.streams[m.channel];
        if (!s?.hasInput) this.log(`message for channel ${m.channel}, which takes no input: dropped`);
        else if (!s.deliver(m.data)) this.log(`message for channel ${m.channel} after its input ended: dropped`);
        return;
      }
      case 'close':
        this.streams[m.channel]?.endInput();
        return;
      case 'skip':
        this.log(`${m.why}: dropped`);
        return;
      case 'fatal':
        this.log(`${m.why}: closing the connection`);
        this.closing = true;
        this.onGone();
        this.closeSocket(m.why);
        return;
    }
  }

  private closeSocket(reason?: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    // A close reason may hold at most 123 bytes (ours are ASCII).
    this.ws.close(1000, reason?.slice(0, 123));
  }

  private onGone(): void {
    if (this.aborter.signal.aborted) return;
    clearTimeout(this.idle);
    for (const s of this.streams) s?.gone();
    this.aborter.abort();
  }
}
