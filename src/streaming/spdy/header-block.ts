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
  const byName = new Map<string, string[]>();
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), String(v)]);
  }
  const entries = [...byName].map(([k, vs]) => [Buffer.from(k), Buffer.from(vs.join('\0'))]);
  let size = 4;
  for (const [k, v] of entries) size += 8 + k.length + v.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32BE(entries.length, 0);
  let at = 4;
  for (const [k, v] of entries) {
    out.writeUInt32BE(k.length, at);
    k.copy(out, at + 4);
    at += 4 + k.length;
    out.writeUInt32BE(v.length, at);
    v.copy(out, at + 4);
    at += 4 + v.length;
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
  const headers: Headers = Object.create(null) as Headers;
  for (let i = 0; i < count; i++) {
    const name = bytes(u32('name length'), 'name').toLowerCase();
    if (name === '') fail('empty header name');
    const value = bytes(u32('value length'), 'value').split('\0').join(',');
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  if (at !== block.length) fail(`${block.length - at} bytes after the last header`);
  return { ...headers };
}
