import { chunkBuffer } from '../procs/streams';
import { isFsError } from '../rootfs/types';
import { NumberError, parseUnsigned } from './common/numbers';
import { RepeatedLines } from './common/repeats';
import { Input, type Tool, applet } from './common/tool';
import { Operands, eachStdioFile, openInput } from './text';

// base64, od and cmp: bytes shown another way.

export const base64 = applet(async (t) => {
  const p = t.parse({ short: 'dw:i' });
  if (p.operands.length > 1) return t.usage();
  const wrapStr = p.value('w') ?? '76';
  if (!/^\d+$/.test(wrapStr)) return t.die(`invalid number '${wrapStr}'`);
  const wrap = Number(wrapStr);
  const input = await openInput(t, p.operands[0] ?? '-');
  if (!input) return 1;
  // Decoding reads by stdio (a failed read is the end); encoding by read(2),
  // and dies of a failed one.
  input.asStdio();
  try {
    if (p.has('d')) return await readBase64(t, input);
    let col = 0;
    let pending: Buffer = Buffer.alloc(0);
    const emit = async (text: string) => {
      if (wrap === 0) return t.out.text(text);
      let out = '';
      for (let i = 0; i < text.length; ) {
        const n = Math.min(wrap - col, text.length - i);
        out += text.slice(i, i + n);
        i += n;
        col += n;
        if (col === wrap) {
          out += '\n';
          col = 0;
        }
      }
      return t.out.text(out);
    };
    for (let b = await input.bytes(); b !== null; b = await input.bytes()) {
      const all = Buffer.concat([pending, b]);
      const whole = all.length - (all.length % 3);
      await emit(all.subarray(0, whole).toString('base64'));
      pending = all.subarray(whole);
    }
    if (input.error) return t.die(`read error: ${input.error.message}`);
    await emit(pending.toString('base64'));
    if (wrap !== 0 && col !== 0) await t.out.text('\n');
    return 0;
  } finally {
    input.close();
  }
});

