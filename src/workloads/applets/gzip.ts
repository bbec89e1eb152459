import { createGzip } from 'node:zlib';
import { Inflate, type ZStream } from 'pako';
import { Pipe } from '../procs/pipe';
import { chunkBuffer } from '../procs/streams';
import { type InStream, Killed } from '../procs/types';
import { type Chunk, type FileHandle, type Stat, isFsError } from '../rootfs/types';
import { BLOCK, Input, type Tool, applet, fileIn } from './common/tool';

// gzip, gunzip and zcat as busybox's bbunpack runs them: each FILE becomes
// FILE.gz (or loses its .gz), made O_EXCL with the source's mode, and the
// source goes once that worked; -c writes to stdout, -t to nowhere, stdin
// with no FILE.
//
// Compression is node's zlib at level 6 (busybox's only level without
// FEATURE_GZIP_LEVELS), on the thread pool, with busybox's header: no name,
// no mtime. Small inputs come out byte for byte as busybox's; its own
// deflate's larger blocks differ from zlib's by a few percent in size.
// Decompression is pako's raw inflate, which says where a member's deflate
// data ends, so the trailer and the next member are read as
// unpack_gz_stream reads them, with its messages.

type Sink = (data: Chunk) => Promise<void>;

const WINDOW = 0x8000; // GUNZIP_WSIZE: inflate_unzip writes by the window
const ZEROS = Buffer.alloc(WINDOW);
// Compressed bytes inflated at a time: deflate's 1032:1 at most makes a
// piece at most 4 MiB out, and the applet yields between pieces.
const PIECE = 4096;

// A window of zeros goes out as a Fill, as /dev/zero's blocks do: a big
// file of zeros gunzipped onto the memory backend keeps no bytes.
const asChunk = (b: Buffer): Chunk => (b.equals(ZEROS.subarray(0, b.length)) ? { fill: 'zero', length: b.length, seed: 0, offset: 0 } : b);

interface Mode {
  stdout: boolean;
  force: boolean;
  keep: boolean;
  verbose: boolean;
  test: boolean;
  // zcat: the magic is checked before the transform, and the transform's
  // failure (a forked child's) is said but leaves the status alone.
  seamless: boolean;
}

export const gzip = applet(async (t) => {
  const p = t.parse({
    short: 'cfkvqdtn123456789',
    long: { stdout: 'c', 'to-stdout': 'c', force: 'f', verbose: 'v', decompress: 'd', uncompress: 'd', test: 't', quiet: 'q', fast: '1', best: '9', 'no-name': 'n' },
  });
  // -d and -t are gunzip_main's.
  return bbunpack(t, p.operands, modeOf(p), p.has('d') || p.has('t') ? 'unpack' : 'pack');
});

export const gunzip = applet(async (t) => {
  const p = t.parse({ short: 'cfkvqdtn', long: { stdout: 'c', 'to-stdout': 'c', force: 'f', test: 't', 'no-name': 'n' } });
  const mode = modeOf(p);
  // zcat is gunzip -c, "clever" about its magic.
  if (t.name[1] === 'c') {
    mode.stdout = true;
    mode.seamless = true;
  }
  return bbunpack(t, p.operands, mode, 'unpack');
});

export const zcat = gunzip;

function modeOf(p: ReturnType<Tool['parse']>): Mode {
  return { stdout: p.has('c'), force: p.has('f'), keep: p.has('k'), verbose: p.has('v'), test: p.has('t'), seamless: false };
}

function bbunpack(t: Tool, operands: string[], mode: Mode, job: 'pack' | 'unpack'): Promise<number> {
  return new Bbunpack(t, mode, job).run(operands);
}

class Bbunpack {
  private exitcode = 0;
  // Each FILE is moved onto fd 0 (xmove_fd): a later "-" reads what is
  // left of the one before, not the stdin the applet started with.
  private fd0?: Input;

  constructor(
    private readonly t: Tool,
    private readonly mode: Mode,
    private readonly job: 'pack' | 'unpack',
  ) {}

  async run(operands: string[]): Promise<number> {
    try {
      for (const operand of operands.length ? operands : [undefined]) {
        if (!(await this.one(operand === '-' ? undefined : operand))) this.exitcode = 1;
      }
    } finally {
      this.fd0?.close();
    }
    return this.exitcode;
  }

