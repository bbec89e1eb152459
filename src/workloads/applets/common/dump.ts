import { type ConvSpec, formatFloat, formatInt, formatString } from './cformat';
import { unescapeAll } from './escape';

// busybox's libbb/dump.c, hexdump's engine: format strings ("-e") made of
// units `[reps/bytes] "text with %conversions"`, applied to each block of
// input. Strings here are byte strings (one char per byte, latin1).

const F_ADDRESS = 0x1;
const F_BPAD = 0x2;
const F_C = 0x4;
const F_CHAR = 0x8;
const F_DBL = 0x10;
const F_INT = 0x20;
const F_P = 0x40;
const F_STR = 0x80;
const F_U = 0x100;
const F_UINT = 0x200;
const F_TEXT = 0x400;

// A print unit: text, at most one conversion, text.
interface Pr {
  flags: number;
  bcnt: number;
  head: string;
  spec: ConvSpec;
  tail: string;
  // The last unit of a repeated one drops its final blank on the last
  // repetition ("2/1 "%02x "" prints "XX XX").
  nospace: boolean;
}

interface Fu {
  reps: number;
  bcnt: number;
  setRep: boolean;
  ignore: boolean; // %_A: printed once, at the end
  fmt: string;
  prs: Pr[];
}

interface Fs {
  fus: Fu[];
  bcnt: number;
}

export class DumpError extends Error {}

const FLAG_CHARS = '#-+ 0123456789';
// Bytes a conversion takes by default: c, then d i o u x X, then floats.
const SIZE: Record<string, number> = { c: 1, d: 4, i: 4, o: 4, u: 4, x: 4, X: 4, e: 8, E: 8, f: 8, g: 8, G: 8 };

// bb_dump_add: one format string.
export function parseFormat(fmt: string): Fs {
  const fus: Fu[] = [];
  let i = 0;
  const bad = () => new DumpError(`bad format {${fmt}}`);
  const blank = (c: string | undefined) => c !== undefined && /\s/.test(c);
  const skipBlanks = () => {
    while (blank(fmt[i])) i++;
  };
  for (;;) {
    skipBlanks();
    if (i >= fmt.length) break;
    const fu: Fu = { reps: 1, bcnt: 0, setRep: false, ignore: false, fmt: '', prs: [] };
    if (/\d/.test(fmt[i])) {
      const start = i;
      while (/\d/.test(fmt[i] ?? '')) i++;
      if (!blank(fmt[i]) && fmt[i] !== '/') throw bad();
      fu.reps = Number(fmt.slice(start, i));
      fu.setRep = true;
      i++;
      skipBlanks();
    }
    if (fmt[i] === '/') {
      i++;
      skipBlanks();
    }
    if (/\d/.test(fmt[i] ?? '')) {
      const start = i;
      while (/\d/.test(fmt[i] ?? '')) i++;
      if (!blank(fmt[i])) throw bad();
      fu.bcnt = Number(fmt.slice(start, i));
      i++;
      skipBlanks();
    }
    if (fmt[i] !== '"') throw bad();
    const end = fmt.indexOf('"', i + 1);
    if (end < 0) throw bad();
    fu.fmt = unescapeAll(fmt.slice(i + 1, end));
    i = end + 1;
    fus.push(fu);
  }
  return { fus, bcnt: 0 };
}

// A conversion's flags and width from `at`, then a precision if digits
// follow its '.': where the conversion character is, and the precision.
function flagsAndPrecision(f: string, at: number): { end: number; precision?: number } {
  let k = at;
  while (FLAG_CHARS.includes(f[k] ?? '\0')) k++;
  if (f[k] !== '.' || !/\d/.test(f[k + 1] ?? '')) return { end: k };
  const digits = /^\d+/.exec(f.slice(k + 1))![0];
  return { end: k + 1 + digits.length, precision: Number(digits) };
}

