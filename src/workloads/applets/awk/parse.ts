// awk's language: tokens and a recursive-descent parser for the POSIX
// grammar (with the common extensions busybox takes: func, **, nextfile,
// delete of a whole array, length without parentheses).

export class AwkSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

type TokType = 'num' | 'str' | 'ere' | 'name' | 'funcname' | 'builtin' | 'kw' | 'op' | 'nl' | 'eof';

interface Token {
  type: TokType;
  value: string;
  num?: number;
  line: number;
}

const KEYWORDS = new Set(['BEGIN', 'END', 'function', 'func', 'if', 'else', 'while', 'for', 'do', 'break', 'continue', 'next', 'nextfile', 'exit', 'return', 'delete', 'in', 'getline', 'print', 'printf']);
export const BUILTINS = new Set([
  'length',
  'substr',
  'index',
  'split',
  'sub',
  'gsub',
  'match',
  'sprintf',
  'sin',
  'cos',
  'atan2',
  'exp',
  'log',
  'sqrt',
  'int',
  'rand',
  'srand',
  'systime',
  'strftime',
  'mktime',
  'tolower',
  'toupper',
  'system',
  'close',
  'fflush',
]);

const OPS = ['**=', '...', '+=', '-=', '*=', '/=', '%=', '^=', '==', '<=', '>=', '!=', '++', '--', '&&', '||', '>>', '!~', '**', '{', '}', '(', ')', '[', ']', ';', ',', '+', '-', '*', '/', '%', '^', '!', '>', '<', '|', '?', ':', '~', '$', '='];

// Awk's string escapes: \" \\ \/ \n \t \r \b \f \v \a \NNN.
export function awkUnescape(s: string, keepRegex = false): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i];
    const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07', '"': '"', '/': '/' };
    if (keepRegex) {
      // Regex text: only \/ is awk's; the rest is the regex's business.
      out += n === '/' ? '/' : '\\' + n;
      continue;
    }
    if (n === '\\') out += '\\';
    else if (Object.hasOwn(map, n)) out += map[n];
    else if (n >= '0' && n <= '7') {
      let oct = n;
      while (oct.length < 3 && s[i + 1] >= '0' && s[i + 1] <= '7') oct += s[++i];
      out += String.fromCharCode(parseInt(oct, 8) & 0xff);
    } else out += '\\' + n;
  }
  return out;
}

class Lexer {
  private i = 0;
  line = 1;
  private last: Token | undefined;

  constructor(private readonly src: string) {}

  private regexAllowed(): boolean {
    const l = this.last;
    if (!l) return true;
    if (l.type === 'num' || l.type === 'str' || l.type === 'ere' || l.type === 'name' || l.type === 'builtin') return false;
    if (l.type === 'op' && (l.value === ')' || l.value === ']' || l.value === '$' || l.value === '++' || l.value === '--')) return false;
    if (l.type === 'kw' && l.value === 'getline') return false;
    return true;
  }

  next(): Token {
    const t = this.scan();
    this.last = t;
    return t;
  }

  // For a look ahead: where the lexer is, and back there.
  save(): { i: number; line: number; last: Token | undefined } {
    return { i: this.i, line: this.line, last: this.last };
  }

  restore(s: { i: number; line: number; last: Token | undefined }): void {
    this.i = s.i;
    this.line = s.line;
    this.last = s.last;
  }

