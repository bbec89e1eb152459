import type { OutStream } from '../procs/types';
import { type FileHandle, isFsError } from '../rootfs/types';
import { RegexError, regexSource } from './common/regex';
import { xmkstemp } from './common/temp';
import { Exit, type Input, type Tool, applet, fromBin, toBin } from './common/tool';

// sed: busybox's commands (s y p P d D n N g G h H x b t T : = l q a i c r
// w { } !), addresses (N, $, /re/, \cREc, A,B  A,+N), and -n -e -f -i
// -r/-E; not GNU's Q z F, first~step, 0,/re/, -s or -z, which busybox's sed
// refuses (line 0 is no address there: `0p` prints every line, a range from
// 0 none). Byte strings throughout.

class SedError extends Error {}

type Addr = { line: number } | { last: true } | { re: RegExp | null };

interface Cmd {
  a1?: Addr;
  a2?: Addr | { plus: number };
  invert: boolean;
  cmd: string;
  // s
  re?: RegExp | null; // null: the last regex used
  repl?: string;
  which?: number; // 0: all (g)
  print?: boolean;
  wfile?: string;
  // a i c r w : b t T
  text?: string;
  // y
  map?: Map<string, string>;
  // q Q
  code?: number;
  // { }
  jump?: number; // for '{': index of matching '}' ; for b/t/T: target
  // range state
  active?: boolean;
  endLine?: number;
}

interface Parsed {
  cmds: Cmd[];
  quiet: boolean;
  wfiles: Set<string>;
}

// The regex for an address or s command: empty means "the last one".
function compile(src: string, extended: boolean, icase: boolean): RegExp | null {
  if (src === '') return null;
  return new RegExp(regexSource(src, extended), 'g' + (icase ? 'i' : ''));
}

// Where an unescaped delimiter ends a regex (brackets hold delimiters).
function delimEnd(s: string, i: number, delim: string, brackets = true): number {
  let bracket = -1;
  let escaped = false;
  for (let k = i; k < s.length; k++) {
    const ch = s[k];
    if (bracket >= 0) {
      if (ch === ']' && !(bracket === k - 1 || (bracket === k - 2 && s[k - 1] === '^'))) bracket = -1;
    } else if (escaped) escaped = false;
    else if (ch === '\\') escaped = true;
    else if (brackets && ch === '[') bracket = k;
    else if (ch === delim) return k;
  }
  throw new SedError(`unmatched '${delim}'`);
}

// \n \t \r, and \DELIM for the delimiter.
function unescapeRe(s: string, delim: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) {
      const n = s[i + 1];
      if (n === 'n') out += '\n';
      else if (n === 't') out += '\t';
      else if (n === 'r') out += '\r';
      else if (n === delim && delim !== '&' && !'.*[]^$+?(){}|'.includes(delim)) out += n;
      else if (n === delim) out += '\\' + n;
      else out += '\\' + n;
      i++;
    } else out += s[i];
  }
  return out;
}