// bb_dump_size: the bytes one pass of a format string takes.
function size(fs: Fs): number {
  let total = 0;
  for (const fu of fs.fus) {
    if (fu.bcnt) {
      total += fu.bcnt * fu.reps;
      continue;
    }
    let bcnt = 0;
    const f = fu.fmt;
    for (let k = 0; k < f.length; k++) {
      if (f[k] !== '%') continue;
      const { end, precision = 0 } = flagsAndPrecision(f, k + 1);
      k = end;
      if (f[k] in SIZE) bcnt += SIZE[f[k]];
      else if (f[k] === 's') bcnt += precision;
      else if (f[k] === '_' && 'cpu'.includes(f[k + 1] ?? '\0')) bcnt += 1;
    }
    total += bcnt * fu.reps;
  }
  return total;
}

// rewrite: each unit split into print units, their byte counts checked.
// Answers the unit whose %_A is printed at the end, if any.
function rewrite(fs: Fs, blocksize: number): Fu | undefined {
  let endFu: Fu | undefined;
  for (const fu of fs.fus) {
    const f = fu.fmt;
    let at = 0;
    let nconv = 0;
    while (at < f.length) {
      const pct = f.indexOf('%', at);
      if (pct < 0) {
        fu.prs.push({ flags: F_TEXT, bcnt: 0, head: f.slice(at), spec: { flags: '', conv: '' }, tail: '', nospace: false });
        break;
      }
      let p = pct + 1;
      let precision: number | undefined;
      if (fu.bcnt) while ('.'.concat(FLAG_CHARS).includes(f[p] ?? '\0')) p++;
      else ({ end: p, precision } = flagsAndPrecision(f, p));
      const spec = parseSpec(f.slice(pct + 1, p));
      const pr: Pr = { flags: 0, bcnt: 0, head: f.slice(at, pct), spec, tail: '', nospace: false };
      const byteCount = (allowed: number[]) => {
        if (fu.bcnt && !allowed.includes(fu.bcnt)) throw new DumpError(`bad byte count for conversion character ${f.slice(p)}`);
        pr.bcnt = fu.bcnt || allowed[0];
      };
      let c = f[p];
      if (c === 'l') {
        c = f[++p];
        if (c === 'l') c = f[++p];
      }
      if (c === 'c') {
        pr.flags = F_CHAR;
        byteCount([1]);
      } else if (c !== undefined && 'diouxX'.includes(c)) {
        pr.flags = c === 'd' || c === 'i' ? F_INT : F_UINT;
        // 1.36's counts: 1.37's put 8 first, which its display cannot print.
        byteCount([4, 2, 1, 8]);
      } else if (c !== undefined && 'eEfgG'.includes(c)) {
        pr.flags = F_DBL;
        byteCount([8, 4]);
      } else if (c === 's') {
        pr.flags = F_STR;
        pr.bcnt = fu.bcnt;
        if (!fu.bcnt) {
          if (precision === undefined) throw new DumpError('%s needs precision or byte count');
          pr.bcnt = precision;
        }
      } else if (c === '_') {
        const k = f[++p];
        if (k === 'A' || k === 'a') {
          if (k === 'A') {
            endFu = fu;
            fu.ignore = true;
          }
          pr.flags = F_ADDRESS;
          c = f[++p];
          if (c !== 'd' && c !== 'o' && c !== 'x') throw new DumpError(`bad conversion character %${f.slice(pct + 1)}`);
        } else if (k === 'c' || k === 'p' || k === 'u') {
          pr.flags = k === 'c' ? F_C : k === 'p' ? F_P : F_U;
          c = 'c';
          byteCount([1]);
        } else throw new DumpError(`bad conversion character %${f.slice(pct + 1)}`);
      } else throw new DumpError(`bad conversion character %${f.slice(pct + 1)}`);
      pr.spec.conv = c!;
      if (pr.flags === F_STR && precision !== undefined) pr.spec.precision = precision;
      // The text after the conversion, up to the next %, goes with it.
      const next = f.indexOf('%', p + 1);
      pr.tail = f.slice(p + 1, next < 0 ? f.length : next);
      at = next < 0 ? f.length : next;
      fu.prs.push(pr);
      if (pr.flags !== F_ADDRESS && fu.bcnt && nconv++) throw new DumpError('byte count with multiple conversion characters');
    }
    if (fu.bcnt === 0) for (const pr of fu.prs) fu.bcnt += pr.bcnt;
  }
  const last = fs.fus[fs.fus.length - 1];
  for (const fu of fs.fus) {
    if (fu === last && fs.bcnt < blocksize && !fu.setRep && fu.bcnt) fu.reps += Math.floor((blocksize - fs.bcnt) / fu.bcnt);
    if (fu.reps > 1 && fu.prs.length > 0) {
      const pr = fu.prs[fu.prs.length - 1];
      const text = pr.flags === F_TEXT ? pr.head : pr.tail;
      pr.nospace = /\s$/.test(text);
    }
  }
  return endFu;
}

