import { type ConvSpec, formatFloat, formatInt, formatString } from './common/cformat';
import { escapeAt, escapeAtEcho } from './common/escape';
import { type Tool, applet, fromBin, toBin } from './common/tool';

// printf FORMAT [ARG]...: busybox's printf. The format is reused while
// arguments remain; a bad number is reported, taken as 0, and makes the
// status 1; a bad directive ends it with status 1.

// bb_strtoll/bb_strtoull with base 0, as printf reads an integer argument:
// 'c and "c give the byte's value.
function parseInteger(arg: string): bigint | undefined {
  let a = arg.replace(/^[ \t\n\v\f\r]+/, '');
  if (a[0] === '"' || a[0] === "'") return BigInt(a.length > 1 ? a.charCodeAt(1) : 0);
  if (a[0] === '+') a = a.slice(1);
  const m = /^(-?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(a);
  if (!m) return undefined;
  const digits = m[2];
  let v: bigint;
  if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.length > 1 && digits[0] === '0') v = BigInt('0o' + digits.slice(1));
  else v = BigInt(digits);
  if (m[1] === '-') v = -v;
  if (v > 0xffffffffffffffffn || v < -0x8000000000000000n) return undefined;
  return v;
}

function parseDouble(arg: string): number | undefined {
  if (arg[0] === '"' || arg[0] === "'") return arg.length > 1 ? arg.charCodeAt(1) : 0;
  const a = arg.replace(/^[ \t\n\v\f\r]+/, '');
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(a)) return Number(a);
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(a)) return (a[0] === '-' ? -1 : 1) * parseInt(a.replace(/^[+-]?0[xX]/, ''), 16);
  if (/^[+-]?(inf|infinity)$/i.test(a)) return a[0] === '-' ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(a)) return NaN;
  return undefined;
}

interface State {
  out: string[];
  convError: boolean;
  stop: boolean; // \c
  failed: boolean; // invalid directive
}

// One pass of the format; answers how many arguments it used.
async function formatOnce(t: Tool, f: string, args: string[], st: State): Promise<number> {
  let used = 0;
  const next = (): string | undefined => (used < args.length ? args[used++] : undefined);
  const badNumber = async (a: string) => {
    await t.error(`invalid number '${fromBin(a)}'`);
    st.convError = true;
  };
  for (let i = 0; i < f.length; i++) {
    const ch = f[i];
    if (ch === '\\') {
      if (f[i + 1] === 'c') {
        st.stop = true;
        return used;
      }
      const [c, n] = escapeAt(f, i + 1);
      st.out.push(c);
      i = n - 1;
      continue;
    }
    if (ch !== '%') {
      st.out.push(ch);
      continue;
    }
    const start = i++;
    if (f[i] === '%') {
      st.out.push('%');
      continue;
    }
    if (f[i] === 'b') {
      const a = next();
      if (a !== undefined) {
        for (let j = 0; j < a.length; j++) {
          if (a[j] !== '\\') {
            st.out.push(a[j]);
            continue;
          }
          const e = escapeAtEcho(a, j + 1);
          if (e === null) {
            st.stop = true;
            return used;
          }
          st.out.push(e[0]);
          j = e[1] - 1;
        }
      }
      continue;
    }
    const spec: ConvSpec = { flags: '', conv: '' };
    while (i < f.length && '-+ #0'.includes(f[i])) spec.flags += f[i++];
    const starArg = async (): Promise<number> => {
      const a = next();
      if (a === undefined) return 0;
      if (/^\s*[+-]?\d+$/.test(a) && Math.abs(Number(a)) <= 2 ** 31 - 1) return Number(a);
      await badNumber(a);
      return 0;
    };
    if (f[i] === '*') {
      i++;
      spec.width = await starArg();
    } else {
      let w = '';
      while (f[i] >= '0' && f[i] <= '9') w += f[i++];
      if (w) spec.width = Number(w);
    }
    if (f[i] === '.') {
      i++;
      if (f[i] === '*') {
        i++;
        spec.precision = await starArg();
      } else {
        let p = '';
        while (f[i] >= '0' && f[i] <= '9') p += f[i++];
        spec.precision = Number(p || '0');
      }
    }
    const sized = i;
    while (f[i] === 'l' || f[i] === 'L' || f[i] === 'h' || f[i] === 'z') i++;
    const conv = f[i];
    if (conv === undefined || !'diouxXfeEgGcs'.includes(conv)) {
      // busybox names the rest of the format, its size letters cut out.
      await t.error(`${fromBin(f.slice(start, sized) + f.slice(i))}: invalid format`);
      st.failed = true;
      return used;
    }
    spec.conv = conv;
    const a = next() ?? '';
    switch (conv) {
      case 'c':
        st.out.push(formatString({ ...spec, precision: undefined }, a.length > 0 ? a[0] : '\0'));
        break;
      case 's':
        st.out.push(formatString(spec, a));
        break;
      case 'd':
      case 'i':
      case 'o':
      case 'u':
      case 'x':
      case 'X': {
        let v = parseInteger(a);
        if (v === undefined) {
          await badNumber(a);
          v = 0n;
        }
        st.out.push(formatInt(spec, v));
        break;
      }
      default: {
        let v = parseDouble(a);
        if (v === undefined) {
          await badNumber(a);
          v = 0;
        }
        st.out.push(formatFloat(spec, v));
      }
    }
  }
  return used;
}

export const printf = applet(async (t) => {
  let args = t.args.map(toBin);
  if (args[0] === '--') args = args.slice(1);
  if (args.length === 0) {
    // As ash's builtin, a one-line usage and bash's status.
    if (!t.ctx.builtinOf) return t.usage();
    await t.error('usage: printf FORMAT [ARGUMENT...]');
    return 2;
  }
  const format = args[0];
  let rest = args.slice(1);
  const st: State = { out: [], convError: false, stop: false, failed: false };
  for (;;) {
    const used = await formatOnce(t, format, rest, st);
    await t.out.bin(st.out.join(''));
    st.out = [];
    if (st.stop || st.failed) break;
    rest = rest.slice(used);
    if (used === 0 || rest.length === 0) break;
  }
  return st.failed || st.convError ? 1 : 0;
});
