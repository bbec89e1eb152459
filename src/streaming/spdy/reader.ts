import { FLAG_FIN, FRAME_HEADER_BYTES, MAX_CONTROL_PAYLOAD, MAX_STREAM_ID, VERSION } from './constants';
import { ProtocolError } from './errors';

// Cuts a byte stream into frames, pulled one event at a time, so that the
// session can stop between two (a header block must be inflated before the
// frames after it are looked at). A control frame comes whole (bounded by
// MAX_CONTROL_PAYLOAD); a DATA frame's payload comes as the bytes arrive,
// slices of the input with no copy, so a 16 MiB frame is never held whole.
export type FrameEvent =
  | { kind: 'control'; frameType: number; flags: number; payload: Buffer }
  // One piece of a DATA frame's payload; `end` on its last (possibly empty)
  // piece, with `fin` from the frame's flags.
  | { kind: 'data'; streamId: number; chunk: Buffer; end: boolean; fin: boolean };

type State = { at: 'header' } | { at: 'control'; frameType: number; flags: number; length: number } | { at: 'data'; streamId: number; fin: boolean; left: number };

export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private state: State = { at: 'header' };

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  // Whether input ended here would cut a frame short, and where.
  midFrame(): string | undefined {
    if (this.state.at === 'header') return this.buffered ? `${this.buffered} bytes into a frame header` : undefined;
    if (this.state.at === 'control') return `in a control frame of ${this.state.length} bytes (${this.buffered} read)`;
    return `in a DATA frame with ${this.state.left} bytes still to come`;
  }

  // The next event, or undefined when more input is needed. Throws
  // ProtocolError on what cannot be framed.
  next(): FrameEvent | undefined {
    const s = this.state;
    if (s.at === 'header') {
      if (this.buffered < FRAME_HEADER_BYTES) return undefined;
      const h = this.take(FRAME_HEADER_BYTES);
      const w0 = h.readUInt32BE(0);
      const flags = h[4];
      const length = h.readUInt32BE(4) & 0xffffff;
      if (w0 & 0x80000000) {
        const version = (w0 >>> 16) & 0x7fff;
        if (version !== VERSION) throw new ProtocolError(`SPDY version ${version} (this speaks ${VERSION} only)`);
        if (length > MAX_CONTROL_PAYLOAD) {
          throw new ProtocolError(`control frame of ${length} bytes (at most ${MAX_CONTROL_PAYLOAD} accepted)`);
        }
        this.state = { at: 'control', frameType: w0 & 0xffff, flags, length };
      } else {
        const streamId = w0 & MAX_STREAM_ID;
        if (streamId === 0) throw new ProtocolError('DATA frame for stream 0');
        this.state = { at: 'data', streamId, fin: (flags & FLAG_FIN) !== 0, left: length };
        if (length === 0) {
          this.state = { at: 'header' };
          return { kind: 'data', streamId, chunk: Buffer.alloc(0), end: true, fin: (flags & FLAG_FIN) !== 0 };
        }
      }
      return this.next();
    }
    if (s.at === 'control') {
      if (this.buffered < s.length) return undefined;
      const payload = this.take(s.length);
      this.state = { at: 'header' };
      return { kind: 'control', frameType: s.frameType, flags: s.flags, payload };
    }
    if (this.buffered === 0) return undefined;
    const chunk = this.takeSome(s.left);
    s.left -= chunk.length;
    const end = s.left === 0;
    if (end) this.state = { at: 'header' };
    return { kind: 'data', streamId: s.streamId, chunk, end, fin: end && s.fin };
  }

  // Exactly n buffered bytes (n <= buffered), copied only when they span chunks.
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) return this.takeSome(n);
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) at += this.takeSome(n - at).copy(out, at);
    return out;
  }

  // Up to n bytes from the first chunk, without copying.
  private takeSome(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length <= n) {
      this.chunks.shift();
      this.buffered -= first.length;
      return first;
    }
    this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return first.subarray(0, n);
  }
}
