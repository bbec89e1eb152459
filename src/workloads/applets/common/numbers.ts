// Numbers on the command line and in output, as libbb reads and prints them.

export type Suffixes = Readonly<Record<string, number>>;

// dd's: c w b kB k KB K MB M GB G (and the D forms).
export const CWBKMG: Suffixes = {
  c: 1,
  w: 2,
  b: 512,
  kB: 1000,
  kD: 1000,
  k: 1024,
  KB: 1000,
  KD: 1000,
  K: 1024,
  MB: 1000000,
  MD: 1000000,
  M: 1024 * 1024,
  GB: 1000000000,
  GD: 1000000000,
  G: 1024 * 1024 * 1024,
};

// head, tail: b k m.
export const BKM: Suffixes = { b: 512, k: 1024, m: 1024 * 1024 };

// truncate, fallocate: K M G and the iB forms.
export const KMG_I: Suffixes = {
  KiB: 1024,
  kiB: 1024,
  K: 1024,
  k: 1024,
  MiB: 1048576,
  miB: 1048576,
  M: 1048576,
  m: 1048576,
  GiB: 1073741824,
  giB: 1073741824,
  G: 1073741824,
  g: 1073741824,
  KB: 1000,
  MB: 1000000,
  GB: 1000000000,
};

export class NumberError extends Error {}

// xatoull_range_sfx: digits (no sign, no space), an optional suffix from the
// table, within [lower, upper]. Throws NumberError with busybox's words.
// Base 0 is strtoull's: 0x hex, a leading 0 octal, else decimal.
export function parseUnsigned(s: string, suffixes: Suffixes = {}, lower = 0, upper = Number.MAX_SAFE_INTEGER, base = 10): number {
  if (base === 0) base = /^0[xX]/.test(s) ? 16 : s.startsWith('0') ? 8 : 10;
  const m = base === 10 ? /^(\d+)(.*)$/.exec(s) : base === 8 ? /^([0-7]+)(.*)$/.exec(s) : /^(?:0[xX])?([0-9a-fA-F]+)(.*)$/.exec(s);
  if (!m) throw new NumberError(`invalid number '${s}'`);
  let n = base === 10 ? Number(m[1]) : parseInt(m[1], base);
  const rest = m[2];
  if (rest !== '') {
    const mult = Object.hasOwn(suffixes, rest) ? suffixes[rest] : undefined;
    if (mult === undefined) throw new NumberError(`invalid number '${s}'`);
    n *= mult;
  }
  if (!Number.isSafeInteger(n) || n < lower || n > upper) throw new NumberError(`number ${s} is not in ${lower}..${upper} range`);
  return n;
}

// xatoi / xatol: an optional sign, digits, nothing else.
export function parseSigned(s: string, lower = Number.MIN_SAFE_INTEGER, upper = Number.MAX_SAFE_INTEGER, suffixes: Suffixes = {}): number {
  const m = /^([+-]?)(\d+)(.*)$/.exec(s);
  if (!m) throw new NumberError(`invalid number '${s}'`);
  let n = Number(m[2]);
  if (m[3] !== '') {
    const mult = Object.hasOwn(suffixes, m[3]) ? suffixes[m[3]] : undefined;
    if (mult === undefined) throw new NumberError(`invalid number '${s}'`);
    n *= mult;
  }
  if (m[1] === '-') n = -n;
  if (!Number.isSafeInteger(n) || n < lower || n > upper) throw new NumberError(`number ${s} is not in ${lower}..${upper} range`);
  return n;
}

// make_human_readable_str(val, block_size, display_unit): "1.0M", "512",
// "0"; with display_unit, the value in that unit, rounded.
export function humanReadable(val: number, blockSize: number, displayUnit: number): string {
  if (val === 0) return '0';
  if (blockSize > 1) val *= blockSize;
  if (displayUnit) return String(Math.floor((val + Math.floor(displayUnit / 2)) / displayUnit));
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
  let u = 0;
  let frac = 0;
  let scaled = false;
  val = Math.floor(val);
  while (val >= 1024) {
    scaled = true;
    u++;
    frac = Math.floor(((val % 1024) * 10 + 512) / 1024);
    val = Math.floor(val / 1024);
  }
  if (frac >= 10) {
    val++;
    frac = 0;
  }
  if (blockSize === 0) {
    if (frac >= 5) val++;
    return `${val}${units[u]}`;
  }
  return scaled ? `${val}.${frac}${units[u]}` : `${val}`;
}

// strtod as printf/seq/sleep read numbers: decimal, hex, inf, nan.
export function parseFloatStrict(s: string): number | undefined {
  const t = s.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(t)) return (t.startsWith('-') ? -1 : 1) * parseInt(t.replace(/^[+-]/, ''), 16);
  if (/^[+-]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return undefined;
}
