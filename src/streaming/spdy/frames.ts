import { FLAG_FIN, FRAME_HEADER_BYTES, FrameType, MAX_STREAM_ID, VERSION } from './constants';
import { ProtocolError } from './errors';

// SPDY/3 frames to bytes and back. A control frame: 1 bit set, 15 bits
// version, 16 bits type, 8 bits flags, 24 bits length, then the payload. A
// DATA frame: 1 bit clear, 31 bits stream id, 8 bits flags, 24 bits length,
// then the data. Header blocks come here already compressed.

function control(type: number, flags: number, payloadLength: number): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadLength);
  b.writeUInt16BE(0x8000 | VERSION, 0);
  b.writeUInt16BE(type, 2);
  b.writeUInt32BE((((flags & 0xff) << 24) | payloadLength) >>> 0, 4);
  return b;
}

export function synStreamFrame(streamId: number, flags: number, block: Buffer, associatedTo = 0, priority = 0): Buffer {
  const b = control(FrameType.SYN_STREAM, flags, 10 + block.length);
  b.writeUInt32BE(streamId & MAX_STREAM_ID, 8);
  b.writeUInt32BE(associatedTo & MAX_STREAM_ID, 12);
  b[16] = (priority & 7) << 5;
  b[17] = 0; // credential slot
  block.copy(b, 18);
  return b;
}

export function synReplyFrame(streamId: number, flags: number, block: Buffer): Buffer {
  return withBlock(FrameType.SYN_REPLY, streamId, flags, block);
}

export function headersFrame(streamId: number, flags: number, block: Buffer): Buffer {
  return withBlock(FrameType.HEADERS, streamId, flags, block);
}

function withBlock(type: number, streamId: number, flags: number, block: Buffer): Buffer {
  const b = control(type, flags, 4 + block.length);
  b.writeUInt32BE(streamId & MAX_STREAM_ID, 8);
  block.copy(b, 12);
  return b;
}

export function rstStreamFrame(streamId: number, status: number): Buffer {
  const b = control(FrameType.RST_STREAM, 0, 8);
  b.writeUInt32BE(streamId & MAX_STREAM_ID, 8);
  b.writeUInt32BE(status, 12);
  return b;
}

export interface Setting {
  flags: number;
  id: number;
  value: number;
}

export function settingsFrame(settings: Setting[], flags = 0): Buffer {
  const b = control(FrameType.SETTINGS, flags, 4 + 8 * settings.length);
  b.writeUInt32BE(settings.length, 8);
  settings.forEach((s, i) => {
    b.writeUInt32BE((((s.flags & 0xff) << 24) | (s.id & 0xffffff)) >>> 0, 12 + 8 * i);
    b.writeUInt32BE(s.value >>> 0, 16 + 8 * i);
  });
  return b;
}

export function pingFrame(id: number): Buffer {
  const b = control(FrameType.PING, 0, 4);
  b.writeUInt32BE(id >>> 0, 8);
  return b;
}

export function goAwayFrame(lastGoodStreamId: number, status: number): Buffer {
  const b = control(FrameType.GOAWAY, 0, 8);
  b.writeUInt32BE(lastGoodStreamId & MAX_STREAM_ID, 8);
  b.writeUInt32BE(status, 12);
  return b;
}

export function windowUpdateFrame(streamId: number, delta: number): Buffer {
  const b = control(FrameType.WINDOW_UPDATE, 0, 8);
  b.writeUInt32BE(streamId & MAX_STREAM_ID, 8);
  b.writeUInt32BE(delta & 0x7fffffff, 12);
  return b;
}

// A DATA frame's 8 header bytes; the payload follows it on the wire as it
// is, uncopied (FrameWriter.writeData).
export function dataFrameHeader(streamId: number, fin: boolean, length: number): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  b.writeUInt32BE(streamId & MAX_STREAM_ID, 0);
  b.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | length, 4);
  return b;
}

export function dataFrame(streamId: number, fin: boolean, data: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.allocUnsafe(FRAME_HEADER_BYTES + data.length);
  b.writeUInt32BE(streamId & MAX_STREAM_ID, 0);
  b.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
  data.copy(b, FRAME_HEADER_BYTES);
  return b;
}

// ---- Reading: the payload of a whole control frame, parsed. ----

export type ControlFrame =
  | { type: 'syn_stream'; flags: number; streamId: number; associatedTo: number; priority: number; block: Buffer }
  | { type: 'syn_reply'; flags: number; streamId: number; block: Buffer }
  | { type: 'headers'; flags: number; streamId: number; block: Buffer }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; settings: Setting[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'unknown'; frameType: number };

// Checks what the spec fixes (sizes, nonzero stream ids) and throws
// ProtocolError where a frame cannot be understood.
export function parseControl(frameType: number, flags: number, p: Buffer): ControlFrame {
  const need = (what: string, ok: boolean) => {
    if (!ok) throw new ProtocolError(`${what} frame with a ${p.length}-byte payload`);
  };
  const id = (at: number, what: string) => {
    const v = p.readUInt32BE(at) & MAX_STREAM_ID;
    if (v === 0) throw new ProtocolError(`${what} frame for stream 0`);
    return v;
  };
  switch (frameType) {
    case FrameType.SYN_STREAM:
      need('SYN_STREAM', p.length >= 10);
      return {
        type: 'syn_stream',
        flags,
        streamId: id(0, 'SYN_STREAM'),
        associatedTo: p.readUInt32BE(4) & MAX_STREAM_ID,
        priority: p[8] >> 5,
        block: p.subarray(10),
      };
    case FrameType.SYN_REPLY:
      need('SYN_REPLY', p.length >= 4);
      return { type: 'syn_reply', flags, streamId: id(0, 'SYN_REPLY'), block: p.subarray(4) };
    case FrameType.HEADERS:
      need('HEADERS', p.length >= 4);
      return { type: 'headers', flags, streamId: id(0, 'HEADERS'), block: p.subarray(4) };
    case FrameType.RST_STREAM:
      need('RST_STREAM', p.length === 8);
      return { type: 'rst_stream', streamId: id(0, 'RST_STREAM'), status: p.readUInt32BE(4) };
    case FrameType.SETTINGS: {
      need('SETTINGS', p.length >= 4);
      const n = p.readUInt32BE(0);
      need('SETTINGS', p.length === 4 + 8 * n);
      const settings: Setting[] = [];
      for (let i = 0; i < n; i++) {
        const fid = p.readUInt32BE(4 + 8 * i);
        settings.push({ flags: fid >>> 24, id: fid & 0xffffff, value: p.readUInt32BE(8 + 8 * i) });
      }
      return { type: 'settings', flags, settings };
    }
    case FrameType.PING:
      need('PING', p.length === 4);
      return { type: 'ping', id: p.readUInt32BE(0) };
    case FrameType.GOAWAY:
      need('GOAWAY', p.length === 8);
      return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & MAX_STREAM_ID, status: p.readUInt32BE(4) };
    case FrameType.WINDOW_UPDATE:
      need('WINDOW_UPDATE', p.length === 8);
      return { type: 'window_update', streamId: p.readUInt32BE(0) & MAX_STREAM_ID, delta: p.readUInt32BE(4) & 0x7fffffff };
    default:
      // SPDY/3: a control frame of an unknown type is ignored.
      return { type: 'unknown', frameType };
  }
}
