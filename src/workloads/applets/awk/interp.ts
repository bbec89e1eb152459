import { Pipe } from '../../procs/pipe';
import type { OutStream } from '../../procs/types';
import { type FsError, isFsError } from '../../rootfs/types';
import { type ConvSpec, formatFloat, formatInt, formatString } from '../common/cformat';
import { strftime } from '../common/date';
import { RegexError, regexSource } from '../common/regex';
import { Input, type Tool, fromBin, toBin } from '../common/tool';
import type { AwkFunction, Expr, Program, Rule, Stmt } from './parse';

// The awk interpreter: values are numbers, strings, or strnums (input that
// looks numeric compares as a number); all text is byte strings.

export class AwkRuntimeError extends Error {}

class StrNum {
  private n?: number | null;
  constructor(readonly s: string) {}
  // The number it looks like, or null when it does not look like one.
  num(): number | null {
    if (this.n === undefined) {
      const t = this.s.replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '');
      this.n = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : /^[+-]?(inf|infinity|nan)$/i.test(t) ? Number(t.replace(/inf(inity)?/i, 'Infinity')) : null;
    }
    return this.n;
  }
}

type Value = number | string | StrNum | undefined;
type AwkArray = Map<string, Value>;

interface Cell {
  v: Value | AwkArray;
  // An untyped variable passed to a function: made an array there, it is
  // one here too.
  link?: Cell;
}

const isArray = (v: Value | AwkArray): v is AwkArray => v instanceof Map;

class Next extends Error {}
class NextFile extends Error {}
class Break extends Error {}
class Continue extends Error {}
class Return extends Error {
  constructor(readonly value: Value) {
    super('return');
  }
}
class ExitAwk extends Error {
  constructor(readonly code: number) {
    super('exit');
  }
}