  // One FILE (or stdin): whether it went without an error.
  private async one(filename: string | undefined): Promise<boolean> {
    const { t, mode } = this;
    let st: Stat | undefined;
    if (filename !== undefined) {
      st = await this.openSource(filename);
      if (!st) return false;
    }
    const fromTerminal = !this.fd0 && t.ctx.stdin.isTTY === true;
    const input = this.fd0 ?? new Input(t, t.ctx.stdin);
    if (mode.seamless) await seamlessMagic(t, input);
    // -c and -t write no file and remove none.
    const target = mode.stdout || mode.test || filename === undefined || !st ? undefined : await this.openTarget(filename, st);
    if (target === null) return false;
    const sink: Sink = target ? async (d) => void target.fh.write(d) : mode.test ? async () => {} : mode.seamless ? (d) => copyOut(t, d) : (d) => t.ctx.stdout.write(d);
    if (!mode.force && fromTerminal) {
      target?.fh.close();
      return t.die('compressed data not read from terminal, use -f to force it');
    }
    let status: number;
    let mtime = 0;
    try {
      if (this.job === 'pack') status = await pack(t, input, sink);
      else ({ total: status, mtime } = await unpack(t, input, sink, mode.seamless));
    } finally {
      target?.fh.close();
    }
    if (target && filename !== undefined) await this.finish(filename, st!, target.name, status, mtime);
    // zcat's transform is a child whose status nobody reads.
    return status >= 0 || mode.seamless;
  }

  // stat, then open onto fd 0: the Stat, or undefined once said.
  private async openSource(filename: string): Promise<Stat | undefined> {
    const t = this.t;
    let st: Stat;
    try {
      st = t.ctx.fs.stat(t.path(filename));
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(filename, err);
      return undefined;
    }
    let fh: FileHandle;
    try {
      fh = t.open(filename, { read: true });
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.error(`can't open '${filename}': ${err.message}`);
      return undefined;
    }
    this.fd0?.close();
    this.fd0 = new Input(t, fileIn(fh), () => fh.close());
    return st;
  }

  // The new file, O_EXCL with the source's mode (-f unlinks what was
  // there); null once said.
  private async openTarget(filename: string, st: Stat): Promise<{ name: string; fh: FileHandle } | null> {
    const t = this.t;
    const name = this.job === 'pack' ? `${filename}.gz` : gunzipName(filename);
    if (name === undefined) {
      await t.error(`${filename}: unknown suffix - ignored`);
      return null;
    }
    if (this.mode.force) {
      try {
        t.ctx.fs.unlink(t.path(name));
      } catch {
        // unlink(new_name), its failure unchecked.
      }
    }
    try {
      return { name, fh: t.open(name, { write: true, create: true, exclusive: true }, st.mode & 0o7777) };
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.error(`can't open '${name}': ${err.message}`);
      return null;
    }
  }

  // Done with a file: the source goes (but with -k), or the new file if the
  // transform failed. gunzip gives the new file the member's mtime.
  private async finish(filename: string, st: Stat, newName: string, status: number, mtime: number): Promise<void> {
    const { t, mode } = this;
    const fs = t.ctx.fs;
    let del: string | undefined = newName;
    if (status >= 0) {
      if (mtime) {
        try {
          fs.utimes(t.path(newName), mtime * 1000, mtime * 1000);
        } catch {
          // utimes, errors ignored.
        }
      }
      // DESKTOP's "bloat for gunzip compat", its unsigned sums included.
      if (mode.verbose) {
        const percent = status ? Number((BigInt(st.size) * 100n) / BigInt(status)) >>> 0 : 0;
        await t.ctx.stderr.write(`${filename}: ${(100 - percent) >>> 0}% - replaced with ${newName}\n`);
      }
      del = mode.keep ? undefined : filename;
    }
    if (del === undefined) return;
    try {
      fs.unlink(t.path(del));
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.die(`can't remove file '${del}': ${err.message}`);
    }
  }
}

// tar's -z, and its autodetect: unpack_gz_stream as the child that feeds
// tar through a pipe, its messages said under tar's name. `ok` answers,
// once the data has all gone through, whether it went without an error
// (check_errors_in_children); closing the stream stops it.
export function gunzipPipe(t: Tool, input: InStream, magicRead = false): { stream: InStream & { close(): void }; ok: Promise<boolean> } {
  const pipe = new Pipe();
  const ok = unpack(t, new Input(t, input), (d) => pipe.writer.write(d), magicRead)
    .then(
      (r) => r.total >= 0,
      (err: unknown) => {
        // tar closed its end, or was killed.
        if (isFsError(err, 'EPIPE') || err instanceof Killed) return false;
        throw err;
      },
    )
    .finally(() => pipe.writer.close());
  // A tar that dies first does not wait for it.
  ok.catch(() => {});
  return { stream: pipe.reader, ok };
}

