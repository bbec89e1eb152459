import { isFsError } from '../rootfs/types';
import { asStdout } from './common/stdout';
import { BufferedOut, MAX_SLURP, type Tool, applet, toBin } from './common/tool';
import { openInput } from './text';

// sort and uniq. sort holds its input in memory, up to MAX_SLURP bytes.

interface Key {
  // 1-based field and char of the start and end; 0: not given.
  f1: number;
  c1: number;
  f2: number;
  c2: number;
  flags: string;
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

function getKey(str: string, key: Key, flags: string, sep: string | undefined): string {
  if (key.f1 === 1 && !key.c1 && !key.f2 && !key.c2 && !/[bdfi]/.test(flags) && !flags.includes('B')) return str;
  const len = str.length;
  let start = 0;
  let end = 0;
  for (let j = 0; j < 2; j++) {
    const field = j === 0 ? key.f1 : key.f2;
    if (!field) end = len;
    else {
      let ch = '';
      end = 0;
      for (let i = 1; i < field + j; i++) {
        if (sep !== undefined) {
          while (end < len) {
            ch = str[end++];
            if (ch === sep) break;
          }
          if (end >= len && ch !== sep) ch = '';
        } else {
          while (isSpace(str[end])) end++;
          while (end < len && !isSpace(str[end])) end++;
        }
      }
      if (j && ch) end--;
    }
    if (!j) start = end;
  }
  if (flags.includes('b')) while (isSpace(str[start])) start++;
  if (flags.includes('B')) while (end > start && isSpace(str[end - 1])) end--;
  if (key.c2) end = Math.min(key.c2, len);
  if (key.c1) start = Math.min(start + key.c1 - 1, len);
  if (end < start) end = start;
  let s = str.slice(start, end);
  if (flags.includes('d')) s = s.replace(/[^ \t\n\v\f\r0-9A-Za-z]/g, '');
  if (flags.includes('i')) s = s.replace(/[^\x20-\x7e]/g, '');
  if (flags.includes('f')) s = s.toUpperCase();
  return s;
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

// strtod-like prefix for -n: blanks, sign, digits, one point.
function numPrefix(s: string): number {
  const m = /^[ \t]*(-?(\d+\.?\d*|\.\d+))/.exec(s);
  return m ? Number(m[1]) : 0;
}

function generalNum(s: string): number {
  const m = /^[ \t]*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf(inity)?|[+-]?nan)/i.exec(s);
  if (!m) return -Infinity;
  const v = Number(m[1].replace(/inf(inity)?/i, 'Infinity'));
  return Number.isNaN(v) ? -Infinity : v;
}

function humanNum(s: string): number {
  const m = /^[ \t]*(-?\d+\.?\d*)([KMGTPEZY]?)/i.exec(s);
  if (!m) return 0;
  const exp = ' KMGTPEZY'.indexOf(m[2].toUpperCase());
  return Number(m[1]) * Math.pow(1024, Math.max(0, exp));
}

function versionCmp(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    const d = /^\d/.test(x) && /^\d/.test(y) ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0;
    if (d) return d;
  }
  return pa.length - pb.length;
}

const byteCmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export const sort = applet(async (t) => {
  // xfunc_error_retval = 2 before the options: a bad one is 2 as well.
  t.usageStatus = 2;
  const p = t.parse({
    // -m (merge) is taken and ignored, as busybox's.
    short: 'nrugMcszbdfimVo:k:t:hT:S:',
  });
  const global = 'nrgMbdfiVh'
    .split('')
    .filter((f) => p.has(f))
    .join('');
  let sep: string | undefined;
  if (p.has('t')) {
    const v = toBin(p.value('t')!);
    if (v.length !== 1) return t.die('bad -t parameter');
    sep = v;
  }
  const keys: Key[] = [];
  for (const k of p.values('k')) {
    const m = /^(\d+)(?:\.(\d+))?([bdfgiMnrhVR]*)(?:,(\d+)(?:\.(\d+))?([bdfgiMnrhVR]*))?$/.exec(k);
    if (!m || m[1] === '0' || m[2] === '0') return t.die('bad field specification');
    let flags = (m[3] ?? '') + (m[6] ?? '').replace(/b/g, 'B');
    if (!flags) flags = global;
    keys.push({ f1: Number(m[1]), c1: Number(m[2] ?? 0), f2: Number(m[4] ?? 0), c2: Number(m[5] ?? 0), flags });
  }
  if (keys.length === 0) keys.push({ f1: 1, c1: 0, f2: 0, c2: 0, flags: global });
  const recSep = p.has('z') ? '\0' : '\n';

  const compareKey = (a: string, b: string, key: Key): number => {
    const fl = key.flags;
    const x = getKey(a, key, fl, sep);
    const y = getKey(b, key, fl, sep);
    let d: number;
    if (fl.includes('n')) d = numPrefix(x) - numPrefix(y);
    else if (fl.includes('g')) {
      const u = generalNum(x);
      const v = generalNum(y);
      d = u < v ? -1 : u > v ? 1 : 0;
    } else if (fl.includes('h')) d = humanNum(x) - humanNum(y);
    else if (fl.includes('M')) d = MONTHS.indexOf(x.trim().slice(0, 3).toUpperCase()) - MONTHS.indexOf(y.trim().slice(0, 3).toUpperCase());
    else if (fl.includes('V')) d = versionCmp(x, y);
    else d = byteCmp(x, y);
    d = Math.sign(d);
    return fl.includes('r') ? -d : d;
  };
  const compare = (a: string, b: string): number => {
    for (const k of keys) {
      const d = compareKey(a, b, k);
      if (d) return d;
    }
    if (p.has('u') || p.has('s')) return 0;
    const d = byteCmp(a, b);
    return global.includes('r') ? -d : d;
  };

  const files = p.operands.length ? p.operands : ['-'];
  const lines: string[] = [];
  let size = 0;
  for (const f of files) {
    const input = await openInput(t, f);
    if (!input) return 2;
    // xmalloc_fgetline: a read that fails ends the file, unsaid.
    input.asFgets();
    try {
      for (let l = await input.record(recSep); l !== null; l = await input.record(recSep)) {
        size += l.length + 1;
        if (size > MAX_SLURP) return t.die(`input over ${MAX_SLURP} bytes`, 2);
        lines.push(l);
      }
    } finally {
      input.close();
    }
  }
  if (p.has('c')) {
    for (let i = 1; i < lines.length; i++) {
      const d = compare(lines[i - 1], lines[i]);
      if (d > 0 || (p.has('u') && d === 0)) {
        // busybox's words, unprefixed: the line before the one out of order.
        await t.ctx.stderr.write(`Check line ${i}\n`);
        return 1;
      }
    }
    return 0;
  }
  // Array.prototype.sort is stable: ties keep their input order.
  lines.sort(compare);
  let outLines = lines;
  if (p.has('u')) outLines = lines.filter((l, i) => i === 0 || compare(lines[i - 1], l) !== 0);
  const write = async (emit: (s: string) => Promise<void>) => {
    let buf = '';
    for (const l of outLines) {
      buf += l + recSep;
      if (buf.length > 32768) {
        await emit(buf);
        buf = '';
        await t.yield();
      }
    }
    await emit(buf);
  };
  if (p.has('o')) {
    const name = p.value('o')!;
    let o;
    try {
      o = t.output(name, { create: true, truncate: true });
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't open '${name}': ${err.message}`, 2);
    }
    try {
      const out = asStdout(o.stream);
      await write((s) => out.write(Buffer.from(s, 'latin1')));
    } finally {
      o.close();
    }
    return 0;
  }
  await write((s) => t.out.bin(s));
  return 0;
});

export const uniq = applet(async (t) => {
  const p = t.parse({
    short: 'cduf:s:w:iz',
  });
  const num = async (k: string, dflt: number) => {
    const v = p.value(k);
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v)) return t.die(`invalid number '${v}'`);
    return Number(v);
  };
  const skipFields = await num('f', 0);
  const skipChars = await num('s', 0);
  const maxChars = await num('w', Infinity);
  if (p.operands.length > 2) return t.usage();
  const inName = p.operands[0] ?? '-';
  let input;
  try {
    input = t.input(inName);
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`can't open '${inName}': ${err.message}`);
  }
  input.asFgets();
  let emit = (s: string) => t.out.bin(s);
  let close = () => {};
  const outName = p.operands[1];
  if (outName !== undefined && outName !== '-') {
    try {
      const o = t.output(outName, { create: true, truncate: true });
      const out = asStdout(o.stream);
      emit = (s) => out.write(Buffer.from(s, 'latin1'));
      close = o.close;
    } catch (err) {
      if (!isFsError(err)) throw err;
      input.close();
      return t.die(`can't open '${outName}': ${err.message}`);
    }
  }
  const eol = p.has('z') ? '\0' : '\n';
  const keyOf = (l: string) => {
    let s = l;
    for (let i = 0; i < skipFields; i++) s = s.replace(/^[ \t\n\v\f\r]*[^ \t\n\v\f\r]*/, '');
    s = s.slice(skipChars);
    if (maxChars !== Infinity) s = s.slice(0, maxChars);
    return p.has('i') ? s.toLowerCase() : s;
  };
  try {
    let prev: string | null = null;
    let prevKey = '';
    let dups = 0;
    const flush = async () => {
      if (prev === null) return;
      const show = dups ? !p.has('u') : !p.has('d');
      if (show) await emit(`${p.has('c') ? String(dups + 1).padStart(7) + ' ' : ''}${prev}${eol}`);
    };
    for (let l = await input.record(eol); l !== null; l = await input.record(eol)) {
      const k = keyOf(l);
      if (prev !== null && k === prevKey) {
        dups++;
        continue;
      }
      await flush();
      prev = l;
      prevKey = k;
      dups = 0;
    }
    await flush();
  } finally {
    input.close();
    close();
  }
  // die_if_ferror(stdin, argv[0]): NULL without an operand, as glibc prints it.
  if (input.error) return t.die(`${p.operands[0] ?? '(null)'}: I/O error`);
  return 0;
});

