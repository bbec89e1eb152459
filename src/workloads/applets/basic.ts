import { posix } from 'node:path';
import { formatFloat } from './common/cformat';
import { escapeAtEcho } from './common/escape';
import { NumberError, parseUnsigned } from './common/numbers';
import { type Tool, applet, toBin } from './common/tool';
import type { Applet } from './types';

// The small ones: true false echo yes seq sleep usleep basename dirname pwd.

export const trueApplet = applet(async () => 0);
export const falseApplet = applet(async () => 1);

export const echo = applet(async (t) => {
  const args = t.args.map(toBin);
  let newline = true;
  let escapes = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a[0] !== '-' || a.length < 2 || !/^-[neE]+$/.test(a)) break;
    for (const c of a.slice(1)) {
      if (c === 'n') newline = false;
      else if (c === 'e') escapes = true;
      else escapes = false;
    }
  }
  let out = '';
  for (let k = i; k < args.length; k++) {
    const a = args[k];
    if (!escapes) out += a;
    else {
      for (let j = 0; j < a.length; j++) {
        if (a[j] !== '\\') {
          out += a[j];
          continue;
        }
        const e = escapeAtEcho(a, j + 1);
        if (e === null) {
          await t.out.bin(out);
          return 0;
        }
        out += e[0];
        j = e[1] - 1;
      }
    }
    if (k + 1 < args.length) out += ' ';
  }
  if (newline) out += '\n';
  await t.out.bin(out);
  return 0;
});

export const yes = applet(async (t) => {
  const line = (t.args.length ? t.args.join(' ') : 'y') + '\n';
  // Many lines per write, as stdio's buffer does.
  const block = Buffer.from(line.repeat(Math.max(1, Math.floor(8192 / Buffer.byteLength(line)))));
  for (;;) {
    await t.out.chunk(block);
    await t.out.flush();
    await t.yield();
  }
});

// strtod with nothing left over, as seq checks it.
function strtod(s: string): number | undefined {
  const a = s.replace(/^[ \t\n\v\f\r]+/, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a)) return Number(a);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(a)) return (a[0] === '-' ? -1 : 1) * parseInt(a.replace(/^[+-]?0[xX]/, ''), 16);
  if (/^[+-]?(inf|infinity)$/i.test(a)) return a[0] === '-' ? -Infinity : Infinity;
  return undefined;
}

export const seq = applet(async (t) => {
  // A negative number ends the options: seq -5 5.
  const args = [...t.args];
  let cut = args.findIndex((a) => /^-[.0-9]/.test(a));
  if (cut < 0) cut = args.length;
  const p = t.parse({ short: 'ws:', stopAtOperand: true }, args.slice(0, cut));
  const ops = [...p.operands, ...args.slice(cut)];
  if (ops.length < 1 || ops.length > 3) return t.usage();
  const nums = ops.map(strtod);
  if (nums.some((n) => n === undefined)) return t.usage();
  const last = nums[nums.length - 1]!;
  const first = ops.length >= 2 ? nums[0]! : 1;
  const inc = ops.length === 3 ? nums[1]! : 1;
  let width = 0;
  let frac = 0;
  ops.forEach((o, k) => {
    const dot = o.indexOf('.');
    const w = dot < 0 ? o.length : dot;
    const f = dot < 0 ? 0 : o.length - dot;
    if (width < w) width = w;
    if (k < ops.length - 1 && frac < f) frac = f;
  });
  if (frac) {
    frac--;
    if (frac) width += frac + 1;
  }
  if (!p.has('w')) width = 0;
  const sep = toBin(p.value('s') ?? '\n');
  let n = 0;
  let v = first;
  let buf = '';
  while (inc >= 0 ? v <= last : v >= last) {
    if (n > 0) buf += sep;
    buf += formatFloat({ flags: '0', width, precision: frac, conv: 'f' }, v);
    n++;
    v = first + n * inc;
    if (buf.length >= 8192) {
      await t.out.bin(buf);
      buf = '';
      await t.yield();
    }
  }
  if (n) buf += '\n';
  await t.out.bin(buf);
  return 0;
});