function parseScript(script: string, extended: boolean): Parsed {
  const cmds: Cmd[] = [];
  const wfiles = new Set<string>();
  let quiet = false;
  let i = 0;
  const s = script;
  const skipWs = () => {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const address = (): Addr | undefined => {
    const c = s[i];
    if (c >= '0' && c <= '9') {
      let n = '';
      while (s[i] >= '0' && s[i] <= '9') n += s[i++];
      return { line: Number(n) };
    }
    if (c === '$') {
      i++;
      return { last: true };
    }
    if (c === '/' || c === '\\') {
      let delim = '/';
      if (c === '\\') delim = s[++i];
      i++;
      const end = delimEnd(s, i, delim);
      const src = unescapeRe(s.slice(i, end), delim);
      i = end + 1;
      let icase = false;
      while (s[i] === 'I') {
        icase = true;
        i++;
      }
      return { re: compile(src, extended, icase) };
    }
    return undefined;
  };
  const toEol = (): string => {
    const nl = s.indexOf('\n', i);
    const end = nl < 0 ? s.length : nl;
    const r = s.slice(i, end);
    i = end;
    return r;
  };
  const label = (): string => {
    skipWs();
    let l = '';
    while (i < s.length && s[i] !== ';' && s[i] !== '\n' && s[i] !== ' ' && s[i] !== '\t' && s[i] !== '}') l += s[i++];
    return l;
  };
  const braces: number[] = [];
  while (i < s.length) {
    while (i < s.length && (s[i] === ';' || s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
    if (i >= s.length) break;
    if (s[i] === '#') {
      if (s[i + 1] === 'n' && (s[i + 2] === '\n' || i + 2 === s.length) && i === 0) quiet = true;
      toEol();
      continue;
    }
    const cmd: Cmd = { invert: false, cmd: '' };
    cmd.a1 = address();
    if (cmd.a1 && s[i] === ',') {
      i++;
      skipWs();
      if (s[i] === '+' && /\d/.test(s[i + 1] ?? '')) {
        i++;
        let n = '';
        while (s[i] >= '0' && s[i] <= '9') n += s[i++];
        cmd.a2 = { plus: Number(n) };
      } else {
        cmd.a2 = address();
        if (!cmd.a2) throw new SedError('no address after comma');
      }
    }
    skipWs();
    while (s[i] === '!') {
      cmd.invert = true;
      i++;
      skipWs();
    }
    if (i >= s.length) throw new SedError('missing command');
    cmd.cmd = s[i++];
    switch (cmd.cmd) {
      case '{':
        braces.push(cmds.length);
        break;
      case '}':
        if (braces.length === 0) throw new SedError("unexpected '}'");
        cmds[braces.pop()!].jump = cmds.length;
        break;
      case 's': {
        const delim = s[i++];
        if (delim === undefined || delim === '\n' || delim === '\\') throw new SedError('bad format in substitution expression');
        const e1 = delimEnd(s, i, delim);
        const src = unescapeRe(s.slice(i, e1), delim);
        i = e1 + 1;
        const e2 = delimEnd(s, i, delim, false);
        let repl = s.slice(i, e2);
        // \DELIM in the replacement is the delimiter itself.
        repl = repl.replace(new RegExp(`\\\\(${delim.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')})`, 'g'), delim === '&' ? '\\&' : '$1');
        i = e2 + 1;
        cmd.repl = repl;
        cmd.which = 1;
        let icase = false;
        flags: while (i < s.length) {
          const f = s[i];
          if (f >= '0' && f <= '9') {
            let n = '';
            while (s[i] >= '0' && s[i] <= '9') n += s[i++];
            cmd.which = Number(n);
            continue;
          }
          switch (f) {
            case 'g':
              cmd.which = 0;
              break;
            case 'p':
              cmd.print = true;
              break;
            case 'i':
            case 'I':
              icase = true;
              break;
            case 'w':
              i++;
              skipWs();
              cmd.wfile = toEol();
              wfiles.add(cmd.wfile);
              break flags;
            case ' ':
            case '\t':
              break;
            case ';':
            case '\n':
            case '}':
            case '#':
              break flags;
            default:
              throw new SedError('bad option in substitution expression');
          }
          i++;
        }
        cmd.re = compile(src, extended, icase);
        break;
      }
      case 'y': {
        const delim = s[i++];
        const e1 = delimEnd(s, i, delim, false);
        const from = unescapeRe(s.slice(i, e1), delim).replace(/\\\\/g, '\\');
        i = e1 + 1;
        const e2 = delimEnd(s, i, delim, false);
        const to = unescapeRe(s.slice(i, e2), delim).replace(/\\\\/g, '\\');
        i = e2 + 1;
        if (from.length !== to.length) throw new SedError("strings for 'y' command are different lengths");
        cmd.map = new Map([...from].map((c, k) => [c, to[k]]));
        break;
      }
      case 'a':
      case 'i':
      case 'c': {
        if (cmd.cmd !== 'c' && cmd.a2) throw new SedError(`command '${cmd.cmd}' uses only one address`);
        // "a\<newline>text", "a\text" and GNU's "a text"; lines end with a
        // backslash to go on.
        while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
        if (s[i] === '\\') {
          i++;
          if (s[i] === '\n') i++;
        }
        let text = '';
        for (;;) {
          const nl = s.indexOf('\n', i);
          const end = nl < 0 ? s.length : nl;
          let line = s.slice(i, end);
          i = end;
          const cont = /(^|[^\\])(\\\\)*\\$/.test(line);
          if (cont) line = line.slice(0, -1);
          text += line.replace(/\\(.)/g, (_m, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c));
          if (cont && i < s.length) {
            text += '\n';
            i++;
            continue;
          }
          break;
        }
        cmd.text = text;
        break;
      }
      case 'r':
      case 'w':
        if (cmd.cmd === 'r' && cmd.a2) throw new SedError("command 'r' uses only one address");
        skipWs();
        cmd.text = toEol();
        if (cmd.text === '') throw new SedError('empty filename');
        if (cmd.cmd === 'w') wfiles.add(cmd.text);
        break;
      case ':':
        if (cmd.a1) throw new SedError(': doesn\'t want any addresses');
        cmd.text = label();
        if (!cmd.text) throw new SedError("\":\" lacks a label");
        break;
      case 'b':
      case 't':
      case 'T':
        cmd.text = label();
        break;
      case 'q': {
        skipWs();
        let n = '';
        while (s[i] >= '0' && s[i] <= '9') n += s[i++];
        cmd.code = n ? Number(n) : 0;
        break;
      }
      case 'l': {
        skipWs();
        while (s[i] >= '0' && s[i] <= '9') i++;
        break;
      }
      case '=':
      case 'd':
      case 'D':
      case 'g':
      case 'G':
      case 'h':
      case 'H':
      case 'n':
      case 'N':
      case 'p':
      case 'P':
      case 'x':
        break;
      default:
        throw new SedError(`unsupported command ${fromBin(cmd.cmd)}`);
    }
    cmds.push(cmd);
  }
  if (braces.length) throw new SedError("unmatched '{'");
  // Resolve jumps to labels.
  for (const c of cmds) {
    if (c.cmd === 'b' || c.cmd === 't' || c.cmd === 'T') {
      if (!c.text) c.jump = cmds.length;
      else {
        const at = cmds.findIndex((x) => x.cmd === ':' && x.text === c.text);
        if (at < 0) throw new SedError(`can't find label for jump to '${fromBin(c.text)}'`);
        c.jump = at;
      }
    }
  }
  return { cmds, quiet, wfiles };
}

// A line source across the input files, with one line of lookahead so that
// `$` is known. With -i/-s each file is its own stream: the source stops at
// a file's end until nextFile().
class Lines {
  private fi = 0;
  private input?: Input;
  private next?: { text: string; newline: boolean } | null;
  private stopped = false;
  lineno = 0;
  errors = false;

  constructor(
    private readonly t: Tool,
    private readonly files: string[],
    private readonly sep: string,
    private readonly perFile: boolean,
    private readonly onFile?: (name: string) => Promise<void>,
    private readonly onFileEnd?: () => Promise<void>,
  ) {}

  private async open(): Promise<boolean> {
    while (this.fi < this.files.length) {
      const name = this.files[this.fi++];
      try {
        this.input = this.t.input(name);
        if (this.onFile) await this.onFile(name);
        return true;
      } catch (err) {
        if (!isFsError(err)) throw err;
        await this.t.perror(name, err);
        this.errors = true;
      }
    }
    return false;
  }

  private async fetch(): Promise<{ text: string; newline: boolean } | null> {
    for (;;) {
      if (this.stopped) return null;
      if (!this.input && !(await this.open())) return null;
      let l: string | null;
      try {
        l = await this.input!.record(this.sep);
      } catch (err) {
        // A read that fails (a directory: fopen worked, read() gives
        // EISDIR) is the end of that file to busybox's sed, said nowhere.
        if (!isFsError(err) || err.code === 'EPIPE') throw err;
        l = null;
      }
      if (l !== null) return { text: l, newline: this.input!.newline };
      this.input!.close();
      this.input = undefined;
      if (this.perFile) {
        this.stopped = true;
        return null;
      }
    }
  }

  // The next line, or null at the end (of the file, with -i/-s).
  async read(): Promise<{ text: string; newline: boolean } | null> {
    const cur = this.next !== undefined ? this.next : await this.fetch();
    this.next = undefined;
    if (cur) this.lineno++;
    return cur;
  }

  async isLast(): Promise<boolean> {
    if (this.next === undefined) this.next = await this.fetch();
    return this.next === null;
  }

  // -i/-s: on to the next file; false when there is none.
  async nextFile(): Promise<boolean> {
    if (!this.perFile) return false;
    if (this.onFileEnd) await this.onFileEnd();
    this.next = undefined;
    this.stopped = false;
    this.lineno = 0;
    return this.fi < this.files.length;
  }
}

// l: the pattern space unambiguously, wrapped at 70.
function listLine(ps: string, width = 70): string {
  const esc: Record<string, string> = { '\\': '\\\\', '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
  let out = '';
  let col = 0;
  for (const c of ps) {
    const code = c.charCodeAt(0);
    const e = esc[c] ?? (code < 32 || code >= 127 ? '\\' + code.toString(8).padStart(3, '0') : c);
    if (width > 1 && col + e.length > width - 1) {
      out += '\\\n';
      col = 0;
    }
    out += e;
    col += e.length;
  }
  return out + '$\n';
}

// The replacement of an s command for one match: & and \1..\9.
function expand(repl: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c === '\\' && i + 1 < repl.length) {
      const n = repl[++i];
      if (n >= '0' && n <= '9') out += m[Number(n)] ?? '';
      else if (n === 'n') out += '\n';
      else if (n === 't') out += '\t';
      else if (n === 'r') out += '\r';
      else if (n === '\n') out += '\n';
      else out += n;
    } else if (c === '&') out += m[0];
    else out += c;
  }
  return out;
}

export const sed = applet(async (t) => {
  // busybox's answer to autoconf, before any option is read.
  if (t.args[0] === '--version') {
    await t.out.text('This is not GNU sed version 4.0\n');
    return 0;
  }
  const p = t.parse({
    short: 'i::rEne:f:',
    long: {
      'in-place': 'i::',
      'regexp-extended': 'r',
      quiet: 'n',
      silent: 'n',
      expression: 'e:',
      file: 'f:',
    },
  });
  return runSed(t, p);
});

async function runSed(t: Tool, p: ReturnType<Tool['parse']>): Promise<number> {
  const extended = p.has('r') || p.has('E');
  let ops = p.operands;
  const pieces: string[] = [];
  for (const o of p.seen) {
    if (o.key === 'e') pieces.push(toBin(o.value!));
    if (o.key === 'f') {
      let input: Input;
      try {
        input = t.input(o.value!);
      } catch (err) {
        if (!isFsError(err)) throw err;
        return t.die(`can't open '${o.value}': ${err.message}`);
      }
      try {
        pieces.push((await input.all()).replace(/\n$/, ''));
      } finally {
        input.close();
      }
    }
  }
  if (pieces.length === 0) {
    if (ops.length === 0) return t.usage();
    pieces.push(toBin(ops[0]));
    ops = ops.slice(1);
  }
  let prog: Parsed;
  try {
    prog = parseScript(pieces.join('\n'), extended);
  } catch (err) {
    if (err instanceof SedError || err instanceof RegexError) return t.die(err.message);
    if (err instanceof SyntaxError) return t.die(`bad regex: ${err.message}`);
    throw err;
  }
  const quiet = p.has('n') || prog.quiet;
  const inPlace = p.has('i');
  const suffix = p.value('i');
  if (inPlace && ops.length === 0) return t.die('no input files');
  const files = ops.length ? ops : ['-'];
  const sep = '\n';

  // Output: stdout, or the file being edited in place.
  let out: (s: string) => Promise<void> = (s) => t.out.bin(s);
  let editing: { name: string; tmp: string; fh: FileHandle } | undefined;
  const wHandles = new Map<string, OutStream & { close(): void }>();
  const fs = t.ctx.fs;
  const openW = (name: string): OutStream & { close(): void } => {
    let h = wHandles.get(name);
    if (!h) {
      if (name === '/dev/stdout') h = { write: (d) => t.out.chunk(typeof d === 'string' ? Buffer.from(d, 'latin1') : d), close: () => {} };
      else if (name === '/dev/stderr') h = { write: (d) => t.ctx.stderr.write(d), close: () => {} };
      else {
        const fh = t.open(fromBin(name), { write: true, create: true, truncate: true });
        h = { write: async (d) => void fh.write(typeof d === 'string' ? Buffer.from(d, 'latin1') : d), close: () => fh.close() };
      }
      wHandles.set(name, h);
    }
    return h;
  };
  try {
    for (const w of prog.wfiles) openW(w);
  } catch (err) {
    if (!isFsError(err)) throw err;
    return t.die(`can't open '${err.path}': ${err.message}`);
  }

  const finishEdit = async () => {
    if (!editing) return;
    const e = editing;
    editing = undefined;
    e.fh.close();
    const path = t.path(e.name);
    if (suffix) fs.rename(path, path + suffix);
    fs.rename(t.path(e.tmp), path);
    out = (s) => t.out.bin(s);
  };
  const lines = new Lines(
    t,
    files,
    sep,
    inPlace,
    inPlace
      ? async (name) => {
          const path = t.path(name);
          const st = fs.stat(path);
          // xmkstemp("NAMEXXXXXX"), then fchmod to the file's mode; one
          // that cannot be made ends sed.
          const { name: tmp, fh } = await xmkstemp(t, name);
          fs.chmod(t.path(tmp), st.mode & 0o7777);
          editing = { name, tmp, fh };
          out = async (s) => void fh.write(Buffer.from(s, 'latin1'));
        }
      : undefined,
    inPlace ? finishEdit : undefined,
  );

  const cmds = prog.cmds;
  let lastRe: RegExp | null = null;
  const useRe = (re: RegExp | null | undefined): RegExp => {
    const r = re ?? lastRe;
    if (!r) throw new SedError('no previous regexp');
    lastRe = r;
    return r;
  };
  const test = (re: RegExp | null, s: string): boolean => {
    const r = useRe(re);
    r.lastIndex = 0;
    return r.test(s);
  };

  let ps = '';
  let hold = '';
  let newline = true;
  let status = 0;
  let quit = false;
  let append: string[] = [];

  const matchAddr = async (a: Addr, line: string): Promise<boolean> => {
    if ('line' in a) return lines.lineno === a.line;
    if ('last' in a) return lines.isLast();
    return test(a.re, line);
  };

  // Line 0 is busybox's "no address": alone it takes every line; a range
  // from it never starts.
  const selected = async (c: Cmd): Promise<boolean> => {
    if (!c.a1) return true;
    const zero = 'line' in c.a1 && c.a1.line === 0;
    if (!c.a2) return zero || matchAddr(c.a1, ps);
    if (c.active) {
      const a2 = c.a2;
      if ('plus' in a2) {
        if (lines.lineno >= c.endLine!) c.active = false;
      } else if ('line' in a2) {
        if (lines.lineno >= a2.line) c.active = false;
        if (lines.lineno > a2.line) return false;
      } else if (await matchAddr(a2, ps)) c.active = false;
      return true;
    }
    if (!zero && (await matchAddr(c.a1, ps))) {
      const a2 = c.a2;
      c.active = true;
      if ('plus' in a2) {
        c.endLine = lines.lineno + a2.plus;
        if (a2.plus === 0) c.active = false;
      } else if ('line' in a2) {
        if (a2.line <= lines.lineno) c.active = false;
      } else if ('last' in a2) {
        if (await lines.isLast()) c.active = false;
      }
      return true;
    }
    return false;
  };

  const emit = async (s: string, nl = true) => out(s + (nl ? sep : ''));
  const flushAppend = async () => {
    for (const a of append) {
      if (a.startsWith('\u0000r')) {
        const name = fromBin(a.slice(2));
        try {
          const input = t.input(name);
          try {
            for (let b = await input.bytes(); b !== null; b = await input.bytes()) await out(b.toString('latin1'));
          } finally {
            input.close();
          }
        } catch (err) {
          if (!isFsError(err)) throw err;
        }
      } else await emit(a);
    }
    append = [];
  };
  const endCycle = async (print: boolean) => {
    if (print && !quiet) await emit(ps, newline || !(await lines.isLast()));
    await flushAppend();
  };

  try {
    let line = await lines.read();
    outer: for (;;) {
      if (line === null) {
        if (!(await lines.nextFile())) break;
        line = await lines.read();
        continue;
      }
      ps = line.text;
      newline = line.newline;
      let tflag = false;
      let restartNoRead = false;
      do {
        restartNoRead = false;
        let pc = 0;
        let autoprint = true;
        cycle: while (pc < cmds.length) {
          const c = cmds[pc];
          let sel = await selected(c);
          if (c.invert) sel = !sel;
          if (!sel) {
            pc = c.cmd === '{' ? c.jump! + 1 : pc + 1;
            continue;
          }
          pc++;
          switch (c.cmd) {
            case '{':
            case '}':
            case ':':
              break;
            case '=':
              await out(`${lines.lineno}\n`);
              break;
            case 'a':
              append.push(c.text!);
              break;
            case 'i':
              await emit(c.text!);
              break;
            case 'c':
              // In a range, the text goes out at its end only.
              if (!c.a2 || !c.active) await emit(c.text!);
              autoprint = false;
              break cycle;
            case 'r':
              append.push('\u0000r' + c.text!);
              break;
            case 'w':
              await openW(c.text!).write(Buffer.from(ps + sep, 'latin1'));
              break;
            case 'd':
              autoprint = false;
              break cycle;
            case 'D': {
              const nl = ps.indexOf('\n');
              if (nl < 0) {
                autoprint = false;
                break cycle;
              }
              ps = ps.slice(nl + 1);
              await flushAppend();
              restartNoRead = true;
              autoprint = false;
              break cycle;
            }
            case 'g':
              ps = hold;
              break;
            case 'G':
              ps += '\n' + hold;
              break;
            case 'h':
              hold = ps;
              break;
            case 'H':
              hold += '\n' + ps;
              break;
            case 'x':
              [ps, hold] = [hold, ps];
              break;
            case 'l':
              await out(listLine(ps));
              break;
            case 'n': {
              if (!quiet) await emit(ps, newline || !(await lines.isLast()));
              await flushAppend();
              if (await lines.isLast()) {
                autoprint = false;
                quit = true;
                break cycle;
              }
              const nx = (await lines.read())!;
              ps = nx.text;
              newline = nx.newline;
              break;
            }
            case 'N': {
              if (await lines.isLast()) {
                // GNU: print the pattern space and end.
                quit = true;
                break cycle;
              }
              const nx = (await lines.read())!;
              ps += '\n' + nx.text;
              newline = nx.newline;
              break;
            }
            case 'p':
              await emit(ps);
              break;
            case 'P': {
              const nl = ps.indexOf('\n');
              await emit(nl < 0 ? ps : ps.slice(0, nl));
              break;
            }
            case 'q':
              status = c.code!;
              quit = true;
              break cycle;
            case 'y':
              ps = [...ps].map((ch) => c.map!.get(ch) ?? ch).join('');
              break;
            case 'b':
              pc = c.jump!;
              break;
            case 't':
              if (tflag) {
                tflag = false;
                pc = c.jump!;
              }
              break;
            case 'T':
              if (!tflag) pc = c.jump!;
              else tflag = false;
              break;
            case 's': {
              const re = useRe(c.re);
              re.lastIndex = 0;
              let result = '';
              let pos = 0;
              let count = 0;
              let did = false;
              let prevEmpty = true;
              for (let m = re.exec(ps); m !== null; m = re.exec(ps)) {
                const start = m.index;
                const end = start + m[0].length;
                count++;
                if (c.which === 0 || c.which === count) {
                  if (prevEmpty || start !== pos || start !== end) {
                    result += ps.slice(pos, start) + expand(c.repl!, m);
                    did = true;
                  } else result += ps.slice(pos, start);
                } else result += ps.slice(pos, end);
                pos = end;
                prevEmpty = start === end;
                if (start === end) {
                  if (end >= ps.length) break;
                  result += ps[end];
                  pos = end + 1;
                  re.lastIndex = end + 1;
                }
                if (c.which !== 0 && count >= c.which!) break;
              }
              if (did) {
                ps = result + ps.slice(pos);
                tflag = true;
                if (c.print) await emit(ps);
                if (c.wfile) await openW(c.wfile).write(Buffer.from(ps + sep, 'latin1'));
              }
              break;
            }
          }
          if (quit) break;
        }
        await endCycle(autoprint);
        if (quit) break outer;
        await t.yield();
      } while (restartNoRead);
      line = await lines.read();
    }
    if (quit) await finishEdit();
  } catch (err) {
    if (err instanceof SedError) {
      await t.error(err.message);
      throw new Exit(1);
    }
    throw err;
  } finally {
    for (const h of wHandles.values()) h.close();
  }
  // A file that would not open: EXIT_FAILURE, unless q gave a status.
  return status || (lines.errors ? 1 : 0);
}
