import { posix } from 'node:path';
import { createGzip } from 'node:zlib';
import { split } from '../procs/pipe';
import { chunkBuffer } from '../procs/streams';
import type { InStream, OutStream } from '../procs/types';
import { type Chunk, type FileHandle, type Stat, chunkLength, isFsError } from '../rootfs/types';
import { concatPath } from './common/concat-path';
import { strftime } from './common/date';
import { modeString } from './common/mode';
import { StdoutError } from './common/stdout';
import { BLOCK, type Tool, applet } from './common/tool';
import { Names } from './common/users';
import { gunzipPipe } from './gzip';

// tar: ustar archives with GNU long names, as busybox writes and reads them;
// enough for `kubectl cp` (tar cf - / tar xf -), -z through zlib. File
// contents stream through in blocks and Fills stay Fills.

const ZERO_BLOCK = Buffer.alloc(512);

class TarError extends Error {}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, st: { mode: number; uid: number; gid: number; size: number; mtimeMs: number }, type: string, link = '', uname = '', gname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(st.mode & 0o7777, 8), 100, 'latin1');
  h.write(octal(st.uid, 8), 108, 'latin1');
  h.write(octal(st.gid, 8), 116, 'latin1');
  h.write(octal(st.size, 12), 124, 'latin1');
  h.write(octal(Math.floor(st.mtimeMs / 1000), 12), 136, 'latin1');
  h.write('        ', 148, 'latin1');
  h.write(type, 156, 'latin1');
  h.write(link, 157, 100, 'utf8');
  h.write('ustar  \0', 257, 'latin1');
  h.write(uname, 265, 32, 'utf8');
  h.write(gname, 297, 32, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'latin1');
  return h;
}

// A GNU ././@LongLink record for a name or link that does not fit.
function longLink(kind: 'L' | 'K', value: string): Buffer[] {
  const data = Buffer.from(value + '\0');
  const pad = (512 - (data.length % 512)) % 512;
  return [header('././@LongLink', { mode: 0, uid: 0, gid: 0, size: data.length, mtimeMs: 0 }, kind), data, Buffer.alloc(pad)];
}

// Exact reads from a stream: n bytes as chunks (Fills kept), or fewer at
// the end.
class Reader {
  private pending: Chunk[] = [];
  private ended = false;

  constructor(private readonly input: InStream) {}

  async take(n: number): Promise<Chunk[]> {
    const out: Chunk[] = [];
    let got = 0;
    while (got < n) {
      let c = this.pending.shift();
      if (!c) {
        if (this.ended) break;
        const r = await this.input.read(Math.min(BLOCK, n - got)).catch((err: unknown) => {
          // full_read's -1 is not the 512 bytes get_header_tar wants.
          throw isFsError(err) && err.code !== 'EPIPE' ? new TarError('short read') : err;
        });
        if (r === null) {
          this.ended = true;
          break;
        }
        c = r;
      }
      const len = chunkLength(c);
      if (len > n - got) {
        const [a, b] = split(c, n - got);
        this.pending.unshift(b);
        c = a;
      }
      out.push(c);
      got += chunkLength(c);
    }
    return out;
  }

  async bytes(n: number): Promise<Buffer> {
    return Buffer.concat((await this.take(n)).map((c) => chunkBuffer(c)));
  }
}

