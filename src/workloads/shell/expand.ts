import { ArithError, arith } from './arith';
import type { Param, Part, Word } from './ast';
import { glob } from './glob';
import { hasMeta, replacePattern, trimPrefix, trimSuffix } from './pattern';
import { processSub } from './procsub';
import { LIMITS, type Shell, ShellError } from './shell';

// Word expansion as ash's argstr/evalvar/ifsbreakup do it: tilde,
// parameters, $(...), $((...)), field splitting by IFS, pathname expansion
// and quote removal.

// A failure found where nothing can be awaited (arithmetic assigning a
// read-only variable): reported by the expansion's entry point.
export class ExpandFailure extends Error {}

const escapeGlob = (s: string) => s.replace(/[\\*?[\]]/g, '\\$&');
const DEFAULT_WS = ' \t\n';

// Builds the fields of one word. Text added is quoted (taken as is),
// literal (unquoted source text: globbed, not split) or expanded (unquoted
// expansion results: split by IFS, then globbed).
class Fields {
  readonly out: { s: string; pat?: string }[] = [];
  private cur = '';
  private pat = '';
  private content = false;
  private nulonly = false;

  constructor(
    readonly split: boolean,
    private readonly ifs: string,
    // Whether to keep the pattern form (escaped quoted characters).
    private readonly pattern: boolean,
  ) {}

  private grow(n: number): void {
    if (this.cur.length + n > LIMITS.bytes) throw new ExpandFailure('out of memory');
  }

  quoted(s: string): void {
    this.grow(s.length);
    this.cur += s;
    if (this.pattern) this.pat += escapeGlob(s);
    this.content = true;
  }

  literal(s: string): void {
    if (!s) return;
    this.grow(s.length);
    this.cur += s;
    if (this.pattern) this.pat += s;
    this.content = true;
  }

  // An empty "" or '': the word makes a field even if empty.
  mark(): void {
    this.content = true;
  }

  private expandedChars(s: string): void {
    if (!s) return;
    this.grow(s.length);
    this.cur += s;
    if (this.pattern) this.pat += s.replace(/\\/g, '\\\\');
    this.content = true;
  }

  // An unquoted expansion's result: split at IFS characters (ash's
  // ifsbreakup over one region).
  expanded(s: string, nulonly = false): void {
    if (!this.split) return this.expandedChars(s);
    const afternul = this.nulonly;
    this.nulonly = nulonly;
    const ifs = this.ifs;
    let ifsspc = false;
    let start = 0;
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      const isIfs = nulonly ? c === '\0' : c === '\0' || ifs.includes(c);
      if (!isIfs) {
        i++;
        continue;
      }
      if (!(afternul || nulonly)) ifsspc = c === '\0' || DEFAULT_WS.includes(c);
      this.expandedChars(s.slice(start, i));
      if (!this.content && ifsspc) {
        i++;
        start = i;
        continue;
      }
      this.push();
      i++;
      if (!nulonly) {
        while (i < s.length) {
          const d = s[i];
          if (!(d === '\0' || ifs.includes(d))) break;
          if (!(d === '\0' || DEFAULT_WS.includes(d))) {
            if (ifsspc) {
              i++;
              ifsspc = false;
            } else break;
          } else i++;
        }
      }
      start = i;
    }
    this.expandedChars(s.slice(start));
  }

  // "$@": each parameter a field of its own, even an empty one.
  quotedList(list: readonly string[]): void {
    if (list.length === 0) return;
    for (let i = 0; i < list.length; i++) {
      if (i > 0) this.push();
      this.quoted(list[i]);
    }
    this.nulonly = true;
  }

  private push(): void {
    this.out.push(this.pattern ? { s: this.cur, pat: this.pat } : { s: this.cur });
    this.cur = '';
    this.pat = '';
    this.content = false;
  }

  finish(): void {
    if (this.content || this.nulonly) this.push();
  }

  // No splitting: the one string (pattern form when kept).
  text(): string {
    return this.pattern ? this.pat : this.cur;
  }
}

interface Ctx {
  quoted: boolean; // inside "..."
  breakall: boolean; // the word of an unquoted ${v-word}: its literal text splits too
  tilde: 0 | 1 | 2; // 1: at the start of the word, 2: also after : (assignments)
}

const TOP: Ctx = { quoted: false, breakall: false, tilde: 1 };
const NO_TILDE: Ctx = { quoted: false, breakall: false, tilde: 0 };
const ASSIGN: Ctx = { quoted: false, breakall: false, tilde: 2 };