// comm_main: two sorted files side by side, in three columns (only the
// first, only the second, both) that -1, -2 and -3 take away.
export const comm = applet(async (t) => {
  const p = t.parse({ short: '123' });
  if (p.operands.length !== 2) return t.usage();
  // xfopen_stdin: a file that cannot open ends the applet.
  const inputs = [];
  for (const name of p.operands) {
    const input = await openInput(t, name);
    if (!input) {
      for (const i of inputs) i.close();
      return 1;
    }
    inputs.push(input.asFgets());
  }
  const write = async (line: string, column: 0 | 1 | 2) => {
    if (p.has(String(column + 1))) return;
    const tabs = column === 0 ? '' : column === 1 ? (p.has('1') ? '' : '\t') : (p.has('1') ? '' : '\t') + (p.has('2') ? '' : '\t');
    await t.out.bin(`${tabs}${line}\n`);
  };
  try {
    const lines: (string | null)[] = [null, null];
    let order = 0;
    for (;;) {
      if (order <= 0) lines[0] = await inputs[0].line();
      if (order >= 0) lines[1] = await inputs[1].line();
      if (lines[0] === null || lines[1] === null) break;
      order = lines[0] < lines[1] ? -1 : lines[0] > lines[1] ? 1 : 0;
      if (order >= 0) await write(lines[1], order ? 1 : 2);
      else await write(lines[0], 0);
    }
    // One has ended: the other's rest, from the line not yet written.
    const rest = lines[0] === null ? 1 : 0;
    for (let l = lines[rest]; l !== null; l = await inputs[rest].line()) await write(l, rest);
  } finally {
    for (const i of inputs) i.close();
  }
  return 0;
});

const MAX_SHUF = 1 << 22;

// shuf_main: lines (of a file, -e's arguments or -i's numbers) in a random
// order, Fisher-Yates from the end for at most -n of them; -o's file is
// opened only then, so it may be the input.
export const shuf = applet(async (t) => {
  const p = t.parse({ short: 'ei:n:o:z' });
  if (p.has('e') && p.has('i')) return t.usage();
  let lines: string[] | undefined;
  let lo = 0n;
  let count: number;
  if (p.has('e')) {
    lines = p.operands.map(toBin);
    count = lines.length;
  } else if (p.has('i')) {
    if (p.operands.length) return t.usage();
    const range = p.value('i')!;
    const dash = range.indexOf('-');
    if (dash < 0) return t.die(`bad range '${range}'`);
    const [a, b] = [range.slice(0, dash), range.slice(dash + 1)];
    for (const n of [a, b]) if (!/^\d+$/.test(n) || BigInt(n) >= 2n ** 64n) return t.die(`invalid number '${n}'`);
    lo = BigInt(a);
    const span = BigInt(b) - lo;
    if (span < 0n || span >= 0xffffffffn) return t.die(`bad range '${range}'`);
    count = Number(span) + 1;
  } else {
    if (p.operands.length > 1) return t.usage();
    const input = await openInput(t, p.operands[0] ?? '-');
    if (!input) return 1;
    lines = [];
    try {
      input.asFgets();
      for (let l = await input.line(); l !== null; l = await input.line()) lines.push(l);
    } finally {
      input.close();
    }
    count = lines.length;
  }
  let outlines = count;
  if (p.has('n')) {
    const n = p.value('n')!;
    if (!/^\d+$/.test(n) || Number(n) > 0xffffffff) return t.die(`invalid number '${n}'`);
    outlines = Math.min(Number(n), count);
  }
  // The shuffle keeps only the places it swapped: -i may span 2^32 numbers
  // when -n takes a few. Printing millions of them is more than a container
  // here is given; busybox's array of them would not fit either.
  if (outlines > MAX_SHUF) return t.die('out of memory');
  const swapped = new Map<number, number>();
  const at = (i: number) => swapped.get(i) ?? i;
  for (let k = 0, n = count; k < outlines; k++) {
    const r = Math.floor(Math.random() * n);
    n--;
    const last = at(n);
    swapped.set(n, at(r));
    swapped.set(r, last);
    if ((k & 4095) === 4095) await t.yield();
  }
  let out = t.out;
  let close = () => {};
  if (p.has('o')) {
    try {
      const file = t.output(p.value('o')!, { create: true, truncate: true });
      out = new BufferedOut(asStdout(file.stream));
      close = file.close;
    } catch (err) {
      if (!isFsError(err)) throw err;
      return t.die(`can't open '${p.value('o')}': ${err.message}`);
    }
  }
  const eol = p.has('z') ? '\0' : '\n';
  try {
    for (let i = count - outlines; i < count; i++) await out.bin(lines ? lines[at(i)] + eol : `${lo + BigInt(at(i))}${eol}`);
    await out.flush();
  } finally {
    close();
  }
  return 0;
});
