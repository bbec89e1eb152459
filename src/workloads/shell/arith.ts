// Shell arithmetic, $((...)), as busybox's shell/math.c does it: 64-bit
// signed C integer arithmetic with variables by name, assignment operators,
// ++/--, ?:, ** and base#digits. Evaluated while it is parsed; `skip` turns
// off side effects and errors in the branches && || ?: do not take.

export class ArithError extends Error {}

export interface ArithVars {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);
const MAX_DEPTH = 200;

const isDigit = (c: string) => c >= '0' && c <= '9';
const isNameStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isNameChar = (c: string) => isNameStart(c) || isDigit(c);

// An operand: its value, and the variable it came from (for assignments).
interface Val {
  v: bigint;
  name?: string;
}

const ASSIGN_OPS = ['<<=', '>>=', '*=', '/=', '%=', '+=', '-=', '&=', '^=', '|=', '='];

class Evaluator {
  private pos = 0;
  private skip = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly vars: ArithVars,
    private readonly seen: readonly string[],
  ) {}

  run(): bigint {
    this.ws();
    if (this.pos >= this.src.length) return 0n;
    const v = this.comma();
    this.ws();
    if (this.pos < this.src.length) this.syntax();
    return v.v;
  }

  private syntax(): never {
    throw new ArithError('arithmetic syntax error');
  }

  private ws(): void {
    while (this.pos < this.src.length && ' \t\n\r\f\v'.includes(this.src[this.pos])) this.pos++;
  }

  // Consumes `op` if it comes next (and is not the start of a longer
  // operator in `not`).
  private eat(op: string, not?: string[]): boolean {
    this.ws();
    if (!this.src.startsWith(op, this.pos)) return false;
    if (not) for (const n of not) if (n.length > op.length && this.src.startsWith(n, this.pos)) return false;
    this.pos += op.length;
    return true;
  }

  private comma(): Val {
    let v = this.assign();
    while (this.eat(',')) v = this.assign();
    return { v: v.v };
  }

  private assign(): Val {
    if (++this.depth > MAX_DEPTH) throw new ArithError('arithmetic syntax error');
    try {
      const start = this.pos;
      const left = this.ternary();
      this.ws();
      for (const op of ASSIGN_OPS) {
        if (!this.src.startsWith(op, this.pos)) continue;
        if (op === '=' && this.src[this.pos + 1] === '=') break;
        this.pos += op.length;
        if (left.name === undefined) {
          this.pos = start;
          this.syntax();
        }
        const right = this.assign();
        if (this.skip) return { v: 0n };
        const v = op === '=' ? right.v : this.binary(op.slice(0, -1), left.v, right.v);
        this.vars.set(left.name, v.toString());
        return { v };
      }
      return left;
    } finally {
      this.depth--;
    }
  }

  private ternary(): Val {
    const cond = this.logOr();
    if (!this.eat('?')) return cond;
    const take = cond.v !== 0n;
    if (!take) this.skip++;
    const a = this.assign();
    if (!take) this.skip--;
    if (!this.eat(':')) throw new ArithError('malformed ?: operator');
    if (take) this.skip++;
    const b = this.assign();
    if (take) this.skip--;
    return { v: take ? a.v : b.v };
  }

  private logOr(): Val {
    let l = this.logAnd();
    while (this.eat('||')) {
      const t = l.v !== 0n;
      if (t) this.skip++;
      const r = this.logAnd();
      if (t) this.skip--;
      l = { v: t || r.v !== 0n ? 1n : 0n };
    }
    return l;
  }

  private logAnd(): Val {
    let l = this.bitOr();
    while (this.eat('&&')) {
      const f = l.v === 0n;
      if (f) this.skip++;
      const r = this.bitOr();
      if (f) this.skip--;
      l = { v: !f && r.v !== 0n ? 1n : 0n };
    }
    return l;
  }

  private bitOr(): Val {
    let l = this.bitXor();
    while (this.eat('|', ['||', '|='])) l = { v: l.v | this.bitXor().v };
    return l;
  }

  private bitXor(): Val {
    let l = this.bitAnd();
    while (this.eat('^', ['^='])) l = { v: l.v ^ this.bitAnd().v };
    return l;
  }

  private bitAnd(): Val {
    let l = this.equality();
    while (this.eat('&', ['&&', '&='])) l = { v: l.v & this.equality().v };
    return l;
  }

  private equality(): Val {
    let l = this.relational();
    for (;;) {
      if (this.eat('==')) l = { v: l.v === this.relational().v ? 1n : 0n };
      else if (this.eat('!=')) l = { v: l.v !== this.relational().v ? 1n : 0n };
      else return l;
    }
  }

  private relational(): Val {
    let l = this.shift();
    for (;;) {
      if (this.eat('<=')) l = { v: l.v <= this.shift().v ? 1n : 0n };
      else if (this.eat('>=')) l = { v: l.v >= this.shift().v ? 1n : 0n };
      else if (this.eat('<', ['<<'])) l = { v: l.v < this.shift().v ? 1n : 0n };
      else if (this.eat('>', ['>>'])) l = { v: l.v > this.shift().v ? 1n : 0n };
      else return l;
    }
  }

  private shift(): Val {
    let l = this.additive();
    for (;;) {
      if (this.eat('<<', ['<<='])) l = { v: this.binary('<<', l.v, this.additive().v) };
      else if (this.eat('>>', ['>>='])) l = { v: this.binary('>>', l.v, this.additive().v) };
      else return l;
    }
  }

  private additive(): Val {
    let l = this.multiplicative();
    for (;;) {
      if (this.eat('+', ['++', '+='])) l = { v: wrap(l.v + this.multiplicative().v) };
      else if (this.eat('-', ['--', '-='])) l = { v: wrap(l.v - this.multiplicative().v) };
      else return l;
    }
  }

  private multiplicative(): Val {
    let l = this.power();
    for (;;) {
      if (this.eat('*', ['**', '*='])) l = { v: wrap(l.v * this.power().v) };
      else if (this.eat('/', ['/='])) l = { v: this.binary('/', l.v, this.power().v) };
      else if (this.eat('%', ['%='])) l = { v: this.binary('%', l.v, this.power().v) };
      else return l;
    }
  }

  private power(): Val {
    const l = this.unary();
    if (!this.eat('**')) return l;
    const r = this.power();
    return { v: this.binary('**', l.v, r.v) };
  }

  private unary(): Val {
    if (++this.depth > MAX_DEPTH) throw new ArithError('arithmetic syntax error');
    try {
      return this.unaryInner();
    } finally {
      this.depth--;
    }
  }

  private unaryInner(): Val {
    this.ws();
    if (this.eat('++')) return this.incdec(1n, true);
    if (this.eat('--')) return this.incdec(-1n, true);
    if (this.eat('+')) return { v: this.unary().v };
    if (this.eat('-')) return { v: wrap(-this.unary().v) };
    if (this.eat('!', ['!='])) return { v: this.unary().v === 0n ? 1n : 0n };
    if (this.eat('~')) return { v: wrap(~this.unary().v) };
    const p = this.primary();
    if (p.name !== undefined) {
      if (this.eat('++')) return this.post(p, 1n);
      if (this.eat('--')) return this.post(p, -1n);
    }
    return p;
  }

  private incdec(d: bigint, pre: boolean): Val {
    const p = this.unary();
    if (p.name === undefined) this.syntax();
    if (this.skip) return { v: 0n };
    const v = wrap(p.v + d);
    this.vars.set(p.name, v.toString());
    return pre ? { v } : { v: p.v };
  }

  private post(p: Val, d: bigint): Val {
    if (this.skip) return { v: 0n };
    this.vars.set(p.name!, wrap(p.v + d).toString());
    return { v: p.v };
  }

  private primary(): Val {
    this.ws();
    const c = this.src[this.pos] ?? '';
    if (c === '(') {
      this.pos++;
      const v = this.comma();
      if (!this.eat(')')) this.syntax();
      return { v: v.v };
    }
    if (isDigit(c)) return { v: this.number() };
    if (isNameStart(c)) {
      const start = this.pos;
      while (this.pos < this.src.length && isNameChar(this.src[this.pos])) this.pos++;
      const name = this.src.slice(start, this.pos);
      return { v: this.skip ? 0n : this.lookup(name), name };
    }
    this.syntax();
  }

  // A constant: decimal, 0octal, 0xhex, or base#digits (bases 2 to 64).
  private number(): bigint {
    const s = this.src;
    let base = 10;
    if (s[this.pos] === '0') {
      if ((s[this.pos + 1] ?? '').toLowerCase() === 'x') {
        base = 16;
        this.pos += 2;
      } else base = 8;
    } else {
      const m = /^([0-9]{1,2})#/.exec(s.slice(this.pos, this.pos + 3));
      if (m && Number(m[1]) >= 2 && Number(m[1]) <= 64) {
        base = Number(m[1]);
        this.pos += m[0].length;
      }
    }
    const start = this.pos;
    let n = 0n;
    const b = BigInt(base);
    for (;;) {
      const d = digit(s[this.pos] ?? '', base);
      if (d < 0 || d >= base) break;
      n = wrap(n * b + BigInt(d));
      this.pos++;
    }
    if (this.pos === start && base !== 8 && base !== 16) this.syntax();
    // "09", "1a": a number runs straight into more name characters.
    if (isNameChar(s[this.pos] ?? '')) this.syntax();
    return n;
  }

  private lookup(name: string): bigint {
    const value = this.vars.get(name);
    if (value === undefined || value === '') return 0n;
    if (/^-?[0-9]{1,15}$/.test(value)) return BigInt(value);
    if (this.seen.includes(name)) throw new ArithError('expression recursion loop detected');
    if (this.seen.length >= MAX_DEPTH) throw new ArithError('expression recursion loop detected');
    return new Evaluator(value, this.vars, [...this.seen, name]).run();
  }

  private binary(op: string, a: bigint, b: bigint): bigint {
    if (this.skip) return 0n;
    switch (op) {
      case '+':
        return wrap(a + b);
      case '-':
        return wrap(a - b);
      case '*':
        return wrap(a * b);
      case '/':
      case '%':
        if (b === 0n) throw new ArithError('divide by zero');
        if (b === -1n && a === -(2n ** 63n)) return op === '/' ? a : 0n;
        return wrap(op === '/' ? a / b : a % b);
      case '<<':
        return wrap(a << (b & 63n));
      case '>>':
        return a >> (b & 63n);
      case '&':
        return a & b;
      case '|':
        return a | b;
      case '^':
        return a ^ b;
      case '**': {
        if (b < 0n) throw new ArithError('exponent less than 0');
        let r = 1n;
        let x = a;
        let e = b;
        while (e > 0n) {
          if (e & 1n) r = wrap(r * x);
          x = wrap(x * x);
          e >>= 1n;
        }
        return r;
      }
    }
    throw new ArithError('arithmetic syntax error');
  }
}

function digit(c: string, base: number): number {
  if (c === '') return -1;
  if (isDigit(c)) return c.charCodeAt(0) - 48;
  if (base <= 36) {
    const l = c.toLowerCase();
    return l >= 'a' && l <= 'z' ? l.charCodeAt(0) - 87 : -1;
  }
  if (c >= 'a' && c <= 'z') return c.charCodeAt(0) - 87;
  if (c >= 'A' && c <= 'Z') return c.charCodeAt(0) - 65 + 36;
  if (c === '@') return 62;
  if (c === '_') return 63;
  return -1;
}

// Evaluates an arithmetic expression; throws ArithError with ash's message.
export function arith(expr: string, vars: ArithVars): bigint {
  return new Evaluator(expr, vars, []).run();
}