// The flags, width and precision of a conversion as written.
function parseSpec(s: string): ConvSpec {
  const m = /^([-+ #0]*)(\d*)(?:\.(\d*))?/.exec(s)!;
  return { flags: m[1], width: m[2] ? Number(m[2]) : undefined, precision: m[3] !== undefined ? Number(m[3] || 0) : undefined, conv: '' };
}

const CONV_C: Record<number, string> = { 0: '\\0', 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };
const CONV_U = 'nul soh stx etx eot enq ack bel bs ht lf vt ff cr so si dle dc1 dc2 dc3 dc4 nak syn etb can em sub esc fs gs rs us'.split(' ');
const printable = (b: number) => b >= 0x20 && b < 0x7f;

// One print unit over the bytes at `at` (beyond the data: blank, as bpad).
function render(pr: Pr, data: Buffer, at: number, address: number, blank: boolean, last: boolean): string {
  let body: string;
  const spec = pr.spec;
  // A count past the block (a format wider than the data): blank.
  if (!blank && at + pr.bcnt > data.length) blank = true;
  // A char or a name printed as %s with the conversion's width (conv_c).
  const str = (s: string) => formatString({ ...spec, flags: spec.flags.replace(/[^-]/g, ''), conv: 's' }, s);
  if (pr.flags === F_TEXT) body = '';
  else if (blank) body = formatString({ flags: '', width: spec.width, precision: pr.flags === F_STR ? spec.precision : undefined, conv: 's' }, '');
  else
    switch (pr.flags) {
      case F_ADDRESS:
        // An unsigned long long: xxd -o may take it below 0.
        body = formatInt(spec, BigInt.asUintN(64, BigInt(address)));
        break;
      case F_C: {
        const b = data[at];
        body = b in CONV_C ? str(CONV_C[b]) : printable(b) ? str(String.fromCharCode(b)) : str(b.toString(8).padStart(3, '0'));
        break;
      }
      case F_U: {
        const b = data[at];
        body = b <= 0x1f ? str(CONV_U[b]) : b === 0x7f ? str('del') : b < 0x7f ? str(String.fromCharCode(b)) : formatInt({ ...spec, conv: 'x' }, BigInt(b));
        break;
      }
      case F_CHAR:
        body = str(String.fromCharCode(data[at]));
        break;
      case F_P:
        body = str(printable(data[at]) ? String.fromCharCode(data[at]) : '.');
        break;
      case F_STR: {
        const bytes = data.subarray(at, at + pr.bcnt);
        const nul = bytes.indexOf(0);
        body = formatString(spec, (nul < 0 ? bytes : bytes.subarray(0, nul)).toString('latin1'));
        break;
      }
      case F_DBL:
        body = formatFloat(spec, pr.bcnt === 4 ? data.readFloatLE(at) : data.readDoubleLE(at));
        break;
      default: {
        const n = pr.bcnt;
        const signed = pr.flags === F_INT;
        const v =
          n === 1 ? (signed ? data.readInt8(at) : data[at])
          : n === 2 ? (signed ? data.readInt16LE(at) : data.readUInt16LE(at))
          : n === 4 ? (signed ? data.readInt32LE(at) : data.readUInt32LE(at))
          : signed ? data.readBigInt64LE(at) : data.readBigUInt64LE(at);
        body = formatInt(spec, BigInt(v));
      }
    }
  let out = pr.head + body + pr.tail;
  if (last && pr.nospace) out = out.slice(0, -1);
  return out;
}

export interface DumpOptions {
  formats: string[];
  // -v: no '*' for repeated blocks.
  all: boolean;
  // The address of the first byte (-s).
  start: number;
  // xxd's: added to each address printed (-o), and what a unit past the
  // end prints instead of padding, ending the dump there.
  displayOffset?: number;
  eofString?: string;
  write(s: string): Promise<void>;
  // The next bytes of the input (its files one after another), null at the end.
  read(): Promise<Buffer | null>;
}

// bb_dump_dump: the input in blocks, each through every format string;
// repeated blocks as one '*'; the %_A units once, at the end. Answers the
// address it ended at (xxd -i's length).
export async function dump(o: DumpOptions): Promise<number> {
  const fss = o.formats.map(parseFormat);
  let blocksize = 0;
  for (const fs of fss) blocksize = Math.max(blocksize, (fs.bcnt = size(fs)));
  let endFu: Fu | undefined;
  for (const fs of fss) endFu = rewrite(fs, blocksize) ?? endFu;

  let pending: Buffer = Buffer.alloc(0);
  let ended = false;
  const take = async (n: number): Promise<Buffer> => {
    while (pending.length < n && !ended) {
      const b = await o.read();
      if (b === null) ended = true;
      else pending = pending.length ? Buffer.concat([pending, b]) : b;
    }
    const out = pending.subarray(0, n);
    pending = pending.subarray(out.length);
    return out;
  };

  let address = o.start;
  const shown = o.displayOffset ?? 0;
  let eaddress = 0;
  let prev: Buffer | undefined;
  let vflag: 'first' | 'wait' | 'dup' = 'first';
  let out = '';
  const flush = async () => {
    if (out) await o.write(out);
    out = '';
  };
  // Formats that take no bytes read none (busybox's get() returns at once).
  while (blocksize > 0) {
    const got = await take(blocksize);
    if (got.length === 0) break;
    const block = Buffer.alloc(blocksize + 8);
    got.copy(block);
    const same = prev !== undefined && prev.subarray(0, got.length).equals(got);
    if (got.length === blocksize) {
      if (!o.all && vflag !== 'first' && same) {
        if (vflag === 'wait') out += '*\n';
        vflag = 'dup';
        address += blocksize;
        continue;
      }
      vflag = 'wait';
    } else {
      if (!o.all && vflag !== 'first' && same && vflag !== 'dup') out += '*\n';
      eaddress = address + got.length;
    }
    prev = Buffer.from(got);
    for (const fs of fss) {
      let a = address;
      let at = 0;
      for (const fu of fs.fus) {
        if (fu.ignore) break;
        for (let cnt = fu.reps; cnt > 0; cnt--) {
          for (const pr of fu.prs) {
            if (eaddress !== 0 && a >= eaddress && o.eofString !== undefined) {
              await o.write(out + o.eofString);
              return a;
            }
            const blank = eaddress !== 0 && a >= eaddress && pr.flags !== F_TEXT;
            out += render(pr, block, at, a + shown, blank, cnt === 1);
            a += pr.bcnt;
            at += pr.bcnt;
          }
        }
      }
    }
    address += blocksize;
    if (out.length > 65536) await flush();
    if (got.length < blocksize) break;
  }
  if (endFu) {
    if (!eaddress) eaddress = address;
    if (eaddress) for (const pr of endFu.prs) out += pr.flags === F_ADDRESS ? render(pr, Buffer.alloc(0), 0, eaddress + shown, false, false) : pr.flags === F_TEXT ? pr.head : '';
  }
  await flush();
  return address;
}