// zcat's parent copies the child's output with bb_copyfd_eof: a write that
// fails is said as it says it, and ends the applet.
async function copyOut(t: Tool, d: Chunk): Promise<void> {
  try {
    await t.ctx.stdout.write(d);
  } catch (err) {
    if (!isFsError(err) || err.code === 'EPIPE') throw err;
    await t.die(`write error: ${err.message}`);
  }
}

// make_new_name_gunzip: .gz goes, .tgz becomes .tar, anything else is not
// ours.
function gunzipName(name: string): string | undefined {
  const dot = name.lastIndexOf('.');
  if (dot < 0) return undefined;
  const ext = name.slice(dot + 1);
  if (ext === 'gz') return name.slice(0, dot);
  if (ext === 'tgz') return `${name.slice(0, dot)}.tar`;
  return undefined;
}

// pack_gzip: what it cannot read (a directory) is its end, as file_read's -1
// is. A write that fails is xwrite's: the applet dies.
async function pack(t: Tool, input: Input, sink: Sink): Promise<number> {
  const z = createGzip({ level: 6 });
  const ready: Buffer[] = [];
  z.on('data', (b: Buffer) => ready.push(b));
  const ended = new Promise<void>((resolve, reject) => z.once('end', resolve).once('error', reject));
  const drain = async () => {
    for (let b = ready.shift(); b; b = ready.shift()) {
      try {
        await sink(b);
      } catch (err) {
        if (!isFsError(err) || err.code === 'EPIPE') throw err;
        return t.die(`write error: ${err.message}`);
      }
    }
  };
  try {
    for (;;) {
      let c;
      try {
        c = await input.block(BLOCK);
      } catch (err) {
        if (!isFsError(err)) throw err;
        c = null;
      }
      if (c === null) break;
      const data = chunkBuffer(c);
      await new Promise<void>((resolve, reject) => z.write(data, (err) => (err ? reject(err) : resolve())));
      await drain();
    }
    z.end();
    await ended;
    await drain();
  } finally {
    z.close();
  }
  return 0;
}

// The compressed bytes as unpack_gz_stream reads them: top_up(n) makes n
// bytes ready, or answers false at the end.
class Bytes {
  private buf: Buffer = Buffer.alloc(0);
  at = 0;

  constructor(
    private readonly t: Tool,
    private readonly input: Input,
  ) {}

  get ready(): Buffer {
    return this.buf.subarray(this.at);
  }

  // A read that fails is said as top_up says it, and is the end.
  async topUp(n: number): Promise<boolean> {
    while (this.buf.length - this.at < n) {
      let c;
      try {
        c = await this.input.bytes(BLOCK);
      } catch (err) {
        if (!isFsError(err)) throw err;
        await this.t.error(`read error: ${err.message}`);
        return false;
      }
      if (c === null) return false;
      this.buf = Buffer.concat([this.buf.subarray(this.at), c]);
      this.at = 0;
    }
    return true;
  }

  // The next piece for inflate (fill_bitbuffer): a failed read is the end.
  async more(): Promise<Buffer | null> {
    if (this.at >= this.buf.length) {
      const c = await this.input.bytes(BLOCK).catch((err: unknown) => {
        if (isFsError(err)) return null;
        throw err;
      });
      if (c === null) return null;
      this.buf = c;
      this.at = 0;
    }
    const piece = this.buf.subarray(this.at, this.at + PIECE);
    this.at += piece.length;
    return piece;
  }

  // What inflate left of its last piece: the trailer, or the next member.
  giveBack(n: number): void {
    this.at -= n;
  }

  u8(): number {
    return this.buf[this.at++];
  }

  u16(): number {
    const v = this.buf.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }

  u32(): number {
    const v = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
}

// zcat's open_zipped / setup_unzip_on_fd: two bytes read whole or the
// applet dies, and they must be gzip's magic. The decompressor then starts
// past them.
async function seamlessMagic(t: Tool, input: Input): Promise<void> {
  const head: Buffer[] = [];
  let got = 0;
  while (got < 2) {
    let b;
    try {
      b = await input.bytes(2 - got);
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`read error: ${err.message}`);
    }
    if (b === null) return t.die('short read');
    head.push(b);
    got += b.length;
  }
  const magic = Buffer.concat(head);
  if (magic[0] !== 0x1f || magic[1] !== 0x8b) return t.die('no gzip/bzip2/xz magic');
}