// busybox's read_base64: words of up to 80 characters (a space or control
// character ends one) decoded as they come, characters outside the
// alphabet skipped (-i or not), '=' ending the data where it pads a block.
// What is left undecoded at the end is "truncated input" (exit 1).
// uudecode's (BASE64_FLAG_UU_STOP) ends at a "====" word, and writes where
// it is told.
async function readBase64(t: Tool, input: { bytes(): Promise<Buffer | null> }, write: (b: Buffer) => Promise<void> = (b) => t.out.chunk(b), uuStop = false): Promise<number> {
  let chunk: Buffer | null = Buffer.alloc(0);
  let at = 0;
  const next = async (): Promise<number> => {
    while (chunk && at >= chunk.length) {
      chunk = await input.bytes();
      at = 0;
    }
    return chunk ? chunk[at++] : -1;
  };
  let word = '';
  for (;;) {
    let ended = false;
    while (word.length < 80) {
      const ch = await next();
      if (ch < 0) {
        if (word === '') return 0;
        ended = true;
        break;
      }
      if (ch <= 0x20) break;
      word += String.fromCharCode(ch);
    }
    if (uuStop && word === '====') return 0;
    const { out, rest } = decodeBase64(word);
    if (out.length > 0) await write(out);
    if (ended) return rest === '' ? 0 : t.die('truncated input');
    word = rest;
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// busybox's decode_base64: the whole blocks of `src`, and what follows
// them: the characters after a padded block, or those of a block cut short
// (counted back from the end, skipped ones and all).
function decodeBase64(src: string): { out: Buffer; rest: string } {
  const out: number[] = [];
  let ch = 0;
  let i = 0;
  let k = 0;
  while (k < src.length) {
    const c = src[k++];
    let v = B64.indexOf(c);
    if (c === '=' && (i === 3 || (i === 2 && src[k] === '='))) v = 0x1000000;
    else if (v < 0) continue;
    ch = ch * 64 + v;
    i = (i + 1) & 3;
    if (i === 0) {
      let n = 3;
      // Padding: one '=' leaves two bytes, "==" one.
      if (ch >= 0x1000000 * 64) n = 1;
      else if (ch >= 0x1000000) n = 2;
      out.push(Math.floor(ch / 65536) & 0xff, Math.floor(ch / 256) & 0xff, ch & 0xff);
      out.length -= 3 - n;
      if (n < 3) break;
      ch = 0;
    }
  }
  return { out: Buffer.from(out), rest: src.slice(k - i) };
}

interface OdFormat {
  kind: 'o' | 'x' | 'd' | 'u' | 'c' | 'a' | 'f';
  size: number;
}

const OD_NAMED = ['nul', 'soh', 'stx', 'etx', 'eot', 'enq', 'ack', 'bel', 'bs', 'ht', 'nl', 'vt', 'ff', 'cr', 'so', 'si', 'dle', 'dc1', 'dc2', 'dc3', 'dc4', 'nak', 'syn', 'etb', 'can', 'em', 'sub', 'esc', 'fs', 'gs', 'rs', 'us', 'sp'];

// Width of one field (without its leading space) per format.
function fieldWidth(f: OdFormat): number {
  if (f.kind === 'c' || f.kind === 'a') return 3;
  const max = 2n ** BigInt(f.size * 8) - 1n;
  if (f.kind === 'o') return max.toString(8).length;
  if (f.kind === 'x') return max.toString(16).length;
  if (f.kind === 'u') return max.toString(10).length;
  if (f.kind === 'd') return (max / 2n).toString(10).length + 1;
  return f.size === 4 ? 14 : 23;
}

function odField(f: OdFormat, b: Buffer, at: number): string {
  if (f.kind === 'c') {
    const c = b[at];
    const esc: Record<number, string> = { 0: '\\0', 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r' };
    if (esc[c]) return esc[c];
    if (c >= 32 && c < 127) return String.fromCharCode(c);
    return c.toString(8).padStart(3, '0');
  }
  if (f.kind === 'a') {
    const c = b[at] & 0x7f;
    if (c <= 32) return OD_NAMED[c];
    if (c === 127) return 'del';
    return String.fromCharCode(c);
  }
  if (f.kind === 'f') return f.size === 4 ? b.readFloatLE(at).toExponential(7) : b.readDoubleLE(at).toExponential(16);
  let v = 0n;
  for (let k = f.size - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[at + k] ?? 0);
  if (f.kind === 'd') v = BigInt.asIntN(f.size * 8, v);
  const base = f.kind === 'o' ? 8 : f.kind === 'x' ? 16 : 10;
  const s = v.toString(base);
  return f.kind === 'o' || f.kind === 'x' ? s.padStart(fieldWidth(f), '0') : s;
}

// od_bloaty takes the short formats in its own order, not the command
// line's: these, then the -t list, then -s.
const SHORT_FORMATS: [string, OdFormat['kind'], number][] = [
  ['a', 'a', 1],
  ['b', 'o', 1],
  ['c', 'c', 1],
  ['d', 'u', 2],
  ['D', 'u', 4],
  ['f', 'f', 4],
  ['hx', 'x', 2],
  ['HX', 'x', 4],
  ['i', 'd', 4],
  ['IlL', 'd', 8],
  ['oB', 'o', 2],
  ['O', 'o', 4],
];

export const od = applet(async (t) => {
  const p = t.parse({
    short: 'A:N:abcdDfhHiIj:lLoOBt:vxXsS:w::',
    long: { 'address-radix': 'A:', 'read-bytes': 'N:', 'skip-bytes': 'j:', format: 't:', 'output-duplicates': 'v', width: 'w::' },
  });
  const formats: OdFormat[] = [];
  const sizes: Record<string, number> = { C: 1, S: 2, I: 4, L: 8 };
  for (const [keys, kind, size] of SHORT_FORMATS) if ([...keys].some((k) => p.has(k))) formats.push({ kind, size });
  for (const spec0 of p.values('t')) {
    let spec = spec0;
    while (spec) {
      const m = /^([acdfoux])(\d+|[CSILFD])?/.exec(spec);
      if (!m) return t.die(`invalid type string '${spec0}'`);
      const kind = m[1] as OdFormat['kind'];
      let size = kind === 'a' || kind === 'c' ? 1 : kind === 'f' ? 8 : 4;
      if (m[2]) size = /^\d+$/.test(m[2]) ? Number(m[2]) : m[2] === 'F' ? 4 : m[2] === 'D' ? 8 : sizes[m[2]];
      if (![1, 2, 4, 8].includes(size)) return t.die(`invalid type string '${spec0}'`);
      formats.push({ kind, size });
      spec = spec.slice(m[0].length);
    }
  }
  if (p.has('s')) formats.push({ kind: 'd', size: 2 });
  if (formats.length === 0) formats.push({ kind: 'o', size: 2 });
  const radix = p.value('A') ?? 'o';
  if (!'doxn'.includes(radix) || radix.length !== 1) return t.die(`bad output address radix '${radix}' (must be [doxn])`);
  const num = (s: string | undefined, dflt: number) => {
    if (s === undefined) return dflt;
    const m = /^(0x[0-9a-f]+|0[0-7]*|\d+)([bkmKM]?)$/i.exec(s);
    if (!m) return NaN;
    const v = m[1].startsWith('0x') ? parseInt(m[1], 16) : m[1].length > 1 && m[1][0] === '0' ? parseInt(m[1], 8) : Number(m[1]);
    return v * ({ '': 1, b: 512, k: 1024, K: 1024, m: 1048576, M: 1048576 } as Record<string, number>)[m[2]];
  };
  const skip = num(p.value('j'), 0);
  const limit = num(p.value('N'), Infinity);
  const width = p.has('w') ? num(p.value('w') || '32', 32) : 16;
  if ([skip, limit, width].some((n) => Number.isNaN(n))) return t.die('invalid number');
  const addr = (n: number) => (radix === 'n' ? '' : radix === 'd' ? String(n).padStart(7, '0') : radix === 'x' ? n.toString(16).padStart(6, '0') : n.toString(8).padStart(7, '0'));
  const files = p.operands.length ? p.operands : ['-'];
  let offset = skip;
  const repeats = new RepeatedLines(t, width, p.has('v'));
  let buf: Buffer = Buffer.alloc(0);
  const line = async (b: Buffer) => {
    if (await repeats.fold(b)) {
      offset += b.length;
      return;
    }
    let out = '';
    formats.forEach((f, i) => {
      const w = fieldWidth(f);
      // Each format in its own field width, as od_bloaty's fmt_string has
      // it: lines of several formats are not aligned (GNU's od aligns them).
      let s = i === 0 ? addr(offset) : ' '.repeat(addr(0).length);
      for (let k = 0; k < b.length; k += f.size) s += ' ' + odField(f, b, k).padStart(w);
      out += s + '\n';
    });
    await t.out.text(out);
    offset += b.length;
  };
  // With no file opened at all, not even the end's offset (od_bloaty).
  // check_and_close: ferror() names the file, not why.
  const src = new Operands(t, files, skip, limit, async (name) => {
    await t.error(`${name === '-' ? 'standard input' : name}: read error`);
    return 1;
  });
  try {
    for (let b = await src.read(); b !== null; b = await src.read()) {
      buf = Buffer.concat([buf, b]);
      while (buf.length >= width) {
        await line(buf.subarray(0, width));
        buf = buf.subarray(width);
      }
    }
  } finally {
    src.close();
  }
  if (src.skipLeft > 0) return t.die("can't skip past end of combined input");
  if (buf.length) {
    const maxSize = Math.max(...formats.map((f) => f.size));
    const padded = Buffer.concat([buf, Buffer.alloc((maxSize - (buf.length % maxSize)) % maxSize)]);
    repeats.forget();
    const saved = offset;
    await line(padded);
    offset = saved + buf.length;
  }
  if (radix !== 'n' && src.opened) await t.out.text(addr(offset) + '\n');
  return src.status;
});

export const cmp = applet(async (t) => {
  const p = t.parse({ short: 'lsn:', long: { verbose: 'l', silent: 's', quiet: 's', bytes: 'n:' } });
  const ops = p.operands;
  if (ops.length < 1 || ops.length > 4) return t.usage();
  const names = [ops[0], ops[1] ?? '-'];
  const skips = [Number(ops[2] ?? 0), Number(ops[3] ?? 0)];
  const limit = p.has('n') ? Number(p.value('n')) : Infinity;
  if ([...skips, limit].some((n) => Number.isNaN(n))) return t.die('invalid number');
  const inputs: Input[] = [];
  for (const n of names) {
    try {
      inputs.push(t.input(n).asStdio());
    } catch (err) {
      if (!isFsError(err)) throw err;
      for (const i of inputs) i.close();
      if (!p.has('s')) await t.perror(n, err);
      return 2;
    }
  }
  const reader = (i: number) => {
    let buf: Buffer = Buffer.alloc(0);
    let eof = false;
    return async (): Promise<number | null> => {
      while (buf.length === 0 && !eof) {
        const b = await inputs[i].bytes();
        if (b === null) eof = true;
        else buf = b;
      }
      if (buf.length === 0) return null;
      const c = buf[0];
      buf = buf.subarray(1);
      return c;
    };
  };
  const r = [reader(0), reader(1)];
  // die_if_ferror, -s or not: a read that failed is status 2.
  const ioError = (k: number) => t.die(`${names[k]}: I/O error`, 2);
  try {
    for (let k = 0; k < 2; k++) for (let s = 0; s < skips[k]; s++) if ((await r[k]()) === null) break;
    let pos = 1;
    let line = 1;
    let differ = false;
    for (; pos <= limit; pos++) {
      const a = await r[0]();
      const b = await r[1]();
      if (a === null || b === null) {
        if (a === b) break;
        const k = a === null ? 0 : 1;
        if (inputs[k].error) return ioError(k);
        if (!p.has('s')) await t.error(`EOF on ${names[k]}`);
        return 1;
      }
      if (a !== b) {
        differ = true;
        if (p.has('s')) return 1;
        if (!p.has('l')) {
          await t.out.text(`${names[0]} ${names[1]} differ: char ${pos}, line ${line}\n`);
          return 1;
        }
        await t.out.text(`${String(pos).padStart(7)} ${a.toString(8).padStart(3)} ${b.toString(8).padStart(3)}\n`);
      }
      if (a === 10) line++;
      if (pos % 65536 === 0) await t.yield();
    }
    for (const k of [0, 1]) if (inputs[k].error) return ioError(k);
    return differ ? 1 : 0;
  } finally {
    for (const i of inputs) i.close();
  }
});

// strings_main: runs of at least -n printable ASCII bytes (or tabs), each
// on a line, with the file's name (-f) and the run's offset (-o, -t).
export const strings = applet(async (t) => {
  const p = t.parse({ short: 'afon:t:' });
  let min: number;
  try {
    min = parseUnsigned(p.value('n') ?? '4', {}, 1, 2 ** 31 - 1);
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
  const radix = p.value('t') ?? 'o';
  const base = radix === 'o' ? 8 : radix === 'd' ? 10 : radix === 'x' ? 16 : undefined;
  if (base === undefined) return t.usage();
  const withOffset = p.has('o') || p.has('t');
  // With no FILE, stdin is "{standard input}".
  const label = (name: string) => (p.operands.length ? `${name}: ` : '{standard input}: ');
  return eachStdioFile(t, p.operands, async (input, name) => {
    let offset = 0;
    let run: number[] = [];
    let out: number[] = [];
    for (let b = await input.bytes(); ; b = await input.bytes()) {
      // The end (fgetc's EOF) ends a run as a byte that is not printable.
      for (const c of b ?? [-1]) {
        if ((c >= 0x20 && c <= 0x7e) || c === 9) {
          if (run.length >= min) out.push(c);
          else {
            run.push(c);
            if (run.length === min) {
              let head = p.has('f') ? label(name) : '';
              if (withOffset) head += `${(offset - min + 1).toString(base).padStart(7)} `;
              out.push(...Buffer.from(head), ...run);
            }
          }
        } else {
          if (run.length >= min) out.push(10);
          run = [];
        }
        offset++;
      }
      if (out.length) await t.out.chunk(Buffer.from(out));
      out = [];
      if (b === null) break;
    }
  });
});

const UU_STD = '`!"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`';
const UU_BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';

// bb_uuencode: 3 bytes to 4 characters of the table, its 65th the padding.
function uuencodeBlock(src: Buffer, tbl: string): string {
  let out = '';
  for (let i = 0; i < src.length; i += 3) {
    const s0 = src[i];
    const s1 = src[i + 1] ?? 0;
    const s2 = src[i + 2] ?? 0;
    out += tbl[s0 >> 2] + tbl[((s0 & 3) << 4) + (s1 >> 4)] + tbl[((s1 & 0xf) << 2) + (s2 >> 6)] + tbl[s2 & 0x3f];
  }
  const pad = (3 - (src.length % 3)) % 3;
  return pad ? out.slice(0, -pad) + tbl[64].repeat(pad) : out;
}

// uuencode_main: "begin MODE NAME", lines of 45 bytes (each led by its
// length with the classic table), and the end; -m for base64.
export const uuencode = applet(async (t) => {
  const p = t.parse({ short: 'm' });
  if (p.operands.length < 1 || p.operands.length > 2) return t.usage();
  const tbl = p.has('m') ? UU_BASE64 : UU_STD;
  let mode = 0o666 & ~t.ctx.fs.umask;
  let input: Input;
  if (p.operands.length === 2) {
    try {
      input = t.input(p.operands[0]);
      mode = t.ctx.fs.stat(t.path(p.operands[0])).mode & 0o777;
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't open '${p.operands[0]}': ${err.message}`);
    }
  } else input = new Input(t, t.ctx.stdin);
  const name = p.operands[p.operands.length - 1];
  await t.out.text(`begin${p.has('m') ? '-base64' : ''} ${mode.toString(8)} ${name}`);
  try {
    let pending = Buffer.alloc(0);
    const line = async (chunk: Buffer) => t.out.bin(`\n${p.has('m') ? '' : tbl[chunk.length]}${uuencodeBlock(chunk, tbl)}`);
    for (;;) {
      let b: Buffer | null;
      try {
        b = await input.bytes();
      } catch (err) {
        if (!isFsError(err)) throw err;
        return t.die(`read error: ${err.message}`);
      }
      if (b === null) break;
      pending = Buffer.concat([pending, b]);
      let at = 0;
      for (; pending.length - at >= 45; at += 45) await line(pending.subarray(at, at + 45));
      pending = pending.subarray(at);
    }
    if (pending.length) await line(pending);
  } finally {
    input.close();
  }
  await t.out.text(p.has('m') ? '\n====\n' : '\n`\nend\n');
  return 0;
});

// uudecode_main: past the "begin MODE NAME" (or "begin-base64") line, the
// data into NAME (or -o's file, or stdout for - and /dev/stdout) with MODE.
export const uudecode = applet(async (t) => {
  const p = t.parse({ short: 'o:' });
  if (p.operands.length > 1) return t.usage();
  const name = p.operands[0] ?? '-';
  const input = await openInput(t, name);
  if (!input) return 1;
  try {
    for (let line = await input.line(); line !== null; line = await input.line()) {
      const base64 = line.startsWith('begin-base64 ');
      if (!base64 && !line.startsWith('begin ')) continue;
      const rest = line.slice(base64 ? 13 : 6);
      const mode = parseInt(/^[0-7]*/.exec(rest)![0] || '0', 8);
      let outname = p.value('o');
      if (outname === undefined) {
        const sp = rest.indexOf(' ');
        if (sp < 0) break;
        outname = rest.slice(sp + 1).trim();
        if (!outname) break;
        outname = Buffer.from(outname, 'latin1').toString();
      }
      let write = (b: Buffer) => t.out.chunk(b);
      let close = () => {};
      if (outname !== '-' && outname !== '/dev/stdout') {
        try {
          const f = t.output(outname, { create: true, truncate: true });
          if (f.handle) t.ctx.fs.chmod(f.handle.path, mode & 0o777);
          write = (b) => f.stream.write(b);
          close = f.close;
        } catch (err) {
          if (!isFsError(err)) throw err;
          return t.die(`can't open '${outname}': ${err.message}`);
        }
      }
      try {
        // The lines read so far are the Input's: go on by lines.
        const byLines = { bytes: async () => {
          const l = await input.line();
          return l === null ? null : Buffer.from(input.newline ? `${l}\n` : l, 'latin1');
        } };
        if (base64) return await readBase64(t, byLines, write, true);
        return await readUu(t, input, write);
      } finally {
        close();
      }
    }
  } finally {
    input.close();
  }
  return t.die("no 'begin' line");
});

// read_stduu: each line's first character says how many bytes its
// characters make; "end" ends it, anything short is "short file".
async function readUu(t: Tool, input: Input, write: (b: Buffer) => Promise<void>): Promise<number> {
  for (let line = await input.line(); line !== null; line = await input.line()) {
    const text = line.replace(/[\r\n]+$/, '');
    if (text === 'end') return 0;
    const v = Buffer.from(text, 'latin1').map((c) => (c - 0x20) & 0x3f);
    let len = Math.floor((v[0] ?? 0) * 4 / 3);
    if (v.length <= len) break;
    if (len <= 0) continue;
    if (len > 60) return t.die('line too long');
    const out: number[] = [];
    for (let at = 1; ; at += 4) {
      out.push(((v[at] << 2) | (v[at + 1] >> 4)) & 0xff);
      if (--len === 0) break;
      out.push(((v[at + 1] << 4) | (v[at + 2] >> 2)) & 0xff);
      if (--len === 0) break;
      out.push(((v[at + 2] << 6) | v[at + 3]) & 0xff);
      len -= 2;
      if (len <= 0) break;
    }
    await write(Buffer.from(out));
  }
  return t.die('short file');
}
