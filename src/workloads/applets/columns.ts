import { chunkBuffer } from '../procs/streams';
import { isFsError } from '../rootfs/types';
import { escapeAt } from './common/escape';
import { RegexError, regexSource } from './common/regex';
import { type Tool, applet, toBin } from './common/tool';
import { eachStdioFile } from './text';

// cut and tr: bytes, characters and fields of lines; bytes of a stream.

interface Range {
  start: number; // 0-based
  end: number; // inclusive; Infinity to the end
}

async function parseList(t: Tool, list: string): Promise<Range[]> {
  const ranges: Range[] = [];
  const pos = async (s: string) => {
    if (!/^\d+$/.test(s)) return t.die(`invalid number '${s}'`);
    return Number(s);
  };
  for (const tok of list.split(',')) {
    if (!tok) continue;
    const dash = tok.indexOf('-');
    let s: number;
    let e: number;
    if (dash < 0) {
      s = await pos(tok);
      if (s !== 0) s--;
      e = s;
    } else {
      const a = tok.slice(0, dash);
      const b = tok.slice(dash + 1);
      s = a ? await pos(a) : 0;
      if (s !== 0) s--;
      if (!b) e = Infinity;
      else {
        e = await pos(b);
        if (e < s) return t.die(`${e}<${s}`);
        e--;
      }
    }
    ranges.push({ start: s, end: e });
  }
  if (ranges.length === 0) return t.die('missing list of positions');
  return ranges;
}

export const cut = applet(async (t) => {
  const p = t.parse({ short: 'b:c:f:d:O:sDF:n' });
  const kinds = ['b', 'c', 'f', 'F'].filter((k) => p.has(k));
  if (kinds.length === 0) return t.die('expected a list of bytes, characters, or fields');
  if (kinds.length > 1) return t.usage();
  const kind = kinds[0];
  const byPos = kind === 'b' || kind === 'c';
  if (byPos && p.has('s')) return t.die('suppressing non-delimited lines makes sense only when operating on fields');
  if (byPos && p.has('d')) return t.die('a delimiter may be specified only when operating on fields');
  let ranges = await parseList(t, p.value(kind)!);
  if (!p.has('D')) ranges = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  let delim = toBin(p.value('d') ?? '');
  if (!delim) delim = kind === 'F' ? '[[:space:]]+' : '\t';
  const odelim = p.has('O') ? toBin(p.value('O')!) : kind === 'F' ? ' ' : delim[0];
  let splitRe: RegExp | undefined;
  if (kind === 'F') {
    try {
      splitRe = new RegExp(regexSource(delim, true), 'g');
    } catch (err) {
      if (err instanceof RegexError || err instanceof SyntaxError) return t.die(`bad regex '${p.value('d')}'`);
      throw err;
    }
  }
  const selected = (n: number): boolean => ranges.some((r) => n >= r.start && n <= r.end);
  // xmalloc_fgetline: a read that fails ends the file, unsaid.
  return eachStdioFile(t, p.operands, async (input) => {
    for (let line = await input.line(); line !== null; line = await input.line()) {
      let out: string;
      if (byPos) {
        out = '';
        if (p.has('D')) {
          for (const r of ranges) out += line.slice(r.start, r.end === Infinity ? undefined : r.end + 1);
        } else for (let i = 0; i < line.length; i++) if (selected(i)) out += line[i];
      } else {
        let fields: string[];
        if (splitRe) {
          fields = line.split(splitRe);
        } else {
          if (!line.includes(delim[0])) {
            if (!p.has('s')) await t.out.bin(line + '\n');
            continue;
          }
          fields = line.split(delim[0]);
        }
        const picked: string[] = [];
        if (p.has('D')) for (const r of ranges) picked.push(...fields.slice(r.start, r.end === Infinity ? undefined : r.end + 1));
        else fields.forEach((fld, i) => selected(i) && picked.push(fld));
        out = picked.join(odelim);
      }
      await t.out.bin(out + '\n');
    }
  });
});

const range = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);