  private scan(): Token {
    const s = this.src;
    for (;;) {
      while (this.i < s.length && (s[this.i] === ' ' || s[this.i] === '\t' || s[this.i] === '\r')) this.i++;
      if (s[this.i] === '\\' && s[this.i + 1] === '\n') {
        this.i += 2;
        this.line++;
        continue;
      }
      if (s[this.i] === '#') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
        continue;
      }
      break;
    }
    const line = this.line;
    if (this.i >= s.length) return { type: 'eof', value: '', line };
    const c = s[this.i];
    if (c === '\n') {
      this.i++;
      this.line++;
      return { type: 'nl', value: '\n', line };
    }
    if (c === '"') {
      let j = this.i + 1;
      let raw = '';
      while (j < s.length && s[j] !== '"') {
        if (s[j] === '\\' && j + 1 < s.length) {
          if (s[j + 1] === '\n') {
            j += 2;
            this.line++;
            continue;
          }
          raw += s[j] + s[j + 1];
          j += 2;
          continue;
        }
        if (s[j] === '\n') throw new AwkSyntaxError('Unexpected end of string', line);
        raw += s[j++];
      }
      if (j >= s.length) throw new AwkSyntaxError('Unexpected end of string', line);
      this.i = j + 1;
      return { type: 'str', value: awkUnescape(raw), line };
    }
    if (c === '/' && this.regexAllowed()) {
      let j = this.i + 1;
      let raw = '';
      let inBracket = false;
      while (j < s.length && (s[j] !== '/' || inBracket)) {
        if (s[j] === '\n') throw new AwkSyntaxError('Unexpected end of string', line);
        if (s[j] === '\\' && j + 1 < s.length) {
          raw += s[j] + s[j + 1];
          j += 2;
          continue;
        }
        if (s[j] === '[' && !inBracket) {
          inBracket = true;
          raw += s[j++];
          if (s[j] === '^') raw += s[j++];
          if (s[j] === ']') raw += s[j++];
          continue;
        }
        if (s[j] === ']' && inBracket) inBracket = false;
        raw += s[j++];
      }
      if (j >= s.length) throw new AwkSyntaxError('Unexpected end of string', line);
      this.i = j + 1;
      return { type: 'ere', value: awkUnescape(raw, true), line };
    }
    const num = /^(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(s.slice(this.i, this.i + 64));
    if (num && /[\d.]/.test(c)) {
      // A constant in the program may be octal (busybox's
      // my_strtod_or_hexoct): 010 is 8, but 09.5 and 019 are decimal.
      const oct = /^0[0-7]+/.exec(num[0]);
      if (oct && !/[\d.]/.test(num[0][oct[0].length] ?? '')) {
        this.i += oct[0].length;
        return { type: 'num', value: oct[0], num: parseInt(oct[0], 8), line };
      }
      this.i += num[0].length;
      const v = /^0[xX]/.test(num[0]) ? parseInt(num[0], 16) : Number(num[0]);
      return { type: 'num', value: num[0], num: v, line };
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(this.i, this.i + 256));
    if (name) {
      this.i += name[0].length;
      const w = name[0];
      if (KEYWORDS.has(w)) return { type: 'kw', value: w === 'func' ? 'function' : w, line };
      if (BUILTINS.has(w)) return { type: 'builtin', value: w, line };
      if (s[this.i] === '(') return { type: 'funcname', value: w, line };
      return { type: 'name', value: w, line };
    }
    for (const op of OPS) {
      if (s.startsWith(op, this.i)) {
        this.i += op.length;
        return { type: 'op', value: op === '**' ? '^' : op === '**=' ? '^=' : op, line };
      }
    }
    throw new AwkSyntaxError('Unexpected token', line);
  }
}

export type Expr =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 're'; src: string }
  | { k: 'var'; name: string }
  | { k: 'field'; e: Expr }
  | { k: 'index'; name: string; subs: Expr[] }
  | { k: 'assign'; op: string; target: Expr; e: Expr }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr }
  | { k: 'or' | 'and'; a: Expr; b: Expr }
  | { k: 'in'; subs: Expr[]; name: string }
  | { k: 'match'; neg: boolean; a: Expr; re: Expr }
  | { k: 'cmp'; op: string; a: Expr; b: Expr }
  | { k: 'concat'; a: Expr; b: Expr }
  | { k: 'bin'; op: string; a: Expr; b: Expr }
  | { k: 'unary'; op: string; e: Expr }
  | { k: 'incdec'; op: '++' | '--'; prefix: boolean; target: Expr }
  | { k: 'call'; name: string; args: Expr[] }
  | { k: 'builtin'; name: string; args: Expr[] }
  | { k: 'getline'; target?: Expr; file?: Expr; cmd?: Expr }
  | { k: 'group'; e: Expr };

export type Redirect = { kind: '>' | '>>' | '|'; target: Expr };

