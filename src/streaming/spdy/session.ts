import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HeaderCompressor, HeaderDecompressor } from './compression';
import {
  DEFAULT_MAX_STREAMS,
  FLAG_FIN,
  FLAG_UNIDIRECTIONAL,
  GoAwayStatus,
  MAX_DATA_PAYLOAD,
  MAX_STREAM_ID,
  RstStatus,
} from './constants';
import { ProtocolError } from './errors';
import { type ControlFrame, dataFrame, dataFrameHeader, goAwayFrame, parseControl, pingFrame, rstStreamFrame, synReplyFrame, synStreamFrame } from './frames';
import { decodeHeaderBlock, encodeHeaderBlock, type Headers } from './header-block';
import { FrameReader } from './reader';
import { SpdyStream, type StreamHost } from './stream';
import { FrameWriter } from './writer';

export interface SpdySessionOptions {
  // Server: the peer opens odd stream ids, we would open even ones; client: the reverse.
  server: boolean;
  // Most streams the peer may have open at once; more are refused (RST_STREAM REFUSED_STREAM).
  maxStreams?: number;
}

// After our GOAWAY and the last stream, how long the peer has to hang up
// before the socket is destroyed under it.
const CLOSE_GRACE_MS = 5000;

type BlockFrame = Extract<ControlFrame, { block: Buffer }>;

// One SPDY/3.1 connection, as moby/spdystream (client-go, kubelet) speaks it.
//
// Events: 'stream' (s: SpdyStream) for each stream the peer opens: call
// s.reply() to accept it or s.reset() to refuse it (with no listener, streams
// are refused). 'goaway' (lastGoodStreamId) when the peer says it is leaving.
// 'close' (err?: Error) once, when the connection is gone: the socket closed,
// a GOAWAY (ours or the peer's) was followed through, or a protocol error;
// `err` is set when it ended abnormally. The session never emits 'error'.
//
// Flow control: none, as in moby/spdystream, the only peer there is. SPDY/3.1
// gives each stream a 64 KiB window that WINDOW_UPDATE reopens; spdystream
// never writes WINDOW_UPDATE (connection.go and stream.go send SYN_STREAM,
// SYN_REPLY, HEADERS, DATA, RST_STREAM, PING and GOAWAY only), and one it
// receives falls to the default case of Connection.Serve's switch, then to
// frameHandler's "unhandled frame type": dropped. A sender keeping to windows
// would stall after 64 KiB; so we keep no windows, and send neither
// WINDOW_UPDATE nor SETTINGS (both would be dropped); theirs are read and
// ignored. What holds spdystream back is TCP: handleDataFrame hands each DATA
// frame to Stream.Read through an unbuffered channel (stream.dataChan), so a
// slow reader blocks its frame worker, that worker's PriorityFrameQueue
// (QUEUE_SIZE 50) fills, and Serve stops reading the socket; its writes
// (Stream.Write -> framer.WriteFrame) block on the socket. We do the same:
// DATA writes complete only once the socket has drained (FrameWriter.
// whenWritable), and while a stream's reader is over its high-water mark the
// session pauses the socket. So memory stays bounded by socket buffers plus a
// stream's high-water mark, and, as with spdystream, one stream nobody reads
// stalls the whole connection: read or reset every stream.
export class SpdySession extends EventEmitter implements StreamHost {
  readonly server: boolean;
  private readonly maxStreams: number;
  private readonly streams = new Map<number, SpdyStream>();
  private peerStreams = 0; // live streams the peer opened
  private nextId: number;
  private lastPeerId = 0;
  private nextPingId: number;
  private readonly pings = new Map<number, { sent: number; resolve: (ms: number) => void; reject: (err: Error) => void }>();
  private readonly reader = new FrameReader();
  private readonly writer: FrameWriter;
  private readonly deflater = new HeaderCompressor();
  private readonly inflater = new HeaderDecompressor();
  private inflating = false; // a header block is in zlib: later frames wait
  private pumping = false;
  private readonly blocked = new Set<SpdyStream>(); // readers that are full
  private paused = false;
  private eof = false;
  private sentGoAway = false;
  private gotGoAway = false;
  private ending = false; // our FIN is on its way
  private closed = false;
  private closeTimer?: NodeJS.Timeout;

