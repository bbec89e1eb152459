import type { Stat } from '../rootfs/types';
import { fnmatch } from './common/glob';
import { translateRegex } from './common/regex';
import { type Tool, applet, toBin } from './common/tool';

// test, [ and [[: busybox's test.c grammar.
//   oexpr ::= aexpr | aexpr -o oexpr     aexpr ::= nexpr | nexpr -a aexpr
//   nexpr ::= primary | ! primary        primary ::= unop arg | arg binop arg | arg | ( oexpr )
// Status 0 true, 1 false, 2 with a message on a syntax error.

type Tok =
  | 'EOI'
  | 'UNOP'
  | 'BINOP'
  | 'UNOT'
  | 'BAND'
  | 'BOR'
  | 'LPAREN'
  | 'RPAREN'
  | 'OPERAND';

const UNOPS = new Set(['-r', '-w', '-x', '-e', '-f', '-d', '-c', '-b', '-p', '-u', '-g', '-k', '-s', '-t', '-z', '-n', '-h', '-O', '-G', '-L', '-S']);
const BINOPS = new Set(['=', '==', '!=', '<', '>', '=~', '-eq', '-ne', '-ge', '-gt', '-le', '-lt', '-nt', '-ot', '-ef']);

class Syntax extends Error {}

class TestEval {
  private i = 0;
  private lastOp: string | undefined;

  constructor(
    private readonly t: Tool,
    private readonly argv: (string | null)[],
    private readonly bash2: boolean,
  ) {}

  private arg(k: number): string | null {
    return this.argv[k] ?? null;
  }

  private check(s: string | null): Tok {
    this.lastOp = undefined;
    if (s === null) return 'EOI';
    let tok: Tok | undefined;
    if (UNOPS.has(s)) tok = 'UNOP';
    else if (BINOPS.has(s)) tok = s === '=~' && !this.bash2 ? undefined : 'BINOP';
    else if (s === '!') tok = 'UNOT';
    else if (s === '-a' || s === '&&') tok = this.bash2 === (s[0] === '-') ? undefined : 'BAND';
    else if (s === '-o' || s === '||') tok = this.bash2 === (s[0] === '-') ? undefined : 'BOR';
    else if (s === '(') tok = 'LPAREN';
    else if (s === ')') tok = 'RPAREN';
    if (!tok) return 'OPERAND';
    this.lastOp = s;
    return tok;
  }

  private opType(op: string | undefined): 'UNOP' | 'BINOP' | 'OTHER' {
    if (op === undefined) return 'OTHER';
    if (UNOPS.has(op)) return 'UNOP';
    if (BINOPS.has(op)) return 'BINOP';
    return 'OTHER';
  }

  syntax(op: string | null, msg: string): never {
    throw new Syntax(op ? `${op}: ${msg}` : msg);
  }