// strtod's prefix: what a string is worth as a number. glibc's reads hex
// too ("0x1A" is 26, "0x1p4" 16), and busybox awk converts with it.
function strtod(s: string): number {
  const hex = /^[ \t\n\r\f\v]*([+-]?)0[xX](?=\.?[0-9a-fA-F])([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?/.exec(s);
  if (hex) {
    let v = hex[2] ? parseInt(hex[2], 16) : 0;
    const frac = hex[3] ?? '';
    for (let i = 0; i < frac.length; i++) v += parseInt(frac[i], 16) / 16 ** (i + 1);
    if (hex[4]) v *= 2 ** Number(hex[4]);
    return hex[1] === '-' ? -v : v;
  }
  const m = /^[ \t\n\r\f\v]*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(s);
  if (m) return Number(m[1]);
  const inf = /^[ \t\n\r\f\v]*([+-]?)(inf(inity)?|nan)/i.exec(s);
  if (inf) return inf[2].toLowerCase().startsWith('nan') ? NaN : inf[1] === '-' ? -Infinity : Infinity;
  return 0;
}

interface OutFile {
  stream: OutStream;
  close: () => Promise<number>;
}

interface InFile {
  next: () => Promise<string | null>;
  close: () => Promise<number>;
  // Why the last read failed (awk_getline's -1), if it did.
  error?: () => FsError | undefined;
}

export class Awk {
  private globals = new Map<string, Cell>();
  private frames: Map<string, Cell>[] = [];
  private fields: string[] = [];
  private record = '';
  private fieldsValid = true;
  private nf = 0;
  private regexCache = new Map<string, RegExp>();
  private outFiles = new Map<string, OutFile>();
  private inFiles = new Map<string, InFile>();
  private rangeActive: boolean[] = [];
  private main?: InFile;
  private argIndex = 1;
  private exiting = false;
  private exitCode = 0;
  private randSeed = 0;
  private randState = 0;
  private steps = 0;

  constructor(
    private readonly t: Tool,
    private readonly prog: Program,
    argv: string[],
    private readonly srcName: string,
  ) {
    const env = new Map<string, Value>();
    for (const [k, v] of Object.entries(t.ctx.env)) env.set(toBin(k), new StrNum(toBin(v)));
    this.globals.set('ENVIRON', { v: env });
    const args = new Map<string, Value>();
    argv.forEach((a, i) => args.set(String(i), new StrNum(a)));
    this.globals.set('ARGV', { v: args });
    for (const [k, v] of Object.entries({
      ARGC: argv.length,
      FS: ' ',
      OFS: ' ',
      ORS: '\n',
      RS: '\n',
      NR: 0,
      FNR: 0,
      SUBSEP: '\x1c',
      CONVFMT: '%.6g',
      OFMT: '%.6g',
      RSTART: 0,
      RLENGTH: -1,
      FILENAME: '',
    } as Record<string, Value>)) {
      this.globals.set(k, { v });
    }
    this.randState = Math.floor(Math.random() * 0x7fffffff);
  }

  // -v assignments and NAME=value operands: escapes are processed.
  assign(name: string, value: string): void {
    this.cell(name).v = new StrNum(unescapeAssign(value));
  }

  private fail(msg: string): never {
    throw new AwkRuntimeError(`${this.srcName}:1: ${msg}`);
  }

  // ---- variables ----

  private cell(name: string): Cell {
    const frame = this.frames[this.frames.length - 1];
    const local = frame?.get(name);
    if (local) return local;
    let c = this.globals.get(name);
    if (!c) {
      c = { v: undefined };
      this.globals.set(name, c);
    }
    return c;
  }

  private array(name: string): AwkArray {
    const c = this.cell(name);
    if (isArray(c.v)) return c.v;
    if (c.v !== undefined) this.fail('Not an array');
    const a: AwkArray = new Map();
    c.v = a;
    for (let l = c.link; l; l = l.link) if (l.v === undefined) l.v = a;
    return a;
  }

  private scalar(name: string): Value {
    if (name === 'NF') {
      this.splitFields();
      return this.nf;
    }
    const v = this.cell(name).v;
    if (isArray(v)) this.fail(`Can't use array ${name} in scalar context`);
    return v;
  }

  private setScalar(name: string, v: Value): void {
    const c = this.cell(name);
    if (isArray(c.v)) this.fail(`Can't assign to array ${name}`);
    c.v = v;
    if (name === 'NF') {
      this.splitFields();
      this.setNF(Math.trunc(this.num(v)));
    }
  }

  private get(name: string): string {
    return this.str(this.scalar(name));
  }

  // ---- conversions ----

  num(v: Value): number {
    if (typeof v === 'number') return v;
    if (v === undefined) return 0;
    if (typeof v === 'string') return strtod(v);
    return v.num() ?? strtod(v.s);
  }

  str(v: Value, fmt?: string): string {
    if (typeof v === 'string') return v;
    if (v === undefined) return '';
    if (v instanceof StrNum) return v.s;
    if (Number.isInteger(v) && Math.abs(v) < 9.2e18) return String(v);
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    return this.sprintf(fmt ?? this.get('CONVFMT'), [v]);
  }

  private bool(v: Value): boolean {
    if (typeof v === 'number') return v !== 0;
    if (v === undefined) return false;
    if (typeof v === 'string') return v !== '';
    const n = v.num();
    return n !== null ? n !== 0 : v.s !== '';
  }

  private compare(a: Value, b: Value): number {
    const numA = typeof a === 'number' ? a : a === undefined ? 0 : a instanceof StrNum ? a.num() : null;
    const numB = typeof b === 'number' ? b : b === undefined ? 0 : b instanceof StrNum ? b.num() : null;
    if (numA !== null && numB !== null && !(typeof a === 'string' || typeof b === 'string')) return numA < numB ? -1 : numA > numB ? 1 : 0;
    const x = this.str(a);
    const y = this.str(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  // ---- fields ----

  setRecord(s: string): void {
    this.record = s;
    this.fieldsValid = false;
  }

  private splitFields(): void {
    if (this.fieldsValid) return;
    this.fields = this.splitBy(this.record, this.get('FS'), this.get('RS') === '');
    this.nf = this.fields.length;
    this.fieldsValid = true;
  }

  private splitBy(s: string, fs: string, paragraph = false): string[] {
    if (fs === ' ') {
      const t = s.replace(/^[ \t\n]+|[ \t\n]+$/g, '');
      return t === '' ? [] : t.split(/[ \t\n]+/);
    }
    if (s === '') return [];
    let parts: string[];
    if (fs === '') parts = [...s];
    else if (fs.length === 1 && fs !== '\\') parts = s.split(fs);
    else parts = s.split(this.regex(fs));
    if (paragraph) parts = parts.flatMap((p) => p.split('\n'));
    return parts;
  }

  private getField(i: number): Value {
    if (i < 0) this.fail('Access to negative field');
    if (i === 0) return new StrNum(this.record);
    this.splitFields();
    return i <= this.nf ? new StrNum(this.fields[i - 1]) : undefined;
  }

  private setField(i: number, v: Value): void {
    if (i < 0) this.fail('Access to negative field');
    if (i === 0) {
      this.setRecord(this.str(v));
      return;
    }
    this.splitFields();
    while (this.fields.length < i) this.fields.push('');
    this.fields[i - 1] = this.str(v);
    this.nf = this.fields.length;
    this.rebuild();
  }

  private setNF(n: number): void {
    if (n < 0) this.fail('NF set to negative value');
    while (this.fields.length < n) this.fields.push('');
    this.fields.length = n;
    this.nf = n;
    this.rebuild();
  }

  private rebuild(): void {
    this.record = this.fields.join(this.get('OFS'));
    this.fieldsValid = true;
  }

  // ---- regexes ----

  regex(src: string): RegExp {
    let re = this.regexCache.get(src);
    if (!re) {
      try {
        re = new RegExp(regexSource(src, true, true));
      } catch (err) {
        if (err instanceof RegexError || err instanceof SyntaxError) this.fail(`bad regex '${fromBin(src)}'`);
        throw err;
      }
      if (this.regexCache.size > 500) this.regexCache.clear();
      this.regexCache.set(src, re);
    }
    return re;
  }

  private async reOf(e: Expr): Promise<RegExp> {
    if (e.k === 're') return this.regex(e.src);
    return this.regex(this.str(await this.ev(e)));
  }

  // ---- running ----

  async run(operandAssignments: (name: string) => boolean): Promise<number> {
    this.isAssignment = operandAssignments;
    const begins = this.prog.rules.filter((r) => r.begin);
    const mains = this.prog.rules.filter((r) => !r.begin && !r.end);
    const ends = this.prog.rules.filter((r) => r.end);
    this.rangeActive = mains.map(() => false);
    try {
      try {
        for (const r of begins) await this.execBlock(r.action ?? []);
        if (mains.length || ends.length) {
          for (;;) {
            const rec = await this.nextMainRecord();
            if (rec === null) break;
            this.setRecord(rec);
            try {
              for (let i = 0; i < mains.length; i++) {
                if (await this.matches(mains[i], i)) {
                  if (mains[i].action) await this.execBlock(mains[i].action!);
                  else await this.print([], undefined);
                }
              }
            } catch (err) {
              if (err instanceof NextFile) {
                await this.main?.close();
                this.main = undefined;
              } else if (!(err instanceof Next)) throw err;
            }
            await this.yieldStep();
          }
        }
      } catch (err) {
        if (!(err instanceof ExitAwk)) throw err;
        this.exitCode = err.code;
      }
      this.exiting = true;
      try {
        for (const r of ends) await this.execBlock(r.action ?? []);
      } catch (err) {
        if (!(err instanceof ExitAwk)) throw err;
        this.exitCode = err.code;
      }
    } finally {
      await this.closeAll();
    }
    return this.exitCode;
  }

  private isAssignment: (name: string) => boolean = () => false;

  private async matches(r: Rule, i: number): Promise<boolean> {
    if (r.range) {
      if (!this.rangeActive[i]) {
        if (!this.bool(await this.cond(r.range[0]))) return false;
        this.rangeActive[i] = true;
      }
      if (this.bool(await this.cond(r.range[1]))) this.rangeActive[i] = false;
      return true;
    }
    if (!r.pattern) return true;
    return this.bool(await this.cond(r.pattern));
  }

  // A bare regex as a condition matches $0.
  private async cond(e: Expr): Promise<Value> {
    if (e.k === 're') return this.regex(e.src).test(this.record) ? 1 : 0;
    return this.ev(e);
  }

  private async yieldStep(): Promise<void> {
    await this.t.yield();
  }

  // The main input: the operands (files, assignments, '-'), or stdin.
  private async nextMainRecord(): Promise<string | null> {
    for (;;) {
      if (this.main) {
        const r = await this.main.next();
        if (r !== null) {
          this.setScalar('NR', this.num(this.scalar('NR')) + 1);
          this.setScalar('FNR', this.num(this.scalar('FNR')) + 1);
          return r;
        }
        // awk_main's loop: syntax_error(strerror(errno)).
        const failed = this.main.error?.();
        if (failed) this.fail(failed.message);
        await this.main.close();
        this.main = undefined;
        if (this.usedStdin) return null;
      }
      const argc = this.num(this.scalar('ARGC'));
      const argv = this.array('ARGV');
      let opened = false;
      while (this.argIndex < argc) {
        const a = this.str(argv.get(String(this.argIndex++)));
        if (a === '') continue;
        if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(a) && this.isAssignment(a)) {
          const eq = a.indexOf('=');
          this.assign(a.slice(0, eq), a.slice(eq + 1));
          continue;
        }
        this.setScalar('FILENAME', a);
        this.setScalar('FNR', 0);
        this.main = this.recordReader(await this.openInput(a));
        opened = true;
        this.sawFile = true;
        break;
      }
      if (opened) continue;
      if (this.sawFile || this.usedStdin) return null;
      this.usedStdin = true;
      this.main = this.recordReader(this.t.input('-'));
    }
  }

  private sawFile = false;
  private usedStdin = false;

  // A file that will not open ends awk there, as busybox's xfopen_stdin.
  private async openInput(name: string): Promise<Input> {
    try {
      return this.t.input(name === '-' ? '-' : fromBin(name));
    } catch (err) {
      if (!isFsError(err)) throw err;
      return this.t.die(`${fromBin(name)}: ${err.message}`);
    }
  }

  // Records by RS: a newline, another byte, "" for paragraphs, or a regex.
  // Reads are stdio's: one that fails ends the records, and error() says why.
  private recordReader(input: Input): InFile {
    input.asStdio();
    let buf = '';
    let eof = false;
    const fill = async (): Promise<boolean> => {
      if (eof) return false;
      const b = await input.bytes();
      if (b === null) {
        eof = true;
        return false;
      }
      buf += b.toString('latin1');
      return true;
    };
    return {
      next: async () => {
        const rs = this.get('RS');
        if (rs === '\n' || (rs.length === 1 && rs !== '')) {
          if (rs === '\n' && buf === '') {
            const l = await input.line();
            return l;
          }
          for (;;) {
            const at = buf.indexOf(rs);
            if (at >= 0) {
              const r = buf.slice(0, at);
              buf = buf.slice(at + 1);
              return r;
            }
            if (!(await fill())) {
              if (buf === '') return null;
              const r = buf;
              buf = '';
              return r;
            }
          }
        }
        if (rs === '') {
          for (;;) {
            buf = buf.replace(/^\n+/, '');
            const m = /\n\n+/.exec(buf);
            if (m) {
              const r = buf.slice(0, m.index);
              buf = buf.slice(m.index + m[0].length);
              return r;
            }
            if (!(await fill())) {
              if (buf === '') return null;
              // The last paragraph keeps one trailing newline, as busybox's
              // awk_getline ends it at the data's end; two or more go.
              const r = /\n\n+$/.test(buf) ? buf.replace(/\n+$/, '') : buf;
              buf = '';
              return r;
            }
          }
        }
        const re = new RegExp(this.regex(rs).source, 'g');
        for (;;) {
          re.lastIndex = 0;
          const m = re.exec(buf);
          if (m && m[0].length > 0 && (m.index + m[0].length < buf.length || eof)) {
            const r = buf.slice(0, m.index);
            buf = buf.slice(m.index + m[0].length);
            return r;
          }
          if (!(await fill())) {
            if (buf === '') return null;
            const r = buf;
            buf = '';
            return r;
          }
        }
      },
      close: async () => {
        input.close();
        return 0;
      },
      error: () => input.error,
    };
  }

  // ---- statements ----

  private async execBlock(body: Stmt[]): Promise<void> {
    for (const s of body) await this.exec(s);
  }

  private async exec(s: Stmt): Promise<void> {
    switch (s.k) {
      case 'expr':
        await this.ev(s.e);
        return;
      case 'print':
        if (s.printf) {
          const vals: Value[] = [];
          for (const a of s.args) vals.push(await this.ev(a));
          await this.write(this.sprintf(this.str(vals[0]), vals.slice(1)), s.redirect);
        } else await this.print(s.args, s.redirect);
        // Busybox flushes what each print wrote (fflush(F)): stdout's lines
        // and /dev/stderr's come out in the order printed.
        if (this.t.out.pending > 0) await this.t.out.flush();
        return;
      case 'block':
        await this.execBlock(s.body);
        return;
      case 'if':
        if (this.bool(await this.cond(s.c))) await this.exec(s.then);
        else if (s.else) await this.exec(s.else);
        return;
      case 'while':
        while (this.bool(await this.cond(s.c))) {
          if (await this.loopBody(s.body)) break;
        }
        return;
      case 'do':
        do {
          if (await this.loopBody(s.body)) break;
        } while (this.bool(await this.cond(s.c)));
        return;
      case 'for':
        if (s.init) await this.exec(s.init);
        while (!s.c || this.bool(await this.cond(s.c))) {
          if (await this.loopBody(s.body)) break;
          if (s.step) await this.exec(s.step);
        }
        return;
      case 'forin': {
        const arr = this.array(s.arr);
        for (const key of [...arr.keys()]) {
          if (!arr.has(key)) continue;
          this.setScalar(s.v, new StrNum(key));
          if (await this.loopBody(s.body)) break;
        }
        return;
      }
      case 'next':
        if (this.exiting) this.fail('next used in END');
        throw new Next();
      case 'nextfile':
        throw new NextFile();
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
      case 'exit':
        throw new ExitAwk(s.e ? Math.trunc(this.num(await this.ev(s.e))) & 0xff : this.exitCode);
      case 'return':
        throw new Return(s.e ? await this.ev(s.e) : undefined);
      case 'delete': {
        const arr = this.array(s.name);
        if (!s.subs) arr.clear();
        else arr.delete(await this.subscript(s.subs));
        return;
      }
      case 'getline':
        await this.ev(s.e);
        return;
    }
  }

  // Runs a loop body; answers true on break.
  private async loopBody(body: Stmt): Promise<boolean> {
    if (++this.steps % 256 === 0) await this.yieldStep();
    try {
      await this.exec(body);
    } catch (err) {
      if (err instanceof Break) return true;
      if (err instanceof Continue) return false;
      throw err;
    }
    return false;
  }

  // As busybox's OC_PRINT: the output first, then each value written as it
  // is evaluated, so what came before an error (1/0) is out.
  private async print(args: Expr[], redirect: { kind: string; target: Expr } | undefined): Promise<void> {
    const write = await this.output(redirect);
    if (args.length === 0) {
      await write(this.record + this.get('ORS'));
      return;
    }
    for (let i = 0; i < args.length; i++) {
      const v = await this.ev(args[i]);
      await write((typeof v === 'number' ? this.str(v, this.get('OFMT')) : this.str(v)) + this.get(i < args.length - 1 ? 'OFS' : 'ORS'));
    }
  }

  private async write(s: string, redirect: { kind: string; target: Expr } | undefined): Promise<void> {
    await (await this.output(redirect))(s);
  }

  // Where print and printf write: stdout, or the file or command the
  // redirection names, opened on first use.
  private async output(redirect: { kind: string; target: Expr } | undefined): Promise<(s: string) => Promise<void>> {
    if (!redirect) return this.toStdout;
    const name = this.str(await this.ev(redirect.target));
    let f = this.outFiles.get(name);
    if (!f) {
      f = await this.openOut(name, redirect.kind);
      this.outFiles.set(name, f);
    }
    const stream = f.stream;
    return async (s) => {
      try {
        await stream.write(Buffer.from(s, 'latin1'));
      } catch (err) {
        // A stdio FILE: a write that fails (ENOSPC) is kept in its error
        // flag, which awk never looks at; EPIPE is SIGPIPE's.
        if (!isFsError(err) || err.code === 'EPIPE') throw err;
      }
    };
  }

  private readonly toStdout = (s: string): Promise<void> => this.t.out.bin(s);

  private async openOut(name: string, kind: string): Promise<OutFile> {
    const t = this.t;
    if (kind === '|') {
      await t.out.flush();
      const pipe = new Pipe();
      const done = t.ctx.run(['sh', '-c', fromBin(name)], { stdin: pipe.reader }).catch(() => 127);
      return {
        stream: pipe.writer,
        close: async () => {
          pipe.writer.close();
          return done;
        },
      };
    }
    if (name === '/dev/stdout' || name === '-') return { stream: { write: (d) => t.out.chunk(typeof d === 'string' ? Buffer.from(d) : d) }, close: async () => 0 };
    if (name === '/dev/stderr') return { stream: t.ctx.stderr, close: async () => 0 };
    try {
      const o = t.output(fromBin(name), { create: true, truncate: kind === '>', append: kind === '>>' });
      return {
        stream: o.stream,
        close: async () => {
          o.close();
          return 0;
        },
      };
    } catch (err) {
      if (!isFsError(err)) throw err;
      this.fail(`cannot open "${fromBin(name)}" for output: ${err.message}`);
    }
  }

  private async closeAll(): Promise<void> {
    for (const f of this.outFiles.values()) await f.close().catch(() => 0);
    this.outFiles.clear();
    for (const f of this.inFiles.values()) await f.close().catch(() => 0);
    this.inFiles.clear();
    await this.main?.close();
  }

  // ---- expressions ----

  private async subscript(subs: Expr[]): Promise<string> {
    const parts: string[] = [];
    for (const e of subs) parts.push(this.str(await this.ev(e)));
    return parts.join(this.get('SUBSEP'));
  }

  private async assignTo(target: Expr, v: Value): Promise<Value> {
    if (target.k === 'var') this.setScalar(target.name, v);
    else if (target.k === 'field') this.setField(Math.trunc(this.num(await this.ev(target.e))), v);
    else if (target.k === 'index') this.array(target.name).set(await this.subscript(target.subs), v);
    return v;
  }

  private async lvalue(target: Expr): Promise<{ get: () => Value; set: (v: Value) => void }> {
    if (target.k === 'var') return { get: () => this.scalar(target.name), set: (v) => this.setScalar(target.name, v) };
    if (target.k === 'field') {
      const i = Math.trunc(this.num(await this.ev(target.e)));
      return { get: () => this.getField(i), set: (v) => this.setField(i, v) };
    }
    if (target.k === 'index') {
      const arr = this.array(target.name);
      const key = await this.subscript(target.subs);
      return { get: () => arr.get(key), set: (v) => void arr.set(key, v) };
    }
    return this.fail('Unexpected token');
  }

  async ev(e: Expr): Promise<Value> {
    switch (e.k) {
      case 'num':
        return e.v;
      case 'str':
        return e.v;
      case 're':
        return this.regex(e.src).test(this.record) ? 1 : 0;
      case 'group':
        return this.ev(e.e);
      case 'var':
        return this.scalar(e.name);
      case 'field':
        return this.getField(Math.trunc(this.num(await this.ev(e.e))));
      case 'index': {
        const arr = this.array(e.name);
        const key = await this.subscript(e.subs);
        if (!arr.has(key)) arr.set(key, undefined);
        return arr.get(key);
      }
      case 'assign': {
        if (e.op === '=') {
          let v = await this.ev(e.e);
          if (v instanceof StrNum) v = new StrNum(v.s);
          return this.assignTo(e.target, v);
        }
        const lv = await this.lvalue(e.target);
        const r = this.num(await this.ev(e.e));
        const v = this.arith(e.op.slice(0, -1), this.num(lv.get()), r);
        lv.set(v);
        return v;
      }
      case 'cond':
        return this.bool(await this.cond(e.c)) ? this.ev(e.a) : this.ev(e.b);
      case 'or':
        return this.bool(await this.cond(e.a)) || this.bool(await this.cond(e.b)) ? 1 : 0;
      case 'and':
        return this.bool(await this.cond(e.a)) && this.bool(await this.cond(e.b)) ? 1 : 0;
      case 'in':
        return this.array(e.name).has(await this.subscript(e.subs)) ? 1 : 0;
      case 'match': {
        const s = this.str(await this.ev(e.a));
        const re = await this.reOf(e.re);
        return re.test(s) !== e.neg ? 1 : 0;
      }
      case 'cmp': {
        const c = this.compare(await this.ev(e.a), await this.ev(e.b));
        switch (e.op) {
          case '<':
            return c < 0 ? 1 : 0;
          case '<=':
            return c <= 0 ? 1 : 0;
          case '>':
            return c > 0 ? 1 : 0;
          case '>=':
            return c >= 0 ? 1 : 0;
          case '==':
            return c === 0 ? 1 : 0;
          default:
            return c !== 0 ? 1 : 0;
        }
      }
      case 'concat':
        return this.str(await this.ev(e.a)) + this.str(await this.ev(e.b));
      case 'bin':
        return this.arith(e.op, this.num(await this.ev(e.a)), this.num(await this.ev(e.b)));
      case 'unary': {
        const v = await this.ev(e.e);
        if (e.op === '!') return this.bool(v) ? 0 : 1;
        return e.op === '-' ? -this.num(v) : this.num(v);
      }
      case 'incdec': {
        const lv = await this.lvalue(e.target);
        const old = this.num(lv.get());
        const nv = e.op === '++' ? old + 1 : old - 1;
        lv.set(nv);
        return e.prefix ? nv : old;
      }
      case 'call':
        return this.call(e.name, e.args);
      case 'builtin':
        return this.builtin(e.name, e.args);
      case 'getline':
        return this.getline(e);
    }
  }

  private arith(op: string, a: number, b: number): number {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        if (b === 0) this.fail('Division by zero');
        return a / b;
      case '%':
        if (b === 0) this.fail('Division by zero');
        return a % b;
      default:
        return Math.pow(a, b);
    }
  }

  private async call(name: string, args: Expr[]): Promise<Value> {
    const fn: AwkFunction | undefined = this.prog.functions.get(name);
    if (!fn) this.fail('Call to undefined function');
    if (args.length > fn.params.length) this.fail('Too many arguments');
    if (this.frames.length > 1000) this.fail('function call nesting too deep');
    const frame = new Map<string, Cell>();
    for (let i = 0; i < fn.params.length; i++) {
      const a = args[i];
      if (!a) {
        frame.set(fn.params[i], { v: undefined });
        continue;
      }
      if (a.k === 'var' || (a.k === 'group' && a.e.k === 'var')) {
        const name = a.k === 'var' ? a.name : (a.e as { name: string }).name;
        const c = name === 'NF' ? undefined : this.cell(name);
        if (c && isArray(c.v)) {
          frame.set(fn.params[i], { v: c.v });
          continue;
        }
        if (c && c.v === undefined) {
          frame.set(fn.params[i], { v: undefined, link: c });
          continue;
        }
      }
      frame.set(fn.params[i], { v: await this.ev(a) });
    }
    this.frames.push(frame);
    try {
      await this.execBlock(fn.body);
      return undefined;
    } catch (err) {
      if (err instanceof Return) return err.value;
      throw err;
    } finally {
      this.frames.pop();
    }
  }

  private async getline(e: Extract<Expr, { k: 'getline' }>): Promise<Value> {
    let rec: string | null;
    if (e.cmd) {
      const cmd = this.str(await this.ev(e.cmd));
      let f = this.inFiles.get(cmd);
      if (!f) {
        await this.t.out.flush();
        const pipe = new Pipe();
        const done = this.t.ctx
          .run(['sh', '-c', fromBin(cmd)], { stdout: pipe.writer })
          .catch(() => 127)
          .finally(() => pipe.writer.close());
        const reader = this.recordReader(new Input(this.t, pipe.reader, () => pipe.reader.close()));
        f = {
          next: reader.next,
          close: async () => {
            pipe.reader.close();
            return done;
          },
        };
        this.inFiles.set(cmd, f);
      }
      rec = await f.next();
    } else if (e.file) {
      const name = this.str(await this.ev(e.file));
      let f = this.inFiles.get(name);
      if (!f) {
        let input: Input;
        try {
          input = this.t.input(name === '-' ? '-' : fromBin(name));
        } catch (err) {
          if (!isFsError(err)) throw err;
          return -1;
        }
        f = this.recordReader(input);
        this.inFiles.set(name, f);
      }
      rec = await f.next();
      if (rec === null && f.error?.()) return -1;
    } else {
      rec = await this.nextMainRecord();
      if (rec === null) return 0;
      if (!e.target) this.setRecord(rec);
      else await this.assignTo(e.target, new StrNum(rec));
      return 1;
    }
    if (rec === null) return 0;
    if (!e.target) {
      this.setRecord(rec);
      this.setScalar('NR', this.num(this.scalar('NR')) + 1);
    } else await this.assignTo(e.target, new StrNum(rec));
    return 1;
  }

  // ---- builtins ----

  private async builtin(name: string, args: Expr[]): Promise<Value> {
    const arg = async (i: number) => this.ev(args[i]);
    const need = (n: number) => {
      if (args.length < n) this.fail('Too few arguments');
    };
    switch (name) {
      case 'length': {
        if (args.length === 0) return this.record.length;
        const a = args[0];
        if (a.k === 'var' && a.name !== 'NF') {
          const c = this.cell(a.name);
          if (isArray(c.v)) return c.v.size;
        }
        return this.str(await arg(0)).length;
      }
      case 'substr': {
        need(2);
        // busybox's B_ss, not POSIX's: the start truncated and clamped to
        // the string, the length counted from there (substr("abc", 0, 2)
        // is "ab", where gawk says "a").
        const s = this.str(await arg(0));
        const l = s.length;
        let i = Math.trunc(this.num(await arg(1))) - 1;
        if (i > l) i = l;
        if (!(i >= 0)) i = 0;
        let n = args.length > 2 ? Math.trunc(this.num(await arg(2))) : l - i;
        if (!(n > 0)) n = 0;
        return s.slice(i, i + n);
      }
      case 'index': {
        need(2);
        // An empty string is found nowhere (busybox's B_ix).
        const [s, t] = [this.str(await arg(0)), this.str(await arg(1))];
        return t === '' ? 0 : s.indexOf(t) + 1;
      }
      case 'split': {
        need(2);
        const s = this.str(await arg(0));
        const target = args[1];
        if (target.k !== 'var') this.fail('Not an array');
        const arr = this.array(target.name);
        let parts: string[];
        if (args.length > 2) {
          const sep = args[2];
          if (sep.k === 're') parts = s === '' ? [] : s.split(this.regex(sep.src));
          else parts = this.splitBy(s, this.str(await this.ev(sep)));
        } else parts = this.splitBy(s, this.get('FS'));
        arr.clear();
        parts.forEach((p, i) => arr.set(String(i + 1), new StrNum(p)));
        return parts.length;
      }
      case 'sub':
      case 'gsub': {
        need(2);
        const re = await this.reOf(args[0]);
        const repl = this.str(await arg(1));
        const target: Expr = args[2] ?? { k: 'field', e: { k: 'num', v: 0 } };
        const lv = await this.lvalue(target);
        const s = this.str(lv.get());
        const g = new RegExp(re.source, 'g');
        let out = '';
        let pos = 0;
        let count = 0;
        for (let m = g.exec(s); m !== null; m = g.exec(s)) {
          out += s.slice(pos, m.index) + expandRepl(repl, m[0]);
          pos = m.index + m[0].length;
          count++;
          if (m[0].length === 0) {
            if (m.index >= s.length) break;
            out += s[m.index];
            pos = m.index + 1;
            g.lastIndex = m.index + 1;
          }
          if (name === 'sub') break;
        }
        if (count) lv.set(out + s.slice(pos));
        return count;
      }
      case 'match': {
        need(2);
        const s = this.str(await arg(0));
        const re = await this.reOf(args[1]);
        const m = re.exec(s);
        const start = m ? m.index + 1 : 0;
        this.setScalar('RSTART', start);
        this.setScalar('RLENGTH', m ? m[0].length : -1);
        if (args[2] && args[2].k === 'var') {
          const arr = this.array(args[2].name);
          arr.clear();
          if (m) m.forEach((g, i) => g !== undefined && arr.set(String(i), new StrNum(g)));
        }
        return start;
      }
      case 'sprintf': {
        need(1);
        const vals: Value[] = [];
        for (const a of args) vals.push(await this.ev(a));
        return this.sprintf(this.str(vals[0]), vals.slice(1));
      }
      case 'sin':
        return Math.sin(this.num(await arg(0)));
      case 'cos':
        return Math.cos(this.num(await arg(0)));
      case 'atan2':
        need(2);
        return Math.atan2(this.num(await arg(0)), this.num(await arg(1)));
      case 'exp':
        return Math.exp(this.num(await arg(0)));
      case 'log':
        return Math.log(this.num(await arg(0)));
      case 'sqrt':
        return Math.sqrt(this.num(await arg(0)));
      case 'int':
        return Math.trunc(this.num(await arg(0)));
      case 'rand':
        this.randState = (Math.imul(this.randState, 1103515245) + 12345) >>> 0;
        return (this.randState & 0x7fffffff) / 0x80000000;
      case 'srand': {
        const prev = this.randSeed;
        this.randSeed = args.length ? Math.trunc(this.num(await arg(0))) : Math.floor(this.t.ctx.container.clock.now() / 1000);
        this.randState = this.randSeed >>> 0;
        return prev;
      }
      // Busybox's time functions (gawk's), in local time: the container's
      // is UTC.
      case 'systime':
        if (args.length) this.fail('Too many arguments');
        return Math.floor(this.t.ctx.container.clock.now() / 1000);
      case 'strftime': {
        const fmt = args.length > 0 ? this.str(await arg(0)) : '%a %b %d %H:%M:%S %Z %Y';
        const at = args.length > 1 ? Math.trunc(this.num(await arg(1))) * 1000 : this.t.ctx.container.clock.now();
        const out = strftime(fmt, at);
        // strftime(3) into a buffer of MAXVARFMT (240): what does not fit is "".
        return out.length < 240 ? out : '';
      }
      case 'mktime': {
        // do_mktime: "YYYY MM DD HH MM SS [DST]", or -1.
        const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(this.str(await arg(0)));
        if (!m || Number(m[2]) < 1 || Number(m[1]) < 1900) return -1;
        const n = m.slice(1, 7).map(Number);
        return Math.floor(Date.UTC(n[0], n[1] - 1, n[2], n[3], n[4], n[5]) / 1000);
      }
      case 'tolower':
        return this.str(await arg(0)).replace(/[A-Z]/g, (c) => c.toLowerCase());
      case 'toupper':
        return this.str(await arg(0)).replace(/[a-z]/g, (c) => c.toUpperCase());
      case 'system': {
        const cmd = fromBin(this.str(await arg(0)));
        await this.t.out.flush();
        try {
          return await this.t.ctx.run(['sh', '-c', cmd]);
        } catch {
          return 127;
        }
      }
      case 'close': {
        const n = this.str(await arg(0));
        const o = this.outFiles.get(n);
        const i = this.inFiles.get(n);
        this.outFiles.delete(n);
        this.inFiles.delete(n);
        if (o) return o.close();
        if (i) return i.close();
        return -1;
      }
      case 'fflush':
        await this.t.out.flush();
        return 0;
    }
    return this.fail('Call to undefined function');
  }

  sprintf(fmt: string, vals: Value[]): string {
    let out = '';
    let vi = 0;
    const next = (): Value => vals[vi++];
    for (let i = 0; i < fmt.length; i++) {
      const c = fmt[i];
      if (c !== '%') {
        out += c;
        continue;
      }
      if (fmt[i + 1] === '%') {
        out += '%';
        i++;
        continue;
      }
      const m = /^([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?([hlLqjzt]*)([diouxXeEfFgGcs])/.exec(fmt.slice(i + 1));
      if (!m) {
        out += c;
        continue;
      }
      i += m[0].length;
      // awk_printf: "gawk supports %*d and %*.*f, we don't".
      if (m[2] === '*' || m[3] === '*') this.fail('%*x formats are not supported');
      const spec: ConvSpec = { flags: m[1], conv: m[5] };
      if (m[2]) spec.width = Number(m[2]);
      if (m[3] !== undefined) spec.precision = Number(m[3] || '0');
      const v = next();
      switch (spec.conv) {
        case 'd':
        case 'i':
        case 'o':
        case 'u':
        case 'x':
        case 'X': {
          const n = this.num(v);
          out += Number.isFinite(n) ? formatInt(spec.conv === 'i' ? { ...spec, conv: 'd' } : spec, BigInt(Math.trunc(n))) : formatFloat({ ...spec, conv: 'f', precision: 0 }, n);
          break;
        }
        case 'c': {
          let ch: string;
          if (typeof v === 'number') ch = String.fromCharCode(Math.trunc(v) & 0xff);
          else ch = this.str(v).slice(0, 1);
          out += formatString({ ...spec, precision: undefined }, ch);
          break;
        }
        case 's':
          out += formatString(spec, this.str(v));
          break;
        default:
          out += formatFloat(spec, this.num(v));
      }
    }
    return out;
  }
}

// sub/gsub's replacement: & is the match, \& a literal &, \\ a backslash.
function expandRepl(repl: string, matched: string): string {
  let out = '';
  for (let i = 0; i < repl.length; i++) {
    const c = repl[i];
    if (c === '\\' && (repl[i + 1] === '&' || repl[i + 1] === '\\')) {
      out += repl[++i];
    } else if (c === '&') out += matched;
    else out += c;
  }
  return out;
}

// -v and operand assignments take string escapes.
function unescapeAssign(s: string): string {
  return s.replace(/\\(n|t|r|\\|"|\/|[0-7]{1,3})/g, (_m, c: string) => {
    if (c === 'n') return '\n';
    if (c === 't') return '\t';
    if (c === 'r') return '\r';
    if (/^[0-7]+$/.test(c)) return String.fromCharCode(parseInt(c, 8) & 0xff);
    return c;
  });
}

