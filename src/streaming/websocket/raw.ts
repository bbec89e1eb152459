import type { RawData } from 'ws';

// A 'message' payload as one Buffer, whatever binaryType the socket uses.
export function toBuffer(raw: RawData): Buffer {
  if (Buffer.isBuffer(raw)) return raw;
  if (Array.isArray(raw)) return Buffer.concat(raw);
  return Buffer.from(raw);
}
