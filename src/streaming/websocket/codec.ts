// One WebSocket message <-> (channel, bytes), as wsstream frames them.
// Binary protocols: first byte is the channel. Base64 protocols: text, first
// character is '0'+channel, the rest standard base64 (padded).

export const STREAM_CLOSE = 255; // v5: [255, channel] half-closes channel

export type Inbound =
  | { kind: 'data'; channel: number; data: Buffer }
  | { kind: 'close'; channel: number }
  // dropped; the connection goes on (the kubelet logs and continues)
  | { kind: 'skip'; why: string }
  // the kubelet stops reading and closes the connection
  | { kind: 'fatal'; why: string };

export interface Framing {
  base64: boolean;
  streamClose: boolean; // v5 only
  channels: number; // how many channels the connection has
}

export function decodeMessage(msg: Buffer, f: Framing): Inbound {
  if (msg.length === 0) return { kind: 'skip', why: 'empty message' };
  // wsstream checks for CLOSE on the raw first byte, before the base64 offset.
  if (f.streamClose && msg[0] === STREAM_CLOSE) {
    if (msg.length !== 2) return { kind: 'fatal', why: `close signal must carry exactly one channel byte, got ${msg.length - 1}` };
    if (msg[1] >= f.channels) return { kind: 'fatal', why: `close signal for channel ${msg[1]}, which does not exist` };
    return { kind: 'close', channel: msg[1] };
  }
  // Go's byte arithmetic: a character below '0' wraps to a large channel.
  const channel = f.base64 ? (msg[0] - 0x30) & 0xff : msg[0];
  if (channel >= f.channels) return { kind: 'skip', why: `message for channel ${channel}, which does not exist` };
  const rest = msg.subarray(1);
  if (!f.base64) return { kind: 'data', channel, data: rest };
  const data = decodeBase64(rest.toString('latin1'));
  if (!data) return { kind: 'skip', why: `message for channel ${channel} is not valid base64` };
  return { kind: 'data', channel, data };
}

export function encodeFrame(channel: number, data: Uint8Array, base64: boolean): Buffer | string {
  if (base64) return String.fromCharCode(0x30 + channel) + Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  const frame = Buffer.allocUnsafe(data.length + 1);
  frame[0] = channel;
  frame.set(data, 1);
  return frame;
}

// Go's base64.StdEncoding: padding required, nothing after it, CR and LF
// ignored anywhere; Node's decoder would accept far more, so check first.
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeBase64(text: string): Buffer | undefined {
  const clean = text.replace(/[\r\n]/g, '');
  if (!STRICT_BASE64.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}
