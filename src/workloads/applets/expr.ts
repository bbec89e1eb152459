import { RegexError, regexSource } from './common/regex';
import { Exit, type Tool, applet, fromBin, toBin } from './common/tool';

// expr: busybox's grammar (| & comparisons + - * / % : and the keywords
// match substr index length quote), 64-bit integers, status 1 for a null
// result and 2 for an error.

type Value = { int: bigint } | { str: string };

const isNull = (v: Value): boolean => ('int' in v ? v.int === 0n : v.str === '' || v.str === '0');
const toStr = (v: Value): string => ('int' in v ? v.int.toString() : v.str);

function toInt(v: Value): bigint | undefined {
  if ('int' in v) return v.int;
  if (!/^[ \t\n\v\f\r]*[+-]?\d+$/.test(v.str)) return undefined;
  // strtoll: out of range is the nearest bound (ERANGE, unchecked).
  const n = BigInt(v.str.trim());
  return n > INT64_MAX ? INT64_MAX : n < INT64_MIN ? INT64_MIN : n;
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

class ExprEval {
  private i = 0;

  constructor(
    private readonly t: Tool,
    private readonly args: string[],
  ) {}

  async fail(msg: string): Promise<never> {
    await this.t.error(msg);
    throw new Exit(2);
  }

  private next(s: string): boolean {
    return this.args[this.i] === s;
  }

  async run(): Promise<Value> {
    const v = await this.eval();
    if (this.i < this.args.length) await this.fail('syntax error');
    return v;
  }

  private async eval(): Promise<Value> {
    let l = await this.eval1();
    while (this.next('|')) {
      this.i++;
      const r = await this.eval1();
      if (isNull(l)) l = r;
    }
    return l;
  }

  private async eval1(): Promise<Value> {
    let l = await this.eval2();
    while (this.next('&')) {
      this.i++;
      const r = await this.eval2();
      if (isNull(l) || isNull(r)) l = { int: 0n };
    }
    return l;
  }

  private async eval2(): Promise<Value> {
    let l = await this.eval3();
    for (;;) {
      const op = ['<', '<=', '=', '==', '!=', '>=', '>'].find((o) => this.next(o));
      if (!op) return l;
      this.i++;
      const r = await this.eval3();
      const li = toInt(l);
      const ri = toInt(r);
      let c: number;
      if (li !== undefined && ri !== undefined) c = li < ri ? -1 : li > ri ? 1 : 0;
      else {
        const a = Buffer.from(toBin(toStr(l)), 'latin1');
        const b = Buffer.from(toBin(toStr(r)), 'latin1');
        c = Buffer.compare(a, b);
      }
      const res = op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '=' || op === '==' ? c === 0 : op === '!=' ? c !== 0 : op === '>=' ? c >= 0 : c > 0;
      l = { int: res ? 1n : 0n };
    }
  }

  private async arith(l: Value, r: Value, op: string): Promise<Value> {
    const a = toInt(l);
    const b = toInt(r);
    if (a === undefined || b === undefined) return this.fail('non-numeric argument');
    let v: bigint;
    if (op === '+') v = a + b;
    else if (op === '-') v = a - b;
    else if (op === '*') v = a * b;
    else {
      if (b === 0n) return this.fail('division by zero');
      v = op === '/' ? a / b : a % b;
    }
    return { int: BigInt.asIntN(64, v) };
  }

  private async eval3(): Promise<Value> {
    let l = await this.eval4();
    for (;;) {
      const op = ['+', '-'].find((o) => this.next(o));
      if (!op) return l;
      this.i++;
      l = await this.arith(l, await this.eval4(), op);
    }
  }

  private async eval4(): Promise<Value> {
    let l = await this.eval5();
    for (;;) {
      const op = ['*', '/', '%'].find((o) => this.next(o));
      if (!op) return l;
      this.i++;
      l = await this.arith(l, await this.eval5(), op);
    }
  }

  private async eval5(): Promise<Value> {
    let l = await this.eval6();
    while (this.next(':')) {
      this.i++;
      l = await this.colon(l, await this.eval6());
    }
    return l;
  }

  private async colon(sv: Value, pv: Value): Promise<Value> {
    const s = toBin(toStr(sv));
    const pat = toBin(toStr(pv));
    if (pat.startsWith('^')) {
      await this.t.error(`warning: '${fromBin(pat)}': using '^' as the first character\nof a basic regular expression is not portable; it is ignored`);
    }
    let re: RegExp;
    let groups: number;
    try {
      const src = regexSource(pat, false);
      re = new RegExp(src);
      groups = new RegExp(`${src}|`).exec('')!.length - 1;
    } catch (err) {
      if (err instanceof RegexError || err instanceof SyntaxError) return this.fail(`bad regex '${fromBin(pat)}'`);
      throw err;
    }
    const m = re.exec(s);
    if (m && m.index === 0) {
      if (groups > 0 && m[1] !== undefined) return { str: fromBin(m[1]) };
      return { int: BigInt(m[0].length) };
    }
    return groups > 0 ? { str: '' } : { int: 0n };
  }

  private async eval6(): Promise<Value> {
    const kw = this.args[this.i];
    if (!['quote', 'length', 'match', 'index', 'substr'].includes(kw)) return this.eval7();
    this.i++;
    if (kw === 'quote') {
      if (this.i >= this.args.length) return this.fail('syntax error');
      return { str: this.args[this.i++] };
    }
    if (kw === 'length') {
      const r = await this.eval6();
      return { int: BigInt(Buffer.byteLength(toStr(r))) };
    }
    const l = await this.eval6();
    if (kw === 'match') return this.colon(l, await this.eval6());
    if (kw === 'index') {
      const s = toBin(toStr(l));
      const chars = toBin(toStr(await this.eval6()));
      for (let k = 0; k < s.length; k++) if (chars.includes(s[k])) return { int: BigInt(k + 1) };
      return { int: 0n };
    }
    const i1 = toInt(await this.eval6());
    const i2 = toInt(await this.eval6());
    const s = toBin(toStr(l));
    if (i1 === undefined || i2 === undefined || i1 > BigInt(s.length) || i1 <= 0n || i2 <= 0n) return { str: '' };
    return { str: fromBin(s.slice(Number(i1) - 1, Number(i1) - 1 + Number(i2))) };
  }

  private async eval7(): Promise<Value> {
    if (this.i >= this.args.length) return this.fail('syntax error');
    if (this.next('(')) {
      this.i++;
      const v = await this.eval();
      if (!this.next(')')) return this.fail('syntax error');
      this.i++;
      return v;
    }
    if (this.next(')')) return this.fail('syntax error');
    return { str: this.args[this.i++] };
  }
}

export const expr = applet(async (t) => {
  t.usageStatus = 2;
  const args = [...t.args];
  if (args.length === 0) {
    await t.error('too few arguments');
    return 2;
  }
  const v = await new ExprEval(t, args).run();
  await t.out.text(toStr(v) + '\n');
  return isNull(v) ? 1 : 0;
});