  private getn(s: string): bigint {
    const m = /^[ \t\n\v\f\r]*([+-]?\d+)[ \t\n\v\f\r]*$/.exec(s);
    if (!m) this.syntax(s, 'bad number');
    const v = BigInt(m[1]);
    if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) this.syntax(s, 'out of range');
    return v;
  }

  private stat(path: string, follow = true): Stat | undefined {
    try {
      return follow ? this.t.ctx.fs.stat(this.t.path(path)) : this.t.ctx.fs.lstat(this.t.path(path));
    } catch {
      return undefined;
    }
  }

  private binop(): boolean {
    const opnd1 = this.arg(this.i)!;
    this.check(this.arg(++this.i));
    const op = this.lastOp!;
    const opnd2 = this.arg(++this.i);
    if (opnd2 === null) this.syntax(this.arg(this.i - 1), 'argument expected');
    switch (op) {
      case '-eq':
      case '-ne':
      case '-ge':
      case '-gt':
      case '-le':
      case '-lt': {
        const a = this.getn(opnd1);
        const b = this.getn(opnd2);
        if (op === '-eq') return a === b;
        if (op === '-ne') return a !== b;
        if (op === '-ge') return a >= b;
        if (op === '-gt') return a > b;
        if (op === '-le') return a <= b;
        return a < b;
      }
    }
    if (this.bash2) {
      if (op === '=' || op === '==') return fnmatch(opnd2, opnd1);
      if (op === '!=') return !fnmatch(opnd2, opnd1);
      if (op === '=~') {
        let re: RegExp;
        try {
          re = translateRegex(toBin(opnd2), { extended: true });
        } catch {
          throw new Syntax('');
        }
        return re.test(toBin(opnd1));
      }
    }
    if (op === '=' || op === '==' || op === '!=' || op === '<' || op === '>') {
      const a = Buffer.from(opnd1);
      const b = Buffer.from(opnd2);
      const c = Buffer.compare(a, b);
      if (op === '=' || op === '==') return c === 0;
      if (op === '!=') return c !== 0;
      if (op === '<') return c < 0;
      return c > 0;
    }
    const s1 = this.stat(opnd1);
    const s2 = this.stat(opnd2);
    if (!s1 || !s2) return false;
    if (op === '-nt') return Math.floor(s1.mtimeMs / 1000) > Math.floor(s2.mtimeMs / 1000);
    if (op === '-ot') return Math.floor(s1.mtimeMs / 1000) < Math.floor(s2.mtimeMs / 1000);
    return s1.dev === s2.dev && s1.ino === s2.ino;
  }

  private access(st: Stat, mode: number): boolean {
    const id = this.t.ctx.proc.identity;
    if (id.uid === 0) {
      if (mode !== 1) return true;
      if (st.mode & 0o111) return true;
    }
    if (st.uid === id.uid) mode <<= 6;
    else if (st.gid === id.gid || id.groups.includes(st.gid)) mode <<= 3;
    return (st.mode & mode) !== 0;
  }

  private filstat(name: string, op: string): boolean {
    if (op === '-h' || op === '-L') return this.stat(name, false)?.type === 'symlink';
    const st = this.stat(name);
    if (!st) return false;
    const id = this.t.ctx.proc.identity;
    switch (op) {
      case '-e':
        return true;
      case '-r':
        return this.access(st, 4);
      case '-w':
        return this.access(st, 2);
      case '-x':
        return this.access(st, 1);
      case '-f':
        return st.type === 'file';
      case '-d':
        return st.type === 'dir';
      case '-c':
        return st.type === 'chardev';
      case '-b':
        return st.type === 'blockdev';
      case '-p':
        return st.type === 'fifo';
      case '-S':
        return st.type === 'socket';
      case '-u':
        return (st.mode & 0o4000) !== 0;
      case '-g':
        return (st.mode & 0o2000) !== 0;
      case '-k':
        return (st.mode & 0o1000) !== 0;
      case '-s':
        return st.size > 0;
      case '-O':
        return st.uid === id.uid;
      case '-G':
        return st.gid === id.gid;
    }
    return true;
  }

  private isatty(fd: bigint): boolean {
    if (fd === 0n) return this.t.ctx.stdin.isTTY === true;
    if (fd === 1n) return this.t.ctx.stdout.isTTY === true;
    if (fd === 2n) return this.t.ctx.stderr.isTTY === true;
    return false;
  }

  nexpr(n: Tok): boolean {
    if (n === 'UNOT') {
      n = this.check(this.arg(++this.i));
      if (n === 'EOI') {
        this.i--;
        return true;
      }
      return !this.nexpr(n);
    }
    return this.primary(n);
  }

  aexpr(n: Tok): boolean {
    const res = this.nexpr(n);
    if (this.check(this.arg(++this.i)) === 'BAND') {
      return this.aexpr(this.check(this.arg(++this.i))) && res;
    }
    this.i--;
    return res;
  }

  oexpr(n: Tok): boolean {
    const res = this.aexpr(n);
    if (this.check(this.arg(++this.i)) === 'BOR') {
      return this.oexpr(this.check(this.arg(++this.i))) || res;
    }
    this.i--;
    return res;
  }

  primary(n: Tok): boolean {
    if (n === 'EOI') this.syntax(null, 'argument expected');
    if (n === 'LPAREN') {
      const res = this.oexpr(this.check(this.arg(++this.i)));
      if (this.check(this.arg(++this.i)) !== 'RPAREN') this.syntax(null, 'closing paren expected');
      return res;
    }
    const arg0op = this.lastOp;
    if (this.check(this.arg(this.i + 1)) !== 'EOI') {
      if (this.arg(this.i + 2) !== null && this.opType(this.lastOp) === 'BINOP') return this.binop();
    }
    const nextOp = this.lastOp;
    if (this.opType(arg0op) === 'UNOP') {
      if (this.arg(this.i + 1) !== null) {
        this.i++;
        const a = this.arg(this.i)!;
        if (arg0op === '-z') return a === '';
        if (arg0op === '-n') return a !== '';
        if (arg0op === '-t') return this.isatty(this.getn(a));
        return this.filstat(a, arg0op!);
      }
      return this.arg(this.i)! !== '';
    }
    if (this.opType(nextOp) === 'BINOP') return this.binop();
    return this.arg(this.i)! !== '';
  }

  // test_main after the brackets are checked; answers the status.
  // POSIX's special cases for up to four arguments first (test '(' = '(');
  // like busybox, the general parse then starts again from the first one.
  run(): number {
    const a = this.argv;
    let b = 0;
    let negate = false;
    for (;;) {
      if (a[b] == null) return negate ? 0 : 1;
      if (a[b + 1] == null) return (a[b] === '') !== negate ? 1 : 0;
      if (a[b + 2] != null) {
        if (a[b + 3] == null) {
          this.check(a[b + 1]);
          if (this.opType(this.lastOp) === 'BINOP') {
            this.i = b;
            return !this.binop() !== negate ? 1 : 0;
          }
        } else if (a[b + 4] == null && a[b] === '(' && a[b + 3] === ')') {
          a[b + 3] = null;
          b++;
        }
      }
      if (a[b] === '!') {
        b++;
        negate = !negate;
        continue;
      }
      break;
    }
    this.i = 0;
    const res = this.oexpr(this.check(this.arg(0))) ? 0 : 1;
    if (this.arg(this.i) !== null && this.arg(++this.i) !== null) {
      throw new Syntax(`${this.arg(this.i)}: unknown operand`);
    }
    return res;
  }
}

export async function runTest(t: Tool, args: string[], bracket: '' | '[' | '[['): Promise<number> {
  if (bracket === '[') {
    if (args[args.length - 1] !== ']') {
      await t.error('missing ]');
      return 2;
    }
    args = args.slice(0, -1);
  } else if (bracket === '[[') {
    if (args[args.length - 1] !== ']]') {
      await t.error('missing ]]');
      return 2;
    }
    args = args.slice(0, -1);
  }
  try {
    return new TestEval(t, args, bracket === '[[').run();
  } catch (err) {
    if (!(err instanceof Syntax)) throw err;
    if (err.message) await t.error(err.message);
    return 2;
  }
}

export const test = applet(async (t) => {
  const b = t.name === '[' ? '[' : t.name === '[[' ? '[[' : '';
  return runTest(t, [...t.args], b);
});