async function parts(sh: Shell, list: readonly Part[], f: Fields, ctx: Ctx): Promise<void> {
  for (let i = 0; i < list.length; i++) {
    const p = list[i];
    switch (p.t) {
      case 'lit':
        if (ctx.tilde && !ctx.quoted) literalWithTilde(sh, p.s, i === 0, i === list.length - 1, f, ctx);
        else if (ctx.breakall && !ctx.quoted) f.expanded(p.s);
        else if (ctx.quoted) f.quoted(p.s);
        else f.literal(p.s);
        break;
      case 'q':
        if (p.s) f.quoted(p.s);
        else f.mark();
        break;
      case 'dq': {
        // "$@" alone makes no field when there are no parameters.
        const only = p.parts.length === 1 ? p.parts[0] : undefined;
        if (!(only && only.t === 'param' && only.name === '@' && only.op === '')) f.mark();
        await parts(sh, p.parts, f, { quoted: true, breakall: false, tilde: 0 });
        break;
      }
      case 'param':
        await param(sh, p, f, ctx);
        break;
      case 'cmd': {
        const out = await sh.evaluator.substitute(sh, p.body);
        emit(f, out.replace(/\n+$/, ''), ctx.quoted);
        break;
      }
      case 'psub':
        emit(f, await processSub(sh, p.body, p.toProc), ctx.quoted);
        break;
      case 'arith': {
        const text = await expandString(sh, p.expr, false);
        let v: bigint;
        try {
          v = arith(text, { get: (n) => getVar(sh, n), set: (n, val) => setVarSync(sh, n, val) });
        } catch (err) {
          if (err instanceof ArithError) throw new ExpandFailure(err.message);
          throw err;
        }
        emit(f, v.toString(), ctx.quoted);
        break;
      }
    }
  }
}

function emit(f: Fields, s: string, quoted: boolean): void {
  if (quoted) f.quoted(s);
  else f.expanded(s);
}

// Unquoted literal text, with ~ and ~user expanded at the start of the word
// (and after each : in an assignment).
function literalWithTilde(sh: Shell, s: string, first: boolean, last: boolean, f: Fields, ctx: Ctx): void {
  const put = (t: string) => (ctx.breakall ? f.expanded(t) : f.literal(t));
  let i = 0;
  for (;;) {
    const atStart = i === 0 ? first : true;
    if (atStart && s[i] === '~') {
      let end = i + 1;
      while (end < s.length && s[end] !== '/' && !(ctx.tilde === 2 && s[end] === ':')) end++;
      // The name runs into a quoted or expanded part: no expansion.
      const home = end === s.length && !last ? undefined : tildeHome(sh, s.slice(i + 1, end));
      if (home !== undefined) {
        f.quoted(home);
        i = end;
      }
    }
    if (ctx.tilde !== 2) return put(s.slice(i));
    const colon = s.indexOf(':', i);
    if (colon < 0) return put(s.slice(i));
    put(s.slice(i, colon + 1));
    i = colon + 1;
  }
}

function tildeHome(sh: Shell, user: string): string | undefined {
  if (user === '') return sh.vars.get('HOME') ?? '/';
  try {
    const h = sh.ctx.fs.open('/etc/passwd', { read: true });
    try {
      let text = '';
      for (let c = h.read(65536); c !== null && text.length < 1 << 20; c = h.read(65536)) {
        text += Buffer.from(c instanceof Uint8Array ? c : new Uint8Array(0)).toString('utf8');
      }
      for (const line of text.split('\n')) {
        const f = line.split(':');
        if (f[0] === user && f.length >= 6) return f[5];
      }
    } finally {
      h.close();
    }
  } catch {
    // no passwd file
  }
  return undefined;
}

// A variable's value, with the ones ash computes (RANDOM, LINENO).
export function getVar(sh: Shell, name: string): string | undefined {
  if (name === 'RANDOM') return String(sh.nextRandom());
  if (name === 'LINENO') return String(sh.lineno);
  return sh.vars.get(name);
}

// Assigns from inside an expansion (arithmetic, ${v=w}).
export function setVarSync(sh: Shell, name: string, value: string): void {
  if (sh.vars.isReadonly(name)) throw new ExpandFailure(`${name}: is read only`);
  if (value.length > LIMITS.bytes) throw new ExpandFailure('out of memory');
  sh.vars.set(name, value, sh.opts.a ? 1 : 0);
}