// sleep's durations: N[.N][smhd], several adding up; inf sleeps for ever.
const DURATION: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export async function parseDuration(t: Tool, s: string): Promise<number> {
  if (s.includes('.')) {
    const m = /^([0-9.]*)(.*)$/.exec(s)!;
    const d = Number(m[1]);
    if (m[1] === '' || m[1] === '.' || Number.isNaN(d) || (m[2] !== '' && !(m[2] in DURATION))) return t.usage();
    return d * (m[2] === '' ? 1 : DURATION[m[2]]);
  }
  try {
    return parseUnsigned(s, DURATION, 0, 0xffffffff * 86400);
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
}

// How long `sleep ARGS` sleeps, in ms (Infinity for inf), for arguments
// plainly valid; undefined for anything the applet itself must judge.
export function sleepMs(argv: readonly string[]): number | undefined {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  if (args.length === 0) return undefined;
  if (/^inf/i.test(args[0])) return Infinity;
  let seconds = 0;
  for (const a of args) {
    // Up to 9 digits: longer whole numbers are range-checked by the applet.
    const m = /^(\d{1,9}|\d*\.\d+|\d+\.)([smhd]?)$/.exec(a);
    if (!m) return undefined;
    seconds += Number(m[1]) * (m[2] ? DURATION[m[2]] : 1);
  }
  return seconds * 1000;
}

export const sleep: Applet = applet(async (t) => {
  let args = [...t.args];
  if (args[0] === '--') args = args.slice(1);
  if (args.length === 0) return t.usage();
  if (/^inf/i.test(args[0])) {
    for (;;) await t.ctx.sleep(2 ** 31 - 1);
  }
  let seconds = 0;
  for (const a of args) seconds += await parseDuration(t, a);
  await t.ctx.sleep(seconds * 1000);
  return 0;
});
// A plainly valid finite duration (a loop's `sleep .1`) is slept by the
// launcher; the rest (usage, range errors, inf) by the applet.
sleep.waits = (argv) => {
  const ms = sleepMs(argv.slice(1));
  return ms === Infinity ? undefined : ms;
};

export const usleep = applet(async (t) => {
  if (t.args.length === 0) return t.usage();
  let us: number;
  try {
    us = parseUnsigned(t.args[0], {}, 0, 0xffffffff);
  } catch (err) {
    if (err instanceof NumberError) return t.die(err.message);
    throw err;
  }
  await t.ctx.sleep(us / 1000);
  return 0;
});

// bb_get_last_path_component_strip: "/a/b/" → "b", "/" → "/".
function lastComponent(s: string): string {
  const stripped = s.replace(/\/+$/, '');
  if (stripped === '') return s === '' ? '' : '/';
  return stripped.slice(stripped.lastIndexOf('/') + 1);
}

export const basename = applet(async (t) => {
  const p = t.parse({ short: 'as:', stopAtOperand: true });
  const ops = p.operands;
  if (ops.length === 0) return t.usage();
  const multi = p.has('a') || p.has('s');
  let suffix = p.value('s');
  if (!multi) {
    if (ops.length > 2) return t.usage();
    suffix = ops[1];
  }
  const names = multi ? ops : [ops[0]];
  for (const n of names) {
    let s = lastComponent(n);
    if (suffix && s.length > suffix.length && s.endsWith(suffix)) s = s.slice(0, -suffix.length);
    await t.out.text(s + '\n');
  }
  return 0;
});

export const dirname = applet(async (t) => {
  const ops = t.args[0] === '--' ? t.args.slice(1) : t.args;
  if (ops.length !== 1) return t.usage();
  await t.out.text(dirnameOf(ops[0]) + '\n');
  return 0;
});

// glibc's dirname(3): POSIX's, but a path that starts with exactly two
// slashes keeps them ("//", "//a" give "//"; XBD 4.10).
export function dirnameOf(s: string): string {
  let last = s.lastIndexOf('/');
  if (last > 0 && last === s.length - 1) {
    let r = last;
    while (r > 0 && s[r - 1] === '/') r--;
    if (r > 0) last = s.lastIndexOf('/', r - 1);
  }
  if (last < 0) return '.';
  let r = last;
  while (r > 0 && s[r - 1] === '/') r--;
  if (r > 0) return s.slice(0, r);
  return last === 1 ? '//' : '/';
}

export const pwd = applet(async (t) => {
  const p = t.parse({ short: 'LP' });
  const env = t.ctx.env.PWD;
  if (p.has('L') && env?.startsWith('/')) {
    try {
      const a = t.ctx.fs.stat(env);
      const b = t.ctx.fs.stat(t.ctx.cwd);
      if (a.ino === b.ino && a.dev === b.dev) {
        await t.out.text(env + '\n');
        return 0;
      }
    } catch {
      // Not a valid logical path: the physical one.
    }
  }
  let cwd = t.ctx.cwd;
  try {
    cwd = t.ctx.fs.realpath(cwd);
  } catch (err) {
    await t.error(`getcwd: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  await t.out.text(posix.normalize(cwd) + '\n');
  return 0;
});
