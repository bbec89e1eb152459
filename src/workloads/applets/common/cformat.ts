// C printf conversions (%d %u %o %x %X %f %e %g %c %s) with flags, width and
// precision, as glibc formats them: printf, seq, stat -c, find -printf, awk.

export interface ConvSpec {
  flags: string; // any of "-+ #0"
  width?: number; // negative means '-'
  precision?: number; // negative means none
  conv: string;
}

function pad(s: string, spec: ConvSpec, zeroOk: boolean, signLen = 0): string {
  let width = spec.width ?? 0;
  let left = spec.flags.includes('-');
  if (width < 0) {
    left = true;
    width = -width;
  }
  if (s.length >= width) return s;
  if (left) return s + ' '.repeat(width - s.length);
  if (zeroOk && spec.flags.includes('0')) {
    return s.slice(0, signLen) + '0'.repeat(width - s.length) + s.slice(signLen);
  }
  return ' '.repeat(width - s.length) + s;
}

const hasPrecision = (spec: ConvSpec): spec is ConvSpec & { precision: number } =>
  spec.precision !== undefined && spec.precision >= 0;

export function formatInt(spec: ConvSpec, value: bigint): string {
  const conv = spec.conv;
  let v = value;
  let sign = '';
  let digits: string;
  if (conv === 'd' || conv === 'i') {
    v = BigInt.asIntN(64, v);
    if (v < 0n) {
      sign = '-';
      v = -v;
    } else if (spec.flags.includes('+')) sign = '+';
    else if (spec.flags.includes(' ')) sign = ' ';
    digits = v.toString(10);
  } else {
    v = BigInt.asUintN(64, v);
    const base = conv === 'o' ? 8 : conv === 'u' ? 10 : 16;
    digits = v.toString(base);
    if (conv === 'X') digits = digits.toUpperCase();
  }
  if (hasPrecision(spec)) {
    if (spec.precision === 0 && v === 0n) digits = '';
    else if (digits.length < spec.precision) digits = '0'.repeat(spec.precision - digits.length) + digits;
  }
  if (spec.flags.includes('#')) {
    if (conv === 'o' && !digits.startsWith('0')) digits = '0' + digits;
    if ((conv === 'x' || conv === 'X') && v !== 0n) sign = conv === 'x' ? '0x' : '0X';
  }
  return pad(sign + digits, spec, !hasPrecision(spec), sign.length);
}

// An exponent as C prints it: sign and at least two digits.
function cExp(s: string): string {
  const m = /^(.*)e([+-])(\d+)$/.exec(s)!;
  return `${m[1]}e${m[2]}${m[3].padStart(2, '0')}`;
}

// A value exactly half-way between two results (2.5 to no decimals, 12345
// to four digits) is rounded to even by C's printf and up by JavaScript's
// toFixed and toExponential. The digits of v's exact value, where it has
// at most 100 after the point (every double from 2^-47 up; smaller ones
// have no such tie this side of 99 digits), and where the point is.
function exactDigits(v: number): { digits: string; point: number } | undefined {
  if (!(v > 0 && v < 1e21)) return undefined;
  const s = v.toFixed(100);
  const point = s.indexOf('.');
  return { digits: s.slice(0, point) + s.slice(point + 1), point };
}

// Whether cutting the exact digits at `keep` is a tie C rounds down: the
// rest is 5 then zeros, and the last digit kept is even.
function tieDown(digits: string, keep: number): boolean {
  return keep > 0 && keep < digits.length && /^50*$/.test(digits.slice(keep)) && Number(digits[keep - 1]) % 2 === 0;
}

function fixed(v: number, p: number): string {
  if (Math.abs(v) < 1e21) {
    const x = p < 100 ? exactDigits(v) : undefined;
    if (x && tieDown(x.digits, x.point + p)) {
      const int = x.digits.slice(0, x.point);
      return p > 0 ? `${int}.${x.digits.slice(x.point, x.point + p)}` : int;
    }
    return v.toFixed(Math.min(p, 100)) + (p > 100 ? '0'.repeat(p - 100) : '');
  }
  const int = BigInt(v).toString();
  return p > 0 ? `${int}.${'0'.repeat(p)}` : int;
}

function exponential(v: number, p: number): string {
  const x = p < 100 ? exactDigits(v) : undefined;
  if (x) {
    const first = x.digits.search(/[1-9]/);
    if (tieDown(x.digits, first + p + 1)) {
      const d = x.digits.slice(first, first + p + 1);
      const exp = x.point - first - 1;
      return cExp(`${d[0]}${p > 0 ? `.${d.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${Math.abs(exp)}`);
    }
  }
  return cExp(v.toExponential(Math.min(p, 100))).replace('e', p > 100 ? '0'.repeat(p - 100) + 'e' : 'e');
}

export function formatFloat(spec: ConvSpec, value: number): string {
  const conv = spec.conv;
  const upper = conv === 'E' || conv === 'G' || conv === 'F';
  let sign = '';
  if (value < 0 || Object.is(value, -0)) sign = '-';
  else if (spec.flags.includes('+')) sign = '+';
  else if (spec.flags.includes(' ')) sign = ' ';
  const v = Math.abs(value);
  if (!Number.isFinite(v)) {
    const s = Number.isNaN(v) ? 'nan' : 'inf';
    return pad(sign + (upper ? s.toUpperCase() : s), spec, false);
  }
  const p = hasPrecision(spec) ? spec.precision : 6;
  const alt = spec.flags.includes('#');
  let body: string;
  if (conv === 'f' || conv === 'F') {
    body = fixed(v, p);
    if (alt && p === 0) body += '.';
  } else if (conv === 'e' || conv === 'E') {
    body = exponential(v, p);
    if (alt && p === 0) body = body.replace('e', '.e');
  } else {
    // %g: %e or %f by the exponent, trailing zeros dropped unless '#'.
    const P = p === 0 ? 1 : p;
    const exp = v === 0 ? 0 : Number(v.toExponential(P - 1).split('e')[1]);
    if (P > exp && exp >= -4) {
      body = fixed(v, P - 1 - exp);
      if (!alt && body.includes('.')) body = body.replace(/\.?0+$/, '');
    } else {
      body = exponential(v, P - 1);
      if (!alt) body = body.replace(/\.?0+e/, 'e');
    }
  }
  if (upper) body = body.toUpperCase();
  return pad(sign + body, spec, true, sign.length);
}

export function formatString(spec: ConvSpec, s: string): string {
  const t = hasPrecision(spec) ? s.slice(0, spec.precision) : s;
  return pad(t, spec, false);
}