// -z's gzip between async streams, through zlib.
function gzipStream(input: InStream): InStream {
  const z = createGzip();
  const queue: Buffer[] = [];
  let done = false;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  z.on('data', (b: Buffer) => {
    queue.push(b);
    wake?.();
  });
  z.on('end', () => {
    done = true;
    wake?.();
  });
  z.on('error', (e) => {
    failed = e;
    wake?.();
  });
  let feeding = false;
  const feed = async () => {
    if (feeding) return;
    feeding = true;
    for (;;) {
      const c = await input.read(BLOCK);
      if (c === null) {
        z.end();
        return;
      }
      if (!z.write(chunkBuffer(c))) await new Promise((r) => z.once('drain', r));
      if (queue.length > 4) await new Promise<void>((r) => setImmediate(r));
    }
  };
  return {
    read: async () => {
      void feed().catch((e) => {
        failed = e;
        wake?.();
      });
      for (;;) {
        if (queue.length) return queue.shift()!;
        if (failed) throw new TarError(failed.message);
        if (done) return null;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
  };
}

export const tar = applet(async (t) => {
  // Old style: "tar cvf FILE DIR" — the first word is a bundle of options
  // whose arguments follow in order.
  let args = [...t.args];
  if (args.length && !args[0].startsWith('-')) {
    const bundle = args[0];
    const rest = args.slice(1);
    const expanded: string[] = [];
    for (const c of bundle) {
      expanded.push('-' + c);
      if ('fCTXb'.includes(c) && rest.length) expanded.push(rest.shift()!);
    }
    args = [...expanded, ...rest];
  }
  const p = t.parse({
    short: 'cxtvf:C:zjOmohT:X:pka',
    long: {
      create: 'c',
      extract: 'x',
      list: 't',
      verbose: 'v',
      file: 'f:',
      directory: 'C:',
      gzip: 'z',
      'to-stdout': 'O',
      touch: 'm',
      'no-same-owner': 'o',
      'numeric-owner': '\u00f1',
      'no-same-permissions': '\u00f2',
      'same-permissions': 'p',
      dereference: 'h',
      'files-from': 'T:',
      'exclude-from': 'X:',
      exclude: '\u00ff:',
      'strip-components': '\u00f8:',
      overwrite: '\u00fe',
      'keep-old': 'k',
      'no-recursion': '\u00f3',
    },
  }, args);
  const modes = ['c', 'x', 't'].filter((k) => p.has(k));
  if (modes.length !== 1) return t.die(modes.length ? "only one of -c, -x, -t can be given" : 'need one of -c, -x, -t');
  const archive = p.value('f') ?? '-';
  const base = p.value('C');
  const excludes = p.values('\u00ff');
  try {
    if (p.has('c')) return await create(t, p, archive, base, excludes);
    return await extract(t, p, archive, base, p.has('t'));
  } catch (err) {
    if (err instanceof TarError) return t.die(err.message);
    throw err;
  }
});

type Parsed = ReturnType<Tool['parse']>;

async function create(t: Tool, p: Parsed, archive: string, base: string | undefined, excludes: string[]): Promise<number> {
  let names = [...p.operands];
  for (const list of p.values('T')) {
    const input = t.input(list);
    try {
      for (let l = await input.line(); l !== null; l = await input.line()) if (l) names.push(Buffer.from(l, 'latin1').toString());
    } finally {
      input.close();
    }
  }
  if (names.length === 0) return t.die('empty archive');
  const fs = t.ctx.fs;
  const dir = base ? t.path(base) : t.ctx.cwd;
  const at = (n: string) => posix.resolve(dir, n);
  const userNames = new Names(fs);
  let status = 0;

  // Where the archive goes: a file, or stdout; through gzip with -z.
  let out: OutStream;
  let closeOut = () => {};
  let archiveStat: Stat | undefined;
  if (archive === '-') out = { write: (d) => t.out.chunk(typeof d === 'string' ? Buffer.from(d) : d) };
  else {
    let fh: FileHandle;
    try {
      fh = t.open(archive, { write: true, create: true, truncate: true });
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't open '${archive}': ${err.message}`);
    }
    archiveStat = fh.stat();
    out = { write: async (d) => void fh.write(typeof d === 'string' ? Buffer.from(d) : d) };
    closeOut = () => fh.close();
  }
  // The archive is written by xwrite: a write that fails ends tar.
  const writing = async (step: () => Promise<void>) => {
    try {
      await step();
    } catch (err) {
      const failed = err instanceof StdoutError ? err.failed : isFsError(err) && err.code !== 'EPIPE' ? err : undefined;
      if (failed) throw new TarError(`write error: ${failed.message}`);
      throw err;
    }
  };
  const raw = out;
  out = { write: (d) => writing(() => raw.write(d)) };
  let gz: { push: (c: Chunk | null) => void; done: Promise<void> } | undefined;
  if (p.has('z')) {
    const queue: (Chunk | null)[] = [];
    let wake: (() => void) | undefined;
    const src: InStream = {
      read: async () => {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        return queue.shift()!;
      },
    };
    const zipped = gzipStream(src);
    const realOut = out;
    const done = (async () => {
      for (let c = await zipped.read(); c !== null; c = await zipped.read()) await realOut.write(c);
    })();
    gz = {
      push: (c) => {
        queue.push(c && chunkBuffer(c));
        wake?.();
      },
      done,
    };
    out = { write: async (d) => gz!.push(typeof d === 'string' ? Buffer.from(d) : d) };
  }
  const verboseOut = archive === '-' ? (s: string) => t.ctx.stderr.write(s) : (s: string) => t.out.text(s);
  const seenLinks = new Map<string, string>();
  let warnedSlash = false;

  const add = async (name: string): Promise<void> => {
    if (excludes.some((e) => name === e || posix.basename(name) === e)) return;
    let st: Stat;
    try {
      st = p.has('h') ? fs.stat(at(name)) : fs.lstat(at(name));
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(name, err);
      status = 1;
      return;
    }
    if (archiveStat && st.ino === archiveStat.ino && st.dev === archiveStat.dev) {
      await t.error(`${name}: file is the archive; skipping`);
      return;
    }
    let stored = stripUnsafePrefix(name);
    // Said once per archive.
    if (stored !== name && !warnedSlash) {
      warnedSlash = true;
      await t.error(`removing leading '${name.slice(0, name.length - stored.length)}' from member names`);
    }
    if (stored === '') stored = '.';
    if (st.type === 'dir' && !stored.endsWith('/')) stored += '/';
    if (st.type === 'socket') {
      await t.error(`${name}: socket ignored`);
      return;
    }
    const uname = userNames.user(st.uid) ?? '';
    const gname = userNames.group(st.gid) ?? '';
    let type = st.type === 'dir' ? '5' : st.type === 'symlink' ? '2' : st.type === 'chardev' ? '3' : st.type === 'blockdev' ? '4' : st.type === 'fifo' ? '6' : '0';
    let link = '';
    if (st.type === 'symlink') link = fs.readlink(at(name));
    if (st.type === 'file' && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seenLinks.get(key);
      if (first) {
        type = '1';
        link = first;
      } else seenLinks.set(key, stored);
    }
    const size = type === '0' ? st.size : 0;
    // writeFileToTarball opens a regular file before its header: one that
    // will not open is said and left out of the archive.
    let fh: FileHandle | undefined;
    if (type === '0') {
      try {
        fh = fs.open(at(name), { read: true });
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(`can't open '${name}'`, err);
        status = 1;
        return;
      }
    }
    if (Buffer.byteLength(link) > 100) for (const b of longLink('K', link)) await out.write(b);
    if (Buffer.byteLength(stored) > 100) for (const b of longLink('L', stored)) await out.write(b);
    await out.write(header(stored, { ...st, size }, type, link, uname, gname));
    if (p.has('v')) await verboseOut(stored + '\n');
    if (fh) {
      let left = size;
      try {
        while (left > 0) {
          const c = fh.read(Math.min(BLOCK, left));
          if (c === null) break;
          await out.write(c);
          left -= chunkLength(c);
          await t.yield();
        }
      } finally {
        fh.close();
      }
      // The header is out: a file that shrank is padded with zeros to its
      // size there, to keep the archive whole.
      if (left > 0) await out.write({ fill: 'zero', length: left, seed: 0, offset: 0 });
      const pad = (512 - (size % 512)) % 512;
      if (pad) await out.write(ZERO_BLOCK.subarray(0, pad));
    }
    if (st.type === 'dir' && !p.has('\u00f3')) {
      let entries: string[] = [];
      try {
        entries = fs.readdir(at(name));
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(name, err);
        status = 1;
      }
      for (const e of entries) await add(concatPath(name, e));
    }
  };
  try {
    for (const n of names) await add(n);
    await out.write(Buffer.alloc(1024));
    if (gz) {
      gz.push(null);
      await gz.done;
    }
    if (archive === '-') await writing(() => t.out.flush());
  } finally {
    closeOut();
  }
  if (status) await t.error('error exit delayed from previous errors');
  return status;
}

// strip_unsafe_prefix: leading slashes, a leading "../", and all up to the
// last "/../" go, so no member lands outside the directory.
function stripUnsafePrefix(s: string): string {
  let cp = 0;
  for (;;) {
    if (s[cp] === '/') cp++;
    else if (s.startsWith('../', cp)) cp += 3;
    else {
      const at = s.indexOf('/../', cp);
      if (at < 0) return s.slice(cp);
      cp = at + 4;
    }
  }
}

function field(h: Buffer, at: number, len: number): string {
  const s = h.subarray(at, at + len);
  const nul = s.indexOf(0);
  return (nul < 0 ? s : s.subarray(0, nul)).toString('utf8');
}

function num(h: Buffer, at: number, len: number): number {
  // Base-256 for big values (GNU), octal otherwise.
  if (h[at] & 0x80) {
    let v = 0;
    for (let i = at + 1; i < at + len; i++) v = v * 256 + h[i];
    return v;
  }
  const s = field(h, at, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError('corrupted octal value in tar header');
  return parseInt(s, 8);
}

async function extract(t: Tool, p: Parsed, archive: string, base: string | undefined, list: boolean): Promise<number> {
  let input: InStream;
  let close = () => {};
  let archiveFile: FileHandle | undefined;
  if (archive === '-') input = t.ctx.stdin;
  else {
    let fh: FileHandle;
    try {
      fh = t.open(archive, { read: true });
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't open '${archive}': ${err.message}`);
    }
    input = { read: async (max = BLOCK) => fh.read(Math.min(max, BLOCK)) };
    archiveFile = fh;
    close = () => fh.close();
  }
  let gz: ReturnType<typeof gunzipPipe> | undefined;
  if (p.has('z')) {
    gz = gunzipPipe(t, input);
    input = gz.stream;
  }
  let r = new Reader(input);
  const toStdout = async (c: Chunk) => {
    try {
      await t.ctx.stdout.write(c);
    } catch (err) {
      if (!isFsError(err) || err.code === 'EPIPE') throw err;
      throw new TarError(`write error: ${err.message}`);
    }
  };
  const fs = t.ctx.fs;
  const dir = base ? t.path(base) : t.ctx.cwd;
  const root = t.ctx.proc.identity.uid === 0;
  const keepOwner = root && !p.has('o');
  const strip = Number(p.value('\u00f8') ?? 0);
  const wanted = p.operands.map((n) => n.replace(/\/+$/, ''));
  const found = new Set<string>();
  const userNames = new Names(fs);
  let status = 0;
  let warnedSlash = false;
  let longName: string | undefined;
  let longLinkName: string | undefined;
  let pax: Record<string, string> = {};
  const dirTimes: [string, number][] = [];
  let first = true;

  try {
    for (;;) {
      const h = await r.bytes(512);
      if (h.length === 0) {
        if (first) return t.die('short read');
        break;
      }
      const magic = h.length === 512 ? field(h, 257, 6) : '';
      if (h.length < 512 || !(magic.startsWith('ustar') || h.subarray(257, 262).equals(ZERO_BLOCK.subarray(0, 5)))) {
        // FEATURE_TAR_AUTODETECT: a file (lseek back to 0 works) that
        // starts with gzip's magic is read again through gunzip.
        if (!first || gz || !archiveFile || h[0] !== 0x1f || h[1] !== 0x8b) throw new TarError('invalid tar magic');
        archiveFile.seek(2);
        const fh = archiveFile;
        gz = gunzipPipe(t, { read: async (max = BLOCK) => fh.read(Math.min(max, BLOCK)) }, true);
        input = gz.stream;
        r = new Reader(input);
        continue;
      }
      first = false;
      if (h.equals(ZERO_BLOCK)) break;
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
      if (sum !== num(h, 148, 8)) throw new TarError('invalid tar header checksum');
      const type = String.fromCharCode(h[156] || 48);
      const size = num(h, 124, 12);
      const prefix = magic === 'ustar' ? field(h, 345, 155) : '';
      let name = pax.path ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
      const link = pax.linkpath ?? longLinkName ?? field(h, 157, 100);
      const realSize = pax.size !== undefined ? Number(pax.size) : size;
      const padded = realSize + ((512 - (realSize % 512)) % 512);
      if (type === 'L' || type === 'K' || type === 'x' || type === 'g') {
        const data = (await r.bytes(padded)).subarray(0, size).toString('utf8');
        if (type === 'L') longName = data.replace(/\0+$/, '');
        else if (type === 'K') longLinkName = data.replace(/\0+$/, '');
        else if (type === 'x') {
          pax = {};
          for (let rest = data; rest.length; ) {
            const m = /^(\d+) /.exec(rest);
            if (!m) {
              await t.error('malformed extended header, skipped');
              break;
            }
            const rec = rest.slice(0, Number(m[1]));
            const kv = rec.slice(m[0].length).replace(/\n$/, '');
            const eq = kv.indexOf('=');
            if (eq > 0) pax[kv.slice(0, eq)] = kv.slice(eq + 1);
            rest = rest.slice(Number(m[1]));
          }
        }
        continue;
      }
      longName = longLinkName = undefined;
      pax = {};
      const mode = num(h, 100, 8);
      const uid = num(h, 108, 8);
      const gid = num(h, 116, 8);
      const mtime = num(h, 136, 12) * 1000;
      // get_header_tar, for a list too.
      const kept = stripUnsafePrefix(name);
      if (kept !== name) {
        if (!warnedSlash) await t.error(`removing leading '${name.slice(0, name.length - kept.length)}' from member names`);
        warnedSlash = true;
        name = kept;
      }
      // --strip-components is data_extract_all's: a list shows whole names.
      if (strip && !list) {
        const parts = name.split('/').filter(Boolean);
        if (parts.length <= strip) {
          await r.take(padded);
          continue;
        }
        name = parts.slice(strip).join('/') + (type === '5' ? '/' : '');
      }
      const clean = name.replace(/\/+$/, '');
      const match = wanted.length === 0 || wanted.some((w) => clean === w || clean.startsWith(w + '/'));
      if (match) wanted.forEach((w) => (clean === w || clean.startsWith(w + '/')) && found.add(w));
      const dataChunks = async (sink?: (c: Chunk) => Promise<void>) => {
        let left = type === '0' || type === '7' ? realSize : type === '1' || type === '2' || type === '5' ? 0 : realSize;
        while (left > 0) {
          const cs = await r.take(Math.min(BLOCK, left));
          if (cs.length === 0) throw new TarError('short read');
          for (const c of cs) {
            if (sink) await sink(c);
            left -= chunkLength(c);
          }
          await t.yield();
        }
        const pad = padded - realSize;
        if (pad && (type === '0' || type === '7' || realSize > 0)) await r.take(pad);
      };
      if (!match) {
        await r.take(padded);
        continue;
      }
      if (list) {
        if (p.has('v')) {
          const kind = type === '5' ? 'dir' : type === '2' ? 'symlink' : type === '3' ? 'chardev' : type === '4' ? 'blockdev' : type === '6' ? 'fifo' : 'file';
          const owner = `${field(h, 265, 32) || userNames.user(uid) || uid}/${field(h, 297, 32) || userNames.group(gid) || gid}`;
          let line = `${modeString(kind, mode)} ${owner} ${String(realSize).padStart(9)} ${strftime('%Y-%m-%d %H:%M:%S', mtime)} ${name}`;
          if (type === '2') line += ` -> ${link}`;
          if (type === '1') line += ` link to ${link}`;
          await t.out.text(line + '\n');
        } else await t.out.text(name + '\n');
        await dataChunks();
        continue;
      }
      if (p.has('v')) await t.out.text(name + '\n');
      // data_extract_to_stdout writes fd 1 itself (bb_copyfd_exact_size),
      // past -v's names, which wait in stdio's buffer.
      if (p.has('O')) {
        await dataChunks(type === '0' || type === '7' ? toStdout : undefined);
        continue;
      }
      const path = posix.resolve(dir, name);
      const parent = posix.dirname(path);
      mkdirs(t, parent);
      const removeOld = () => {
        try {
          const st = fs.lstat(path);
          if (st.type !== 'dir') fs.unlink(path);
        } catch {
          // Nothing there.
        }
      };
      try {
        if (type === '5') {
          try {
            fs.mkdir(path, mode & 0o7777 | 0o700);
          } catch (err) {
            if (!isFsError(err, 'EEXIST')) throw err;
          }
          await dataChunks();
          dirTimes.push([path, mtime]);
        } else if (type === '2') {
          removeOld();
          fs.symlink(link, path);
          await dataChunks();
          if (keepOwner) safe(() => fs.chown(path, uid, gid));
          continue;
        } else if (type === '1') {
          removeOld();
          fs.link(posix.resolve(dir, link.replace(/^\/+/, '')), path);
          await dataChunks();
          continue;
        } else if (type === '0' || type === '7') {
          // -k: the file is opened O_EXCL, and busybox's xopen3 dies on one
          // that is there.
          if (p.has('k') && safe(() => fs.lstat(path))) return t.die(`can't open '${name}': File exists`);
          removeOld();
          let fh: FileHandle;
          try {
            fh = fs.open(path, { write: true, create: true, truncate: true }, 0o600);
          } catch (err) {
            await dataChunks();
            throw err;
          }
          try {
            await dataChunks(async (c) => {
              try {
                fh.write(c);
              } catch (err) {
                if (!isFsError(err)) throw err;
                throw new TarError(`write error: ${err.message}`);
              }
            });
          } finally {
            fh.close();
          }
        } else {
          await t.error(`can't create node ${name}: Operation not permitted`);
          status = 1;
          await dataChunks();
          continue;
        }
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(type === '5' ? `can't make dir ${name}` : `can't create ${name}`, err);
        status = 1;
        continue;
      }
      if (keepOwner) safe(() => fs.chown(path, uid, gid));
      const perm = root && !p.has('\u00f2') ? mode & 0o7777 : mode & 0o777 & ~0o022;
      safe(() => fs.chmod(path, perm));
      if (!p.has('m') && type !== '5') safe(() => fs.utimes(path, mtime, mtime));
    }
    // The rest read through, so gunzip ends and says what it finds.
    if (gz) {
      while ((await input.read(BLOCK)) !== null);
      if (!(await gz.ok)) status = 1;
    }
  } finally {
    gz?.stream.close();
    close();
  }
  if (!p.has('m')) for (const [path, mtime] of dirTimes.reverse()) safe(() => fs.utimes(path, mtime, mtime));
  for (const w of wanted) {
    if (!found.has(w)) {
      await t.error(`${w}: not found in archive`);
      status = 1;
    }
  }
  return status;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function mkdirs(t: Tool, path: string): void {
  const fs = t.ctx.fs;
  if (safe(() => fs.stat(path))?.type === 'dir') return;
  mkdirs(t, posix.dirname(path));
  safe(() => fs.mkdir(path, 0o755));
}