export type Stmt =
  | { k: 'expr'; e: Expr }
  | { k: 'print'; printf: boolean; args: Expr[]; redirect?: Redirect }
  | { k: 'if'; c: Expr; then: Stmt; else?: Stmt }
  | { k: 'while'; c: Expr; body: Stmt }
  | { k: 'do'; c: Expr; body: Stmt }
  | { k: 'for'; init?: Stmt; c?: Expr; step?: Stmt; body: Stmt }
  | { k: 'forin'; v: string; arr: string; body: Stmt }
  | { k: 'block'; body: Stmt[] }
  | { k: 'next' | 'nextfile' | 'break' | 'continue' }
  | { k: 'exit' | 'return'; e?: Expr }
  | { k: 'delete'; name: string; subs?: Expr[] }
  | { k: 'getline'; e: Expr };

export interface Rule {
  begin?: boolean;
  end?: boolean;
  pattern?: Expr;
  range?: [Expr, Expr];
  action?: Stmt[];
}

export interface AwkFunction {
  name: string;
  params: string[];
  body: Stmt[];
}

export interface Program {
  rules: Rule[];
  functions: Map<string, AwkFunction>;
}

export function parseAwk(src: string): Program {
  return new Parser(src).program();
}

class Parser {
  private lx: Lexer;
  private tok: Token;
  private noIn = false; // for (x in a): 'in' is not an operator in the init
  private noGt = 0; // print args: '>' is a redirection

  constructor(src: string) {
    this.lx = new Lexer(src);
    this.tok = this.lx.next();
  }

  private err(msg = 'Unexpected token'): never {
    throw new AwkSyntaxError(this.tok.type === 'eof' ? 'Unexpected end of string' : msg, this.tok.line);
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.lx.next();
    return t;
  }

  private is(type: TokType, value?: string): boolean {
    return this.tok.type === type && (value === undefined || this.tok.value === value);
  }

  private isOp(v: string): boolean {
    return this.is('op', v);
  }

  private expect(type: TokType, value?: string): Token {
    if (!this.is(type, value)) this.err();
    return this.advance();
  }

  private nls(): void {
    while (this.is('nl')) this.advance();
  }

  private terminators(): void {
    while (this.is('nl') || this.isOp(';')) this.advance();
  }

  program(): Program {
    const rules: Rule[] = [];
    const functions = new Map<string, AwkFunction>();
    this.terminators();
    while (!this.is('eof')) {
      if (this.is('kw', 'function')) {
        this.advance();
        const name = this.tok.value;
        if (!this.is('name') && !this.is('funcname')) this.err();
        this.advance();
        this.expect('op', '(');
        const params: string[] = [];
        while (!this.isOp(')')) {
          params.push(this.expect('name').value);
          if (this.isOp(',')) {
            this.advance();
            this.nls();
          } else if (!this.isOp(')')) this.err();
        }
        this.advance();
        this.nls();
        if (functions.has(name)) throw new AwkSyntaxError('Duplicate function', this.tok.line);
        functions.set(name, { name, params, body: this.block() });
      } else if (this.is('kw', 'BEGIN') || this.is('kw', 'END')) {
        const w = this.advance().value;
        this.nls();
        rules.push({ begin: w === 'BEGIN', end: w === 'END', action: this.block() });
      } else {
        let rule: Rule;
        if (this.isOp('{')) rule = { action: this.block() };
        else {
          const a = this.expr();
          if (this.isOp(',')) {
            this.advance();
            this.nls();
            rule = { range: [a, this.expr()] };
          } else rule = { pattern: a };
          if (this.isOp('{')) rule.action = this.block();
        }
        rules.push(rule);
      }
      this.terminators();
    }
    return { rules, functions };
  }

  private block(): Stmt[] {
    this.expect('op', '{');
    const body: Stmt[] = [];
    this.terminators();
    while (!this.isOp('}')) {
      if (this.is('eof')) this.err();
      body.push(this.stmt());
      this.terminators();
    }
    this.advance();
    return body;
  }