// The value of a parameter other than @ and *; undefined when unset.
function scalar(sh: Shell, name: string): string | undefined {
  switch (name) {
    case '$':
      return String(sh.root.rootPid);
    case '?':
      return String(sh.status);
    case '#':
      return String(sh.params.length);
    case '!':
      return sh.bgPid ? String(sh.bgPid) : undefined;
    case '-':
      return sh.optionLetters();
  }
  const c = name.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    const n = Number(name);
    if (n === 0) return sh.arg0;
    return n <= sh.params.length ? sh.params[n - 1] : undefined;
  }
  return getVar(sh, name);
}

// $* and $@ joined as one string: by IFS's first character (a space when
// IFS is unset, nothing when it is empty).
function joined(sh: Shell): string {
  const ifs = sh.vars.get('IFS');
  return sh.params.join(ifs === undefined ? ' ' : ifs.slice(0, 1));
}

async function param(sh: Shell, p: Param, f: Fields, ctx: Ctx): Promise<void> {
  if (p.op === 'bad') throw new ExpandFailure('syntax error: bad substitution');
  const list = p.name === '@' || p.name === '*';
  const value = list ? joined(sh) : scalar(sh, p.name);
  const set = value !== undefined && !(p.colon && value === '');
  switch (p.op) {
    case '':
      if (value === undefined) unsetCheck(sh, p.name);
      if (list) return listParam(sh, p.name, f, ctx);
      return emit(f, value ?? '', ctx.quoted);
    case '-':
      if (set) return list ? listParam(sh, p.name, f, ctx) : emit(f, value, ctx.quoted);
      return argWord(sh, p.arg!, f, ctx);
    case '+':
      if (set) return argWord(sh, p.arg!, f, ctx);
      return;
    case '=': {
      if (set) return list ? listParam(sh, p.name, f, ctx) : emit(f, value, ctx.quoted);
      const v = await expandString(sh, p.arg!, true);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) throw new ExpandFailure(`${p.name}: bad variable name`);
      setVarSync(sh, p.name, v);
      return emit(f, v, ctx.quoted);
    }
    case '?': {
      if (set) return list ? listParam(sh, p.name, f, ctx) : emit(f, value, ctx.quoted);
      const msg = p.arg && p.arg.parts.length > 0 ? await expandString(sh, p.arg, true) : '';
      throw new ExpandFailure(`${p.name}: ${msg || `parameter not set${p.colon ? ' or null' : ''}`}`);
    }
    case '#':
      if (value === undefined) unsetCheck(sh, p.name);
      return emit(f, String([...(value ?? '')].length), ctx.quoted);
    case 'trimLeft':
    case 'trimLeftMax':
    case 'trimRight':
    case 'trimRightMax': {
      if (value === undefined) unsetCheck(sh, p.name);
      const pat = await expandPattern(sh, p.arg!);
      const v = value ?? '';
      const r = p.op.startsWith('trimLeft') ? trimPrefix(v, pat, p.op === 'trimLeftMax') : trimSuffix(v, pat, p.op === 'trimRightMax');
      return emit(f, r, ctx.quoted);
    }
    case 'replace':
    case 'replaceAll': {
      if (value === undefined) unsetCheck(sh, p.name);
      const pat = await expandPattern(sh, p.arg!);
      const repl = p.arg2 ? await expandString(sh, p.arg2, true) : '';
      return emit(f, replacePattern(value ?? '', pat, repl, p.op === 'replaceAll'), ctx.quoted);
    }
    case 'substr': {
      if (value === undefined) unsetCheck(sh, p.name);
      const v = value ?? '';
      const num = async (w: Word) => {
        const t = await expandString(sh, w, false);
        try {
          return Number(arith(t, { get: (n) => getVar(sh, n), set: (n, val) => setVarSync(sh, n, val) }));
        } catch (err) {
          if (err instanceof ArithError) throw new ExpandFailure(err.message);
          throw err;
        }
      };
      const len0 = v.length;
      let pos = await num(p.arg!);
      let len = p.arg2 ? await num(p.arg2) : len0;
      if (pos < 0) pos = len0 + pos;
      if (pos < 0 || pos >= len0) {
        pos = 0;
        len = 0;
      }
      if (len < 0) len = len0 - pos + len;
      if (len < 0) len = 0;
      if (len > len0 - pos) len = len0 - pos;
      return emit(f, v.substr(pos, len), ctx.quoted);
    }
  }
}

