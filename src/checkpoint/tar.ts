import { readSync, writeSync } from 'node:fs';

// POSIX ustar, as Go's archive/tar and GNU tar read and write it: names too
// long for the ustar fields go in a PAX header, sizes past 8 GiB in GNU
// base-256. Both sides work on a file descriptor with positioned I/O, so an
// archive of any size costs one block buffer, and a reader can walk an
// archive stored inside another (rootfs-diff.tar inside the checkpoint).

export const BLOCK = 512;
export type TarType = 'file' | 'dir' | 'symlink' | 'link' | 'chardev' | 'blockdev' | 'fifo';

export interface TarHeader {
  name: string; // relative, '/'-separated; directories without the trailing '/'
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number; // bytes of data (files only)
  mtimeMs: number;
  linkname?: string; // symlink target or hard link's first name
  devmajor?: number;
  devminor?: number;
}

const TYPE_FLAG: Record<TarType, string> = { file: '0', link: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' };
const FLAG_TYPE: Record<string, TarType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'link', '2': 'symlink', '3': 'chardev', '4': 'blockdev', '5': 'dir', '6': 'fifo' };
const MAX_OCTAL_11 = 0o77777777777;

export class TarFormatError extends Error {}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

function putString(b: Buffer, off: number, len: number, s: string): void {
  b.write(s, off, len, 'utf8');
}

function putOctal(b: Buffer, off: number, len: number, n: number): void {
  b.write(`${Math.max(0, Math.trunc(n)).toString(8).padStart(len - 1, '0')}\0`, off, len, 'ascii');
}

// GNU base-256: the high bit of the first byte set, the number big-endian.
function putNumber(b: Buffer, off: number, len: number, n: number): void {
  if (n <= MAX_OCTAL_11 || len < 12) return putOctal(b, off, len, n);
  b.fill(0, off, off + len);
  let v = BigInt(n);
  for (let i = off + len - 1; i > off; i--, v >>= 8n) b[i] = Number(v & 0xffn);
  b[off] = 0x80;
}

function getNumber(b: Buffer, off: number, len: number): number {
  if (b[off] & 0x80) {
    let v = BigInt(b[off] & 0x7f);
    for (let i = off + 1; i < off + len; i++) v = (v << 8n) | BigInt(b[i]);
    return Number(v);
  }
  const s = b.toString('ascii', off, off + len).replace(/[\0 ]+$/g, '').replace(/^[\0 ]+/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`a header field holds "${s}", not an octal number`);
  return parseInt(s, 8);
}

function getString(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

// Splits a long name into ustar's prefix (155) and name (100) at a '/'.
function splitName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i > 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { prefix, name: rest };
  }
  return undefined;
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : b[i];
  return sum;
}