  // A statement, with its terminator left for the caller (or eaten when
  // it is part of the statement's form).
  private stmt(): Stmt {
    if (this.isOp('{')) return { k: 'block', body: this.block() };
    if (this.isOp(';')) {
      this.advance();
      return { k: 'block', body: [] };
    }
    if (this.is('kw')) {
      const w = this.tok.value;
      switch (w) {
        case 'if': {
          this.advance();
          this.expect('op', '(');
          const c = this.expr();
          this.expect('op', ')');
          this.nls();
          const then = this.stmt();
          // An else may follow the then-part's terminator.
          this.terminators();
          if (this.is('kw', 'else')) {
            this.advance();
            this.nls();
            return { k: 'if', c, then, else: this.stmt() };
          }
          return { k: 'if', c, then };
        }
        case 'while': {
          this.advance();
          this.expect('op', '(');
          const c = this.expr();
          this.expect('op', ')');
          if (this.isOp(';')) {
            this.advance();
            return { k: 'while', c, body: { k: 'block', body: [] } };
          }
          this.nls();
          return { k: 'while', c, body: this.stmt() };
        }
        case 'do': {
          this.advance();
          this.nls();
          const body = this.stmt();
          this.terminators();
          if (!this.is('kw', 'while')) this.err();
          this.advance();
          this.expect('op', '(');
          const c = this.expr();
          this.expect('op', ')');
          return { k: 'do', c, body };
        }
        case 'for': {
          this.advance();
          this.expect('op', '(');
          if (this.is('name')) {
            // for (var in array)?
            const name = this.tok;
            if (this.peekForIn()) {
              this.advance();
              this.advance();
              const arr = this.expect('name').value;
              this.expect('op', ')');
              this.nls();
              return { k: 'forin', v: name.value, arr, body: this.stmt() };
            }
          }
          const init = this.isOp(';') ? undefined : this.simpleStmt();
          this.expect('op', ';');
          this.nls();
          const c = this.isOp(';') ? undefined : this.expr();
          this.expect('op', ';');
          this.nls();
          const step = this.isOp(')') ? undefined : this.simpleStmt();
          this.expect('op', ')');
          if (this.isOp(';')) {
            this.advance();
            return { k: 'for', init, c, step, body: { k: 'block', body: [] } };
          }
          this.nls();
          return { k: 'for', init, c, step, body: this.stmt() };
        }
        case 'break':
        case 'continue':
        case 'next':
        case 'nextfile':
          this.advance();
          return { k: w };
        case 'exit':
        case 'return': {
          this.advance();
          const e = this.endOfSimple() ? undefined : this.expr();
          return { k: w, e };
        }
      }
    }
    return this.simpleStmt();
  }

  // After `for (NAME`: is it `NAME in ARRAY )`?
  private peekForIn(): boolean {
    const saved = this.lx.save();
    try {
      const t1 = this.lx.next();
      if (!(t1.type === 'kw' && t1.value === 'in')) return false;
      const t2 = this.lx.next();
      if (t2.type !== 'name') return false;
      const t3 = this.lx.next();
      return t3.type === 'op' && t3.value === ')';
    } catch {
      return false;
    } finally {
      this.lx.restore(saved);
    }
  }

  private endOfSimple(): boolean {
    return this.is('nl') || this.is('eof') || this.isOp(';') || this.isOp('}');
  }

  private simpleStmt(): Stmt {
    if (this.is('kw', 'print') || this.is('kw', 'printf')) {
      const printf = this.advance().value === 'printf';
      let args: Expr[] = [];
      if (!this.endOfSimple() && !this.isOp('>') && !this.isOp('>>') && !this.isOp('|')) {
        // print (a, b) > "f": a parenthesised list comes out of exprList.
        this.noGt++;
        args = this.exprList();
        this.noGt--;
      }
      let redirect: Redirect | undefined;
      if (this.isOp('>') || this.isOp('>>') || this.isOp('|')) {
        const kind = this.advance().value as Redirect['kind'];
        this.noGt++;
        redirect = { kind, target: this.concat() };
        this.noGt--;
      }
      if (printf && args.length === 0) this.err('Too few arguments');
      return { k: 'print', printf, args, redirect };
    }
    if (this.is('kw', 'delete')) {
      this.advance();
      const name = this.expect('name').value;
      if (this.isOp('[')) {
        this.advance();
        const subs = this.exprList();
        this.expect('op', ']');
        return { k: 'delete', name, subs };
      }
      return { k: 'delete', name };
    }
    return { k: 'expr', e: this.expr() };
  }