// unpack_gz_stream: the bytes written (-1 once something was said), and the
// last member's mtime (0: none given). zcat has read the magic already.
async function unpack(t: Tool, input: Input, sink: Sink, magicRead: boolean): Promise<{ total: number; mtime: number }> {
  const bytes = new Bytes(t, input);
  const failed = { total: -1, mtime: 0 };
  if (!magicRead && (!(await bytes.topUp(2)) || bytes.u16() !== 0x8b1f)) {
    await t.error('invalid magic');
    return failed;
  }
  let total = 0;
  for (;;) {
    const mtime = await header(bytes);
    if (mtime === undefined) {
      await t.error('corrupted data');
      return failed;
    }
    const member = await inflateMember(t, bytes, sink);
    if (member === undefined) return failed;
    total += member.size;
    if (!(await bytes.topUp(8))) {
      await t.error('corrupted data');
      return failed;
    }
    if (bytes.u32() !== member.crc) {
      await t.error('crc error');
      return failed;
    }
    // Said, and the next member still read, as unpack_gz_stream goes on.
    if (bytes.u32() !== member.size % 2 ** 32) {
      await t.error('incorrect length');
      total = -1;
    }
    // Another member follows its magic; anything else is ignored.
    const r = (await bytes.topUp(2)) ? bytes.ready : undefined;
    if (!r || r[0] !== 0x1f || r[1] !== 0x8b) return { total, mtime };
    bytes.at += 2;
  }
}

// check_header_gzip: method 8, the optional fields skipped; the mtime, or
// undefined for a header cut short or not deflate's.
async function header(b: Bytes): Promise<number | undefined> {
  if (!(await b.topUp(8))) return undefined;
  const method = b.u8();
  const flags = b.u8();
  const mtime = b.u32();
  b.at += 2;
  if (method !== 8) return undefined;
  if (flags & 0x04) {
    if (!(await b.topUp(2))) return undefined;
    const extra = b.u16();
    if (!(await b.topUp(extra))) return undefined;
    b.at += extra;
  }
  // A name, a comment, or both, each ended by a NUL.
  for (let strings = (flags & 0x18) === 0x18 ? 2 : flags & 0x18 ? 1 : 0; strings > 0; strings--) {
    for (;;) {
      if (!(await b.topUp(1))) return undefined;
      if (b.u8() === 0) break;
    }
  }
  if (flags & 0x02) {
    if (!(await b.topUp(2))) return undefined;
    b.at += 2;
  }
  return mtime;
}

// One member's deflate data: its output leaves window by window, and what
// the last window held goes before the trailer is checked (a crc error
// still writes it all). A write that fails is transformer_write's "write"
// perror.
async function inflateMember(t: Tool, bytes: Bytes, sink: Sink): Promise<{ crc: number; size: number } | undefined> {
  const inf = new Inflate({ raw: true, chunkSize: WINDOW });
  const ready: Buffer[] = [];
  let crc = 0;
  let size = 0;
  inf.onData = (chunk: Uint8Array) => {
    const b = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    crc = crc32(crc, b);
    size += b.length;
    ready.push(b);
  };
  inf.onEnd = () => {};
  // Handed over on the first push: where the member's data ended.
  let strm: ZStream | undefined;
  inf.onStart = (s: ZStream) => (strm = s);
  for (;;) {
    const data = await bytes.more();
    if (data !== null) inf.push(data, false);
    for (let b = ready.shift(); b; b = ready.shift()) {
      try {
        await sink(asChunk(b));
      } catch (err) {
        if (!isFsError(err) || err.code === 'EPIPE') throw err;
        await t.perror('write', err);
        return undefined;
      }
    }
    await t.yield();
    if (inf.ended) {
      if (inf.err !== 0) {
        await t.error('corrupted data');
        return undefined;
      }
      if (data !== null && strm) bytes.giveBack(data.length - strm.next_in);
      return { crc, size };
    }
    if (data === null) {
      await t.error('unexpected end of file');
      return undefined;
    }
  }
}

// CRC-32 (gzip's, reflected 0xEDB88320).
const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

function crc32(crc: number, b: Buffer): number {
  let c = ~crc;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