// tr's expand(): escapes, ranges, [:class:], [=c=]; a byte list.
function expandSet(arg: string): number[] {
  const out: number[] = [];
  let i = 0;
  const charAt = (k: number): [number, number] => {
    if (arg[k] === '\\' && k + 1 < arg.length) {
      const [c, next] = escapeAt(arg, k + 1);
      return [c.charCodeAt(0), next];
    }
    if (arg[k] === '\\') return [92, k + 1];
    return [arg.charCodeAt(k), k + 1];
  };
  while (i < arg.length) {
    let [c, next] = charAt(i);
    if (arg[next] === '-' && next + 1 < arg.length) {
      const [hi, after] = charAt(next + 1);
      out.push(...range(c, hi));
      i = after;
      continue;
    }
    if (arg[i] === '[') {
      const cls = /^\[:(alpha|alnum|digit|lower|upper|space|blank|punct|cntrl|xdigit|print|graph):\]/.exec(arg.slice(i));
      if (cls) {
        const name = cls[1];
        const all = range(0, 127);
        const test: Record<string, (x: number) => boolean> = {
          alpha: (x) => /[A-Za-z]/.test(String.fromCharCode(x)),
          alnum: (x) => /[0-9A-Za-z]/.test(String.fromCharCode(x)),
          digit: (x) => x >= 48 && x <= 57,
          lower: (x) => x >= 97 && x <= 122,
          upper: (x) => x >= 65 && x <= 90,
          space: (x) => x === 32 || (x >= 9 && x <= 13),
          blank: (x) => x === 32 || x === 9,
          punct: (x) => x > 32 && x < 127 && !/[0-9A-Za-z]/.test(String.fromCharCode(x)),
          cntrl: (x) => x < 32 || x === 127,
          xdigit: (x) => /[0-9A-Fa-f]/.test(String.fromCharCode(x)),
          print: (x) => x >= 32 && x < 127,
          graph: (x) => x > 32 && x < 127,
        };
        out.push(...all.filter(test[name]));
        i += cls[0].length;
        continue;
      }
      const eq = /^\[=(.)=\]/s.exec(arg.slice(i));
      if (eq) {
        out.push(eq[1].charCodeAt(0));
        i += 5;
        continue;
      }
      // [c*n] repeats: tr 'a-z' '[x*]'.
      const rep = /^\[(.)\*(\d*)\]/s.exec(arg.slice(i));
      if (rep) {
        const n = rep[2] ? Number(rep[2]) : 0;
        out.push(...Array(n || 1).fill(rep[1].charCodeAt(0)));
        if (!n) out.push(-1 - rep[1].charCodeAt(0)); // fill marker
        i += rep[0].length;
        continue;
      }
    }
    out.push(c);
    i = next;
  }
  return out;
}

export const tr = applet(async (t) => {
  const p = t.parse({ short: 'Ccds', stopAtOperand: true });
  const ops = p.operands;
  if (ops.length < 1 || ops.length > 2) return t.usage();
  let set1 = expandSet(toBin(ops[0])).filter((c) => c >= 0);
  if (p.has('c') || p.has('C')) {
    const have = new Set(set1);
    set1 = range(0, 255).filter((c) => !have.has(c));
  }
  const vector = range(0, 255);
  const invec = new Uint8Array(256);
  const outvec = new Uint8Array(256);
  if (ops.length === 2) {
    if (ops[1] === '') return t.die('STRING2 cannot be empty');
    let set2 = expandSet(toBin(ops[1]));
    // [c*] fills set2 up to set1's length.
    const fill = set2.findIndex((c) => c < 0);
    if (fill >= 0) {
      const ch = -1 - set2[fill];
      const need = Math.max(0, set1.length - (set2.length - 2));
      set2 = [...set2.slice(0, fill - 1), ...Array(need).fill(ch), ...set2.slice(fill + 1)];
    }
    let last = 48;
    for (let i = 0, j = 0; i < set1.length; i++) {
      if (j >= set2.length) vector[set1[i]] = last;
      else vector[set1[i]] = last = set2[j++];
    }
    for (const c of set2) if (c >= 0) outvec[c] = 1;
  }
  for (const c of set1) invec[c] = 1;
  const del = p.has('d');
  const squeeze = p.has('s');
  let last = 256;
  const input = t.input('-').asStdio();
  for (let ch = await input.block(); ch !== null; ch = await input.block()) {
    const b = chunkBuffer(ch);
    const out = Buffer.allocUnsafe(b.length);
    let n = 0;
    for (let i = 0; i < b.length; i++) {
      const c = b[i];
      if (del && invec[c]) continue;
      const coded = vector[c];
      if (squeeze && last === coded && (invec[c] || outvec[coded])) continue;
      out[n++] = last = coded;
    }
    await t.out.chunk(out.subarray(0, n));
  }
  if (input.error) return t.die(`read error: ${input.error.message}`);
  return 0;
});