function unsetCheck(sh: Shell, name: string): void {
  if (sh.opts.u && name !== '@' && name !== '*') throw new ExpandFailure(`${name}: parameter not set`);
}

function listParam(sh: Shell, name: string, f: Fields, ctx: Ctx): void {
  const ps = sh.params;
  if (ctx.quoted) {
    if (name === '@' && f.split) return f.quotedList(ps);
    return f.quoted(joined(sh));
  }
  if (!f.split) return f.literal(joined(sh));
  const ifs = sh.vars.get('IFS');
  const sep = ifs === undefined ? ' ' : ifs === '' ? '\0' : ifs[0];
  for (let i = 0; i < ps.length; i++) {
    if (i > 0) f.expanded(sep);
    f.expanded(ps[i]);
  }
}

// The word of ${v-word} and friends, expanded into the same fields.
async function argWord(sh: Shell, w: Word, f: Fields, ctx: Ctx): Promise<void> {
  await parts(sh, w.parts, f, { quoted: ctx.quoted, breakall: !ctx.quoted, tilde: ctx.quoted ? 0 : 1 });
}

// Runs `fn`, turning an ExpandFailure into ash's error (the shell exits).
async function reporting<T>(sh: Shell, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ExpandFailure) {
      await sh.msg(err.message);
      throw new ShellError(2);
    }
    throw err;
  }
}

// The fields of command words: split, globbed, quotes removed.
export async function expandArgs(sh: Shell, words: readonly Word[]): Promise<string[]> {
  const out: string[] = [];
  for (const w of words) {
    if (w.lit !== undefined) {
      out.push(w.lit);
      continue;
    }
    const ifs = sh.ifs();
    const plain = plainField(sh, w, ifs);
    if (plain !== undefined) {
      out.push(plain);
      continue;
    }
    const f = new Fields(true, ifs, !sh.opts.f);
    await reporting(sh, () => parts(sh, w.parts, f, TOP));
    f.finish();
    for (const field of f.out) {
      if (field.pat !== undefined && hasMeta(field.pat)) {
        const found = glob(sh.ctx.fs, sh.cwd, field.pat);
        if (found.length > 0) {
          out.push(...found);
          continue;
        }
      }
      out.push(field.s);
    }
  }
  return out;
}

// A word of plain text and plain $name's (a loop's `[ $i -lt 10 ]`,
// `of=file${i}`) whose text has nothing to split or glob: its one field,
// with no Fields, closure or promise per word. Undefined for anything else
// (an unset or empty value, a tilde, IFS or pattern characters), which the
// general way expands.
function plainField(sh: Shell, w: Word, ifs: string): string | undefined {
  let s = '';
  const ps = w.parts;
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i];
    if (p.t === 'lit') {
      if (i === 0 && p.s.startsWith('~')) return undefined;
      s += p.s;
    } else if (p.t === 'param' && p.op === '' && p.name !== '@' && p.name !== '*') {
      const v = scalar(sh, p.name);
      if (v === undefined) return undefined;
      s += v;
    } else return undefined;
  }
  if (s === '') return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '*' || c === '?' || c === '[' || c === '\\' || ifs.includes(c)) return undefined;
  }
  return s;
}

// One string, not split or globbed: assignments (tilde after = and :),
// here-documents, the subject of case, the words of ${v=w} and ${v?w}.
export async function expandString(sh: Shell, w: Word, tilde: boolean | 'assign'): Promise<string> {
  if (w.lit !== undefined) return w.lit;
  const f = new Fields(false, '', false);
  await reporting(sh, () => parts(sh, w.parts, f, tilde === 'assign' ? ASSIGN : tilde ? TOP : NO_TILDE));
  return f.text();
}

// A pattern (case, ${v#p}): quoted characters are escaped so they match
// themselves.
export async function expandPattern(sh: Shell, w: Word): Promise<string> {
  if (w.lit !== undefined) return w.lit;
  const f = new Fields(false, '', true);
  await reporting(sh, () => parts(sh, w.parts, f, TOP));
  return f.text();
}

// A redirection's file name: expanded as a command word; ash takes the
// first field.
export async function expandTarget(sh: Shell, w: Word): Promise<string> {
  if (w.lit !== undefined) return w.lit;
  const fields = await expandArgs(sh, [w]);
  return fields[0] ?? '';
}