  private exprList(): Expr[] {
    const out = [this.expr()];
    while (this.isOp(',')) {
      this.advance();
      this.nls();
      out.push(this.expr());
    }
    // A grouping (a, b) is a list only for print and `in`.
    if (out.length === 1 && out[0].k === 'group' && (out[0] as { listed?: Expr[] }).listed) return (out[0] as { listed?: Expr[] }).listed!;
    return out;
  }

  expr(): Expr {
    return this.ternary();
  }

  private isLvalue(e: Expr): boolean {
    return e.k === 'var' || e.k === 'field' || e.k === 'index';
  }

  private ternary(): Expr {
    const c = this.or();
    if (this.isOp('?')) {
      this.advance();
      this.nls();
      const a = this.ternary();
      this.nls();
      this.expect('op', ':');
      this.nls();
      const b = this.ternary();
      return { k: 'cond', c, a, b };
    }
    if (this.is('op') && ['=', '+=', '-=', '*=', '/=', '%=', '^='].includes(this.tok.value) && this.isLvalue(c)) {
      const op = this.advance().value;
      this.nls();
      return { k: 'assign', op, target: c, e: this.ternary() };
    }
    return c;
  }

  private or(): Expr {
    let a = this.and();
    while (this.isOp('||')) {
      this.advance();
      this.nls();
      a = { k: 'or', a, b: this.and() };
    }
    return a;
  }

  private and(): Expr {
    let a = this.inExpr();
    while (this.isOp('&&')) {
      this.advance();
      this.nls();
      a = { k: 'and', a, b: this.inExpr() };
    }
    return a;
  }

  private inExpr(): Expr {
    let a = this.matchExpr();
    while (this.is('kw', 'in') && !this.noIn) {
      this.advance();
      const name = this.expect('name').value;
      const subs = a.k === 'group' && (a as { listed?: Expr[] }).listed ? (a as { listed?: Expr[] }).listed! : [a];
      a = { k: 'in', subs, name };
    }
    return a;
  }

  private matchExpr(): Expr {
    let a = this.comparison();
    while (this.isOp('~') || this.isOp('!~')) {
      const neg = this.advance().value === '!~';
      a = { k: 'match', neg, a, re: this.comparison() };
    }
    return a;
  }

  private comparison(): Expr {
    let a = this.concat();
    for (;;) {
      if (this.is('op') && ['<', '<=', '!=', '==', '>=', '>'].includes(this.tok.value)) {
        if (this.tok.value === '>' && this.noGt > 0) return a;
        const op = this.advance().value;
        a = { k: 'cmp', op, a, b: this.concat() };
        continue;
      }
      if (this.isOp('|') && this.lookGetline()) {
        this.advance();
        this.advance();
        const target = this.optLvalue();
        a = { k: 'getline', cmd: a, target };
        continue;
      }
      return a;
    }
  }

  private lookGetline(): boolean {
    const saved = this.lx.save();
    try {
      const t = this.lx.next();
      return t.type === 'kw' && t.value === 'getline';
    } catch {
      return false;
    } finally {
      this.lx.restore(saved);
    }
  }

  private optLvalue(): Expr | undefined {
    if (this.isOp('$')) {
      this.advance();
      return { k: 'field', e: this.incdec() };
    }
    if (this.is('name')) {
      const name = this.advance().value;
      if (this.isOp('[')) {
        this.advance();
        const subs = this.exprList();
        this.expect('op', ']');
        return { k: 'index', name, subs };
      }
      return { k: 'var', name };
    }
    return undefined;
  }

  // Where a concatenation may go on: the start of another operand.
  private startsOperand(): boolean {
    const t = this.tok;
    if (t.type === 'num' || t.type === 'str' || t.type === 'ere' || t.type === 'name' || t.type === 'funcname' || t.type === 'builtin') return true;
    if (t.type === 'kw') return t.value === 'getline';
    if (t.type === 'op') return ['$', '!', '(', '-', '+', '++', '--'].includes(t.value) && !(this.noIn && t.value === 'in');
    return false;
  }

  private concat(): Expr {
    let a = this.additive();
    while (this.startsOperand() && !(this.is('kw', 'in'))) {
      a = { k: 'concat', a, b: this.additive() };
    }
    return a;
  }