function encodeHeader(h: TarHeader, name: string, prefix: string, linkname: string): Buffer {
  const b = Buffer.alloc(BLOCK);
  putString(b, 0, 100, name);
  putOctal(b, 100, 8, h.mode & 0o7777);
  putOctal(b, 108, 8, h.uid);
  putOctal(b, 116, 8, h.gid);
  putNumber(b, 124, 12, h.type === 'file' ? h.size : 0);
  putOctal(b, 136, 12, Math.floor(h.mtimeMs / 1000));
  b[156] = TYPE_FLAG[h.type].charCodeAt(0);
  putString(b, 157, 100, linkname);
  b.write('ustar\0' + '00', 257, 8, 'ascii');
  putString(b, 265, 32, h.uid === 0 ? 'root' : '');
  putString(b, 297, 32, h.gid === 0 ? 'root' : '');
  putOctal(b, 329, 8, h.devmajor ?? 0);
  putOctal(b, 337, 8, h.devminor ?? 0);
  putString(b, 345, 155, prefix);
  b.write(`${checksum(b).toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return b;
}

// A PAX record: "<len> key=value\n", where len counts itself.
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

// Writes entries at increasing positions of `fd`, from `start`.
export class TarWriter {
  pos: number;

  constructor(
    private readonly fd: number,
    start = 0,
  ) {
    this.pos = start;
  }

  header(h: TarHeader): void {
    const dirName = h.type === 'dir' ? `${h.name}/` : h.name;
    const split = splitName(dirName);
    const link = h.linkname ?? '';
    const pax: string[] = [];
    if (!split) pax.push(paxRecord('path', dirName));
    if (Buffer.byteLength(link) > 100) pax.push(paxRecord('linkpath', link));
    if (pax.length) {
      const data = Buffer.from(pax.join(''));
      const base = dirName.split('/').filter(Boolean).pop() ?? 'entry';
      this.raw(encodeHeader({ ...h, type: 'file', size: data.length, linkname: '' }, `PaxHeaders/${base}`.slice(0, 100), '', ''), 'x');
      this.data(data);
      this.end(data.length);
    }
    const names = split ?? { prefix: '', name: dirName.slice(-100) };
    this.write(encodeHeader(h, names.name, names.prefix, Buffer.byteLength(link) > 100 ? link.slice(0, 100) : link));
  }

  // A header block to be written later (reserve), for an entry whose size is
  // known only once its data is written.
  reserve(): number {
    const at = this.pos;
    this.pos += BLOCK;
    return at;
  }

  patch(at: number, h: TarHeader): void {
    const split = splitName(h.name);
    if (!split) throw new Error(`tar: "${h.name}" is too long for a reserved header`);
    writeAll(this.fd, encodeHeader(h, split.name, split.prefix, h.linkname ?? ''), at);
  }

  data(bytes: Uint8Array): void {
    this.write(bytes);
  }

  // Pads the entry's data to a whole block.
  end(size: number): void {
    const pad = padding(size);
    if (pad) this.write(Buffer.alloc(pad));
  }

  // Two zero blocks end the archive.
  finish(): void {
    this.write(Buffer.alloc(2 * BLOCK));
  }

  private raw(header: Buffer, flag: string): void {
    header[156] = flag.charCodeAt(0);
    header.write(`${checksum(header).toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
    this.write(header);
  }

  private write(bytes: Uint8Array): void {
    writeAll(this.fd, bytes, this.pos);
    this.pos += bytes.byteLength;
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): void {
  let off = 0;
  while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off, position + off);
}

export interface TarEntry extends TarHeader {
  // Where its data starts in the file.
  offset: number;
}

// Reads the entries of the archive stored in `fd` between start and end.
export class TarReader {
  private pos: number;
  private readonly block = Buffer.alloc(BLOCK);

  constructor(
    private readonly fd: number,
    start: number,
    private readonly end: number,
  ) {
    this.pos = start;
  }

  // The next entry (its data skipped by the following call), or null at the end.
  next(): TarEntry | null {
    let pax: Record<string, string> = {};
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      if (this.pos + BLOCK > this.end) return null;
      this.readAt(this.block, this.pos);
      if (this.block.every((x) => x === 0)) return null;
      const stored = getNumber(this.block, 148, 8);
      if (stored !== checksum(this.block)) throw new TarFormatError(`bad header checksum at byte ${this.pos}`);
      const flag = String.fromCharCode(this.block[156]);
      let size = getNumber(this.block, 124, 12);
      const dataAt = this.pos + BLOCK;
      if (dataAt + size > this.end) throw new TarFormatError(`an entry at byte ${this.pos} runs past the end of the archive`);
      this.pos = dataAt + size + padding(size);
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > 1 << 20) throw new TarFormatError(`an extended header of ${size} bytes is too large`);
        const data = Buffer.alloc(size);
        this.readAt(data, dataAt);
        if (flag === 'x') pax = { ...pax, ...parsePax(data) };
        else if (flag === 'L') longName = getString(data, 0, data.length);
        else if (flag === 'K') longLink = getString(data, 0, data.length);
        continue;
      }
      const type = FLAG_TYPE[flag];
      if (!type) continue; // unknown types are skipped, as tar -x warns and goes on
      const prefix = getString(this.block, 345, 155);
      let name = pax.path ?? longName ?? (prefix ? `${prefix}/${getString(this.block, 0, 100)}` : getString(this.block, 0, 100));
      if (pax.size !== undefined) {
        size = Number(pax.size);
        this.pos = dataAt + size + padding(size);
      }
      name = name.replace(/\/+$/, '');
      return {
        name,
        type,
        mode: getNumber(this.block, 100, 8),
        uid: getNumber(this.block, 108, 8),
        gid: getNumber(this.block, 116, 8),
        size: type === 'file' ? size : 0,
        mtimeMs: getNumber(this.block, 136, 12) * 1000,
        linkname: pax.linkpath ?? longLink ?? getString(this.block, 157, 100),
        devmajor: getNumber(this.block, 329, 8),
        devminor: getNumber(this.block, 337, 8),
        offset: dataAt,
      };
    }
  }

  // The entry's data in pieces of at most `piece` bytes, one buffer reused.
  *data(e: TarEntry, piece = 64 * 1024): Generator<Buffer> {
    const buf = Buffer.alloc(Math.min(piece, Math.max(e.size, 1)));
    for (let off = 0; off < e.size; ) {
      const n = Math.min(buf.length, e.size - off);
      const view = buf.subarray(0, n);
      this.readAt(view, e.offset + off);
      off += n;
      yield view;
    }
  }

  readAll(e: TarEntry, max: number): Buffer {
    if (e.size > max) throw new TarFormatError(`${e.name} is ${e.size} bytes, more than the ${max} allowed`);
    const buf = Buffer.alloc(e.size);
    this.readAt(buf, e.offset);
    return buf;
  }

  private readAt(buf: Buffer, position: number): void {
    let off = 0;
    while (off < buf.length) {
      const n = readSync(this.fd, buf, off, buf.length - off, position + off);
      if (n === 0) throw new TarFormatError(`the archive ends at byte ${position + off}, inside an entry`);
      off += n;
    }
  }
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(data.toString('ascii', off, sp), 10);
    if (!(len > 0) || off + len > data.length) throw new TarFormatError('a PAX record has a bad length');
    const rec = data.toString('utf8', sp + 1, off + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    off += len;
  }
  return out;
}