  constructor(
    private readonly socket: Duplex,
    opts: SpdySessionOptions,
  ) {
    super();
    this.server = opts.server;
    this.maxStreams = opts.maxStreams ?? DEFAULT_MAX_STREAMS;
    this.nextId = opts.server ? 2 : 1;
    this.nextPingId = opts.server ? 2 : 1;
    this.writer = new FrameWriter(socket, (err) => this.destroy(err));
    // Small frames (a keystroke, a PING reply) go out at once, as from Go,
    // whose TCP connections have TCP_NODELAY set.
    if (socket instanceof Socket) socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer | Uint8Array | string) => this.onBytes(chunk));
    socket.on('drain', () => this.updatePause());
    socket.on('end', () => this.onEof());
    socket.on('error', (err: Error) => this.destroy(err));
    // Closed without an error: the end of input (frames read before it may
    // still wait for an inflate; see onEof).
    socket.on('close', () => this.onEof());
    // Gone already: say so once the caller has had a chance to listen.
    if (socket.destroyed) process.nextTick(() => this.destroy(new Error('the connection was closed before the SPDY session began')));
  }

  // Streams not yet done (FIN both ways or reset), ours and the peer's.
  get openStreams(): number {
    return this.streams.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // Opens a stream (SYN_STREAM). It emits 'reply' when the peer accepts it,
  // 'reset' when it refuses it; writes wait for the reply. Throws once the
  // session is closing.
  open(headers: Headers): SpdyStream {
    if (this.closed || this.sentGoAway || this.gotGoAway) throw new Error('SPDY session is closing: no new streams');
    const id = this.nextId;
    if (id > MAX_STREAM_ID) throw new Error('SPDY stream ids are used up on this session');
    this.nextId += 2;
    const block = encodeHeaderBlock(headers);
    const s = new SpdyStream(this, id, decodeHeaderBlock(block), true);
    this.streams.set(id, s);
    this.writer.writeLater(this.deflater.compress(block).then((b) => synStreamFrame(id, 0, b)));
    return s;
  }

  // Round trip of a PING, in milliseconds.
  ping(): Promise<number> {
    if (this.closed) return Promise.reject(new Error('SPDY session closed'));
    const id = this.nextPingId;
    this.nextPingId = id + 2 > 0xffffffff ? id + 2 - 0xfffffffe : id + 2;
    return new Promise((resolve, reject) => {
      this.pings.set(id, { sent: performance.now(), resolve, reject });
      this.writer.write(pingFrame(id));
    });
  }

  // GOAWAY: no new streams from the peer; the connection ends once the open
  // streams are done.
  close(): void {
    if (this.closed || this.sentGoAway) return;
    this.sentGoAway = true;
    this.writer.write(goAwayFrame(this.lastPeerId, GoAwayStatus.OK));
    this.maybeFinish();
  }

  // Ends everything now: streams are destroyed (no error on them), 'close' (err).
  destroy(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.closeTimer);
    this.writer.abandon();
    if (err instanceof ProtocolError && this.socket.writable && !this.ending) {
      // Say why, then hang up; the peer has a moment to read it.
      this.socket.end(goAwayFrame(this.lastPeerId, GoAwayStatus.PROTOCOL_ERROR));
      const t = setTimeout(() => this.socket.destroy(), 1000);
      t.unref();
      this.socket.once('finish', () => {
        clearTimeout(t);
        this.socket.destroy();
      });
    } else {
      this.socket.destroy();
    }
    for (const p of this.pings.values()) p.reject(new Error('SPDY session closed'));
    this.pings.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.blocked.clear();
    for (const s of streams) s.sessionGone();
    this.deflater.close();
    this.inflater.close();
    this.emit('close', err);
  }

  // ---- StreamHost ----

  sendReply(s: SpdyStream, headers: Headers): void {
    if (this.closed) return;
    this.writer.writeLater(this.deflater.compress(encodeHeaderBlock(headers)).then((b) => synReplyFrame(s.id, 0, b)));
  }

  sendData(s: SpdyStream, chunk: Buffer, fin: boolean, cb: (err?: Error | null) => void): void {
    if (this.closed) return cb(new Error('SPDY session closed'));
    if (!chunk.length) this.writer.write(dataFrame(s.id, fin));
    for (let at = 0; at < chunk.length; at += MAX_DATA_PAYLOAD) {
      const end = Math.min(chunk.length, at + MAX_DATA_PAYLOAD);
      this.writer.writeData(dataFrameHeader(s.id, fin && end === chunk.length, end - at), chunk.subarray(at, end));
    }
    this.writer.whenWritable(() => cb());
  }

  sendReset(s: SpdyStream, status: number): void {
    if (!this.closed) this.writer.write(rstStreamFrame(s.id, status));
  }

  streamReadable(s: SpdyStream): void {
    if (this.blocked.delete(s)) this.updatePause();
  }

  streamDone(s: SpdyStream): void {
    if (this.streams.get(s.id) === s) {
      this.streams.delete(s.id);
      if (!s.outgoing) this.peerStreams--;
    }
    if (this.blocked.delete(s)) this.updatePause();
    this.maybeFinish();
  }

  // ---- reading ----

  private onBytes(chunk: Buffer | Uint8Array | string): void {
    if (this.closed) return;
    // A socket with an encoding set has lost bytes already.
    if (typeof chunk === 'string') return this.destroy(new Error('the connection delivers strings (setEncoding?), SPDY needs bytes'));
    this.reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    this.pump();
  }

  // The socket's end may come while frames it brought still wait behind a
  // header block being inflated: the end counts once they are handled.
  private onEof(): void {
    this.eof = true;
    this.endIfDrained();
  }

  private endIfDrained(): void {
    if (!this.eof || this.closed || this.inflating || this.pumping) return;
    const mid = this.reader.midFrame();
    if (mid) return this.destroy(new ProtocolError(`connection ended ${mid}`));
    if (this.streams.size && !this.gotGoAway) return this.destroy(new Error(`peer hung up with ${this.streams.size} streams open`));
    this.destroy();
  }

  // Handles frames until input runs out or a header block must be inflated.
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    // Answers to a run of frames (PINGs, resets) leave in one write.
    this.socket.cork();
    try {
      while (!this.closed && !this.inflating) {
        const ev = this.reader.next();
        if (!ev) break;
        if (ev.kind === 'data') this.onData(ev.streamId, ev.chunk, ev.fin);
        else this.onControl(parseControl(ev.frameType, ev.flags, ev.payload));
      }
    } catch (err) {
      this.destroy(asError(err));
    } finally {
      this.pumping = false;
      this.socket.uncork();
    }
    this.updatePause();
    this.endIfDrained();
  }

  // Stop reading the socket while a header block inflates, a reader is full,
  // or the peer does not read our answers: TCP then holds the peer back.
  private updatePause(): void {
    if (this.closed) return;
    const pause = this.inflating || this.blocked.size > 0 || this.writer.backlogged();
    if (pause === this.paused) return;
    this.paused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  private onData(id: number, chunk: Buffer, fin: boolean): void {
    // No such stream: reset or done already; late frames are dropped, as
    // spdystream drops them.
    const s = this.streams.get(id);
    if (!s) return;
    if (chunk.length && !s.deliver(chunk)) this.blocked.add(s);
    if (fin) s.peerFin();
  }

  private onControl(f: ControlFrame): void {
    switch (f.type) {
      case 'syn_stream':
      case 'syn_reply':
      case 'headers':
        return this.inflate(f);
      case 'rst_stream': {
        const s = this.streams.get(f.streamId);
        if (s) {
          this.streamDone(s);
          s.peerReset(f.status);
        }
        return;
      }
      case 'ping':
        // Ours come back with our parity; the peer's are echoed.
        if ((f.id & 1) === (this.server ? 0 : 1)) {
          const p = this.pings.get(f.id);
          this.pings.delete(f.id);
          p?.resolve(performance.now() - p.sent);
        } else {
          this.writer.answer(pingFrame(f.id));
        }
        return;
      case 'goaway':
        return this.onGoAway(f.lastGoodStreamId);
      case 'settings':
      case 'window_update':
      case 'unknown':
        // SETTINGS (spdystream never sends one) and WINDOW_UPDATE are read
        // and ignored: no flow control, see the class comment.
        return;
    }
  }

  // Every header block goes through the one inflater, in order, even one of
  // a stream about to be refused: zlib's state must follow the peer's.
  // pako inflates synchronously, yet the frame is handled a microtask later,
  // and the frames after it wait: whoever awaits a stream's 'reply' then
  // listens before its data, FIN and reset arrive. Handled in one pass (tried),
  // the end of an exec (output, FINs and resets in one write, as the
  // kubelet's streaming server ends it) closed the bench client's streams
  // before it listened, and its execs hung.
  private inflate(f: BlockFrame): void {
    if (!f.block.length) throw new ProtocolError(`${f.type.toUpperCase()} frame without a header block`);
    this.inflating = true;
    this.inflater.decompress(f.block).then(
      (raw) => {
        this.inflating = false;
        if (this.closed) return;
        try {
          this.onHeaderFrame(f, decodeHeaderBlock(raw));
        } catch (err) {
          return this.destroy(asError(err));
        }
        this.pump();
      },
      (err: Error) => this.destroy(err),
    );
  }

  private onHeaderFrame(f: BlockFrame, headers: Headers): void {
    if (f.type === 'syn_stream') return this.onSynStream(f.streamId, f.flags, headers);
    const s = this.streams.get(f.streamId);
    if (!s) return; // gone already
    if (f.type === 'syn_reply') s.peerReply(headers);
    else s.peerHeaders(headers);
    if (f.flags & FLAG_FIN) s.peerFin();
  }

  private onSynStream(id: number, flags: number, headers: Headers): void {
    // spdystream (checkStreamFrame) answers an id that is not the next one
    // up with RST_STREAM PROTOCOL_ERROR and carries on; so do we.
    if ((id & 1) !== (this.server ? 1 : 0) || id <= this.lastPeerId) {
      this.writer.answer(rstStreamFrame(id, RstStatus.PROTOCOL_ERROR));
      return;
    }
    this.lastPeerId = id;
    if (this.sentGoAway || this.peerStreams >= this.maxStreams || this.listenerCount('stream') === 0) {
      this.writer.answer(rstStreamFrame(id, RstStatus.REFUSED_STREAM));
      return;
    }
    const s = new SpdyStream(this, id, headers, false);
    this.streams.set(id, s);
    this.peerStreams++;
    if (flags & FLAG_UNIDIRECTIONAL) s.noLocalData();
    if (flags & FLAG_FIN) s.peerFin();
    this.emit('stream', s);
  }

  private onGoAway(lastGood: number): void {
    this.gotGoAway = true;
    // Streams we opened that the peer never took: it will not answer them.
    for (const s of [...this.streams.values()]) {
      if (s.outgoing && s.id > lastGood) {
        this.streamDone(s);
        s.peerReset(RstStatus.REFUSED_STREAM);
      }
    }
    this.emit('goaway', lastGood);
    this.maybeFinish();
  }

  // After a GOAWAY either way, the last stream done ends the connection.
  private maybeFinish(): void {
    if (this.closed || this.ending || this.streams.size) return;
    if (!this.sentGoAway && !this.gotGoAway) return;
    this.ending = true;
    this.writer.end();
    this.closeTimer = setTimeout(() => this.destroy(), CLOSE_GRACE_MS);
    this.closeTimer.unref();
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