  private additive(): Expr {
    let a = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.advance().value;
      a = { k: 'bin', op, a, b: this.multiplicative() };
    }
    return a;
  }

  private multiplicative(): Expr {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = this.advance().value;
      a = { k: 'bin', op, a, b: this.unary() };
    }
    return a;
  }

  private unary(): Expr {
    if (this.isOp('!') || this.isOp('-') || this.isOp('+')) {
      const op = this.advance().value;
      return { k: 'unary', op, e: this.unary() };
    }
    return this.power();
  }

  private power(): Expr {
    const a = this.incdec();
    if (this.isOp('^')) {
      this.advance();
      // Right associative, and binds tighter than unary minus on its right.
      const b = this.isOp('-') || this.isOp('+') || this.isOp('!') ? this.unary() : this.power();
      return { k: 'bin', op: '^', a, b };
    }
    return a;
  }

  private incdec(): Expr {
    if (this.isOp('++') || this.isOp('--')) {
      const op = this.advance().value as '++' | '--';
      const target = this.incdec();
      if (!this.isLvalue(target)) this.err();
      return { k: 'incdec', op, prefix: true, target };
    }
    const e = this.primary();
    if ((this.isOp('++') || this.isOp('--')) && this.isLvalue(e)) {
      const op = this.advance().value as '++' | '--';
      return { k: 'incdec', op, prefix: false, target: e };
    }
    return e;
  }

  private primary(): Expr {
    const t = this.tok;
    switch (t.type) {
      case 'num':
        this.advance();
        return { k: 'num', v: t.num! };
      case 'str':
        this.advance();
        return { k: 'str', v: t.value };
      case 'ere':
        this.advance();
        return { k: 're', src: t.value };
      case 'funcname': {
        this.advance();
        this.expect('op', '(');
        const args: Expr[] = [];
        this.nls();
        while (!this.isOp(')')) {
          args.push(this.expr());
          this.nls();
          if (this.isOp(',')) {
            this.advance();
            this.nls();
          } else if (!this.isOp(')')) this.err();
        }
        this.advance();
        return { k: 'call', name: t.value, args };
      }
      case 'builtin': {
        this.advance();
        const args: Expr[] = [];
        if (this.isOp('(')) {
          this.advance();
          this.nls();
          const saveIn = this.noIn;
          const saveGt = this.noGt;
          this.noIn = false;
          this.noGt = 0;
          while (!this.isOp(')')) {
            args.push(this.expr());
            this.nls();
            if (this.isOp(',')) {
              this.advance();
              this.nls();
            } else if (!this.isOp(')')) this.err();
          }
          this.noIn = saveIn;
          this.noGt = saveGt;
          this.advance();
        } else if (t.value !== 'length') this.err();
        return { k: 'builtin', name: t.value, args };
      }
      case 'name': {
        this.advance();
        if (this.isOp('[')) {
          this.advance();
          const subs = this.exprList();
          this.expect('op', ']');
          return { k: 'index', name: t.value, subs };
        }
        return { k: 'var', name: t.value };
      }
      case 'kw':
        if (t.value === 'getline') {
          this.advance();
          const target = this.optLvalue();
          if (this.isOp('<')) {
            this.advance();
            return { k: 'getline', target, file: this.incdec() };
          }
          return { k: 'getline', target };
        }
        break;
      case 'op':
        if (t.value === '$') {
          this.advance();
          return { k: 'field', e: this.incdec() };
        }
        if (t.value === '(') {
          this.advance();
          const saveIn = this.noIn;
          const saveGt = this.noGt;
          this.noIn = false;
          this.noGt = 0;
          this.nls();
          const first = this.expr();
          const list = [first];
          while (this.isOp(',')) {
            this.advance();
            this.nls();
            list.push(this.expr());
          }
          this.nls();
          this.expect('op', ')');
          this.noIn = saveIn;
          this.noGt = saveGt;
          const g: Expr & { listed?: Expr[] } = { k: 'group', e: first };
          if (list.length > 1) g.listed = list;
          return g;
        }
        if (t.value === '-' || t.value === '+' || t.value === '!') return this.unary();
    }
    return this.err();
  }
}
