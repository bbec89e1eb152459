// Shell patterns (* ? [...]) as case, ${v#pattern} and pathname expansion
// use them. A pattern is a string where a backslash makes the next
// character literal: expansion escapes quoted characters that way.

const CLASSES: Record<string, string> = {
  alnum: 'a-zA-Z0-9',
  alpha: 'a-zA-Z',
  blank: ' \\t',
  cntrl: '\\x00-\\x1f\\x7f',
  digit: '0-9',
  graph: '\\x21-\\x7e',
  lower: 'a-z',
  print: '\\x20-\\x7e',
  punct: '!-\\/:-@\\[-`{-~',
  space: ' \\t\\n\\r\\f\\v',
  upper: 'A-Z',
  xdigit: '0-9A-Fa-f',
};

const reEscape = (c: string) => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? '\\' + c : c);

// Whether the pattern has an unescaped * ? or [ (anything to match).
export function hasMeta(p: string): boolean {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') i++;
    else if (c === '*' || c === '?') return true;
    else if (c === '[' && bracketEnd(p, i) > 0) return true;
  }
  return false;
}

// The pattern with its escapes removed: the literal text it matches.
export function unescape(p: string): string {
  if (!p.includes('\\')) return p;
  let out = '';
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\' && i + 1 < p.length) i++;
    out += p[i];
  }
  return out;
}

// Where the bracket expression starting at p[i] === '[' ends (the index of
// its "]"), or -1 when it is not closed (then "[" is a plain character).
function bracketEnd(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '!' || p[j] === '^') j++;
  if (p[j] === ']') j++;
  for (; j < p.length; j++) {
    const c = p[j];
    if (c === '\\') j++;
    else if (c === '[' && p[j + 1] === ':') {
      const end = p.indexOf(':]', j + 2);
      if (end > 0) j = end + 1;
    } else if (c === ']') return j;
  }
  return -1;
}

function bracket(p: string, i: number, end: number): string {
  let j = i + 1;
  let out = '[';
  if (p[j] === '!' || p[j] === '^') {
    out += '^';
    j++;
  }
  let first = true;
  for (; j < end; j++) {
    const c = p[j];
    if (c === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      const cls = CLASSES[p.slice(j + 2, close)];
      if (cls !== undefined) {
        out += cls;
        j = close + 1;
        first = false;
        continue;
      }
    }
    if (c === '\\' && j + 1 < end) {
      out += '\\' + p[++j];
    } else if (c === '-' && !first && j + 1 < end) {
      out += '-';
    } else out += '\\^]['.includes(c) || c === '-' ? '\\' + c : c;
    first = false;
  }
  return out + ']';
}

// The regular expression source for a pattern (no anchors).
function toRegExpSource(p: string): string {
  let out = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (i + 1 < p.length) out += reEscape(p[++i]);
      else out += '\\\\';
    } else if (c === '*') {
      while (p[i + 1] === '*') i++;
      out += '[^]*';
    } else if (c === '?') out += '[^]';
    else if (c === '[') {
      const end = bracketEnd(p, i);
      if (end < 0) out += '\\[';
      else {
        out += bracket(p, i, end);
        i = end;
      }
    } else out += reEscape(c);
  }
  return out;
}

// Compiled patterns, a few hundred at most.
const cache = new Map<string, RegExp>();

function compile(key: string, source: () => string): RegExp {
  let re = cache.get(key);
  if (re) return re;
  if (cache.size >= 512) cache.clear();
  re = new RegExp(source());
  cache.set(key, re);
  return re;
}

const full = (p: string) => compile('F' + p, () => `^(?:${toRegExpSource(p)})$`);
const prefixGreedy = (p: string) => compile('P' + p, () => `^(?:${toRegExpSource(p)})`);
const suffixLongest = (p: string) => compile('S' + p, () => `(?:${toRegExpSource(p)})$`);
const anyGreedy = (p: string) => compile('A' + p, () => toRegExpSource(p));

// Whether the whole string matches the pattern (case, [[ ]]).
export function matchPattern(p: string, s: string): boolean {
  if (!hasMeta(p)) return unescape(p) === s;
  return full(p).test(s);
}

// ${v#p} ${v##p}: s without the shortest (or longest) prefix matching p.
export function trimPrefix(s: string, p: string, longest: boolean): string {
  if (!hasMeta(p)) {
    const lit = unescape(p);
    return s.startsWith(lit) ? s.slice(lit.length) : s;
  }
  if (longest) {
    // A greedy match is the longest one for glob patterns.
    const m = prefixGreedy(p).exec(s);
    return m ? s.slice(m[0].length) : s;
  }
  const re = full(p);
  for (let i = 0; i <= s.length; i++) if (re.test(s.slice(0, i))) return s.slice(i);
  return s;
}

// ${v%p} ${v%%p}: s without the shortest (or longest) suffix matching p.
export function trimSuffix(s: string, p: string, longest: boolean): string {
  if (!hasMeta(p)) {
    const lit = unescape(p);
    return s.endsWith(lit) ? s.slice(0, s.length - lit.length) : s;
  }
  if (longest) {
    // The leftmost start of a match that runs to the end.
    const m = suffixLongest(p).exec(s);
    return m ? s.slice(0, m.index) : s;
  }
  const re = full(p);
  for (let i = s.length; i >= 0; i--) if (re.test(s.slice(i))) return s.slice(0, i);
  return s;
}

// ${v/p/r} ${v//p/r}: the first (or every) longest match of p replaced.
// A pattern starting with # or % is anchored at the start or the end.
export function replacePattern(s: string, p: string, r: string, all: boolean): string {
  if (p === '') return s;
  if (!hasMeta(p)) {
    const lit = unescape(p);
    return all ? s.split(lit).join(r) : s.replace(lit, () => r);
  }
  if (all) return s.replace(new RegExp(anyGreedy(p).source, 'g'), (m) => (m === '' ? m : r));
  const m = anyGreedy(p).exec(s);
  if (!m || m[0] === '') return s;
  return s.slice(0, m.index) + r + s.slice(m.index + m[0].length);
}

// For pathname expansion: a component pattern that * ? [...] match within,
// where a leading "." must be matched explicitly.
export function matchName(p: string, name: string): boolean {
  if (name.startsWith('.') && !p.startsWith('.') && !p.startsWith('\\.')) return false;
  return full(p).test(name);
}
