import { ProtocolError } from './errors';

// The SPDY/3 name/value header block, before compression: a 32-bit count,
// then per header a 32-bit length and the name, a 32-bit length and the
// value. Names are lower case; a header with several values carries them
// NUL-separated in one value (spdystream's writeHeaderValueBlock and
// parseHeaderValueBlock).

export type Headers = Record<string, string>;

// Names that are one once lower-cased go as one header, their values
// NUL-separated: spdystream refuses a block that names a header twice (its
// DuplicateHeaders error ends the connection).
export function encodeHeaderBlock(headers: Headers): Buffer {
  const byName = new Map<string, string>();
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    const had = byName.get(name);
    byName.set(name, had === undefined ? String(v) : `${had}\0${v}`);
  }
  let size = 4;
  for (const [k, v] of byName) size += 8 + Buffer.byteLength(k) + Buffer.byteLength(v);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(byName.size, 0);
  let at = 4;
  // write() into place: Buffer#copy of small buffers cost more than the rest.
  for (const [k, v] of byName) {
    const kn = out.write(k, at + 4);
    out.writeUInt32BE(kn, at);
    at += 4 + kn;
    const vn = out.write(v, at + 4);
    out.writeUInt32BE(vn, at);
    at += 4 + vn;
  }
  return out;
}

// Names come back lower-cased (Go lower-cases what it writes; a peer that did
// not is forgiven). NUL-separated values and a name given twice are joined
// with "," as HTTP joins repeated headers. Lengths that run past the block,
// an empty name, or bytes left over are protocol errors.
export function decodeHeaderBlock(block: Buffer): Headers {
  const fail = (why: string): never => {
    throw new ProtocolError(`bad header block: ${why}`);
  };
  let at = 0;
  const u32 = (what: string): number => {
    if (at + 4 > block.length) fail(`${what} runs past the end of the block`);
    const n = block.readUInt32BE(at);
    at += 4;
    return n;
  };
  const bytes = (n: number, what: string): string => {
    if (n > block.length - at) fail(`${what} of ${n} bytes runs past the end of the block`);
    const s = block.toString('utf8', at, at + n);
    at += n;
    return s;
  };
  const count = u32('header count');
  // Each header takes at least 8 bytes: a count larger than that is a lie.
  if (count > (block.length - at) / 8) fail(`${count} headers cannot fit in ${block.length} bytes`);
  // A Map, not an object: a header named __proto__ stays a header.
  const headers = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const name = bytes(u32('name length'), 'name').toLowerCase();
    if (name === '') fail('empty header name');
    let value = bytes(u32('value length'), 'value');
    if (value.includes('\0')) value = value.split('\0').join(',');
    const had = headers.get(name);
    headers.set(name, had === undefined ? value : `${had},${value}`);
  }
  if (at !== block.length) fail(`${block.length - at} bytes after the last header`);
  return Object.fromEntries(headers);
}
