import type { Assign, CaseItem, Node, ParseError, Redir, Script, ScriptLine, Simple, Word } from './ast';
import { type Hooks, Lexer, SyntaxError, T, isName, makeWord, tokenName } from './lexer';

// The grammar of busybox ash (shell/ash.c: list, andor, pipeline,
// parse_command, simplecmd), with its error messages.

const KEYWORDS = new Set(['!', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in', 'then', 'until', 'while', '{', '}']);

// Tokens that end a list where a keyword may close it (ash's tokendlist).
const END_KEYWORDS = new Set(['do', 'done', 'elif', 'else', 'esac', 'fi', 'then', '}']);

class Parser implements Hooks {
  lx: Lexer;

  constructor(src: string, line = 1) {
    this.lx = new Lexer(src, this, line);
  }

  // A token, with keywords recognised (kw) and newlines skipped (nl).
  private read(kw: boolean, nl = false): T {
    const lx: Lexer = this.lx;
    let t = lx.next();
    if (nl) while (t === T.NL) t = lx.next();
    this.kw = kw && t === T.WORD && lx.plain !== undefined && KEYWORDS.has(lx.plain) ? lx.plain : undefined;
    return t;
  }

  // The keyword of the last token read, when keywords were looked for.
  private kw: string | undefined;
  private k(): string | undefined {
    return this.kw;
  }

  private unexpected(expecting?: string): never {
    const lx: Lexer = this.lx;
    const got = this.k() !== undefined ? `"${this.k()}"` : tokenName(lx.tok);
    // ash quotes token names but end of file, newline, redirection and word.
    const want = expecting === 'word' ? 'word' : `"${expecting}"`;
    lx.fail(`unexpected ${got}${expecting ? ` (expecting ${want})` : ''}`, lx.tok === T.EOF);
  }

  private expectKw(kw: string): void {
    this.read(true, true);
    if (this.k() !== kw) this.unexpected(kw);
  }

  // ash's list(): and-or lists separated by ; & or newlines. top: one line
  // of the script (ends at a newline). sub: the body of $(...) or of a case
  // item (may be empty, ends at a closing token).
  list(mode: 'top' | 'body' | 'sub'): Node | null {
    const lx: Lexer = this.lx;
    const items: Node[] = [];
    let first = true;
    for (;;) {
      const t = this.read(true, mode !== 'top');
      if (t === T.NL && mode === 'top') break;
      if (t === T.EOF) {
        lx.pushBack();
        break;
      }
      lx.pushBack();
      if (mode !== 'top' && (!first || mode === 'sub')) {
        if (t === T.RP || t === T.ENDCASE || (this.k() !== undefined && END_KEYWORDS.has(this.k() ?? ''))) break;
      }
      first = false;
      const start = lx.tokStart;
      const line = lx.line;
      let n = this.andOr();
      const t2 = this.read(false);
      if (t2 === T.AMP) n = { t: 'bg', body: n, line, text: lx.src.slice(start, lx.pos - 1).trim() };
      items.push(n);
      if (t2 === T.EOF) {
        lx.pushBack();
        break;
      }
      if (t2 === T.NL) {
        if (mode === 'top') break;
        continue;
      }
      if (t2 === T.AMP || t2 === T.SEMI) continue;
      if (mode === 'top') this.unexpected();
      lx.pushBack();
      break;
    }
    if (items.length === 0) return null;
    return items.length === 1 ? items[0] : { t: 'seq', list: items };
  }

  private andOr(): Node {
    let n = this.pipeline();
    for (;;) {
      const t = this.read(false);
      if (t !== T.AND && t !== T.OR) {
        this.lx.pushBack();
        return n;
      }
      const right = this.pipeline(true);
      n = { t: t === T.AND ? 'and' : 'or', left: n, right };
    }
  }

  private pipeline(skipNl = false): Node {
    let negate = false;
    this.read(true, skipNl);
    if (this.k() === '!') negate = true;
    else this.lx.pushBack();
    let n = this.command(negate ? false : skipNl);
    const t = this.read(false);
    if (t === T.PIPE) {
      const cmds = [n];
      do {
        cmds.push(this.command(true));
      } while (this.read(false) === T.PIPE);
      n = { t: 'pipe', cmds };
    }
    this.lx.pushBack();
    return negate ? { t: 'not', body: n } : n;
  }

  // ash's parse_command(): a compound command with its redirections, or a
  // simple command.
  private command(skipNl = false): Node {
    const lx: Lexer = this.lx;
    lx.enter();
    const line = lx.line;
    const t = this.read(true, skipNl);
    let n: Node;
    const kw = this.k();
    if (t === T.WORD && kw === undefined) {
      lx.pushBack();
      n = this.simple();
      lx.leave();
      return n;
    }
    if (t === T.REDIR) {
      lx.pushBack();
      n = this.simple();
      lx.leave();
      return n;
    }
    switch (t === T.LP ? '(' : kw) {
      case 'if':
        n = this.ifClause();
        break;
      case 'while':
      case 'until': {
        const cond = this.body('do');
        this.expectKw('do');
        const body = this.body('done');
        this.expectKw('done');
        n = { t: kw as 'while' | 'until', cond, body };
        break;
      }
      case 'for':
        n = this.forClause(line);
        break;
      case 'case':
        n = this.caseClause(line);
        break;
      case 'function': {
        // bash's `function name [()] body`, which ash accepts too.
        if (this.read(false) !== T.WORD || lx.plain === undefined) this.unexpected('word');
        const name = lx.plain!;
        if (this.read(false) === T.LP) {
          if (this.read(false) !== T.RP) this.unexpected(')');
        } else lx.pushBack();
        const body = this.command(true);
        lx.leave();
        return { t: 'func', name, body };
      }
      case '(': {
        const body = this.body(')');
        if (this.read(false, true) !== T.RP) this.unexpected(')');
        n = { t: 'sub', body, line };
        break;
      }
      case '{': {
        const body = this.body('}');
        this.expectKw('}');
        n = body;
        break;
      }
      default:
        this.unexpected();
    }
    // Redirections after a compound command.
    const redirs: Redir[] = [];
    while (this.read(true) === T.REDIR) redirs.push(this.redirection());
    lx.pushBack();
    lx.leave();
    if (redirs.length > 0) return { t: 'redir', body: n, redirs, line };
    // `{ }` needs a node of its own only when redirected; a subshell is
    // already one.
    return n;
  }

  // A non-empty list up to a closing keyword (ash's list(0)); it is empty
  // only at the end of the input, where `expecting` names what should come.
  private body(expecting: string): Node {
    const n = this.list('body');
    if (n === null) {
      this.read(true, true);
      this.unexpected(expecting);
    }
    return n;
  }

  private ifClause(): Node {
    const cond = this.body('then');
    this.expectKw('then');
    const then = this.body('fi');
    this.read(true, true);
    let els: Node | null = null;
    if (this.k() === 'elif') els = this.ifClause();
    else {
      if (this.k() === 'else') {
        els = this.body('fi');
        this.read(true, true);
      }
      if (this.k() !== 'fi') this.unexpected('fi');
    }
    return { t: 'if', cond, then, else: els };
  }

  private forClause(line: number): Node {
    const lx: Lexer = this.lx;
    if (this.read(false) !== T.WORD || lx.plain === undefined || !isName(lx.plain)) lx.fail('bad for loop variable');
    const name = lx.plain;
    let words: Word[] | null = null;
    let t = this.read(true, true);
    if (this.k() === 'in') {
      words = [];
      while ((t = this.read(false)) === T.WORD) words.push(lx.word!);
      if (t !== T.NL && t !== T.SEMI) this.unexpected();
    } else if (t !== T.SEMI) lx.pushBack();
    this.expectKw('do');
    const body = this.body('done');
    this.expectKw('done');
    return { t: 'for', name, words, body, line };
  }

  private caseClause(line: number): Node {
    const lx: Lexer = this.lx;
    if (this.read(false) !== T.WORD) this.unexpected('word');
    const word = lx.word!;
    this.read(true, true);
    if (this.k() !== 'in') this.unexpected('in');
    const items: CaseItem[] = [];
    let t = this.read(true, true);
    while (this.k() !== 'esac') {
      if (t === T.LP) t = this.read(false);
      const patterns: Word[] = [];
      for (;;) {
        if (t !== T.WORD) this.unexpected();
        patterns.push(lx.word!);
        if (this.read(false) !== T.PIPE) break;
        t = this.read(false);
      }
      if (lx.tok !== T.RP) this.unexpected(')');
      const body = this.list('sub');
      items.push({ patterns, body });
      t = this.read(true, true);
      if (this.k() !== 'esac') {
        if (t !== T.ENDCASE) this.unexpected(';;');
        t = this.read(true, true);
      }
    }
    return { t: 'case', word, items, line };
  }

  // ash's simplecmd(): assignments, words and redirections; or a function
  // definition `name() body`.
  private simple(): Node {
    const lx: Lexer = this.lx;
    const line = lx.line;
    const assigns: Assign[] = [];
    const words: Word[] = [];
    const redirs: Redir[] = [];
    // Inside [[ ]], && and || are words for the test (as ash's BASH_TEST2).
    let brackets = false;
    for (;;) {
      const t = this.read(false);
      if ((t === T.AND || t === T.OR) && brackets) {
        words.push({ parts: [{ t: 'lit', s: t === T.AND ? '&&' : '||' }], lit: t === T.AND ? '&&' : '||' });
      } else if (t === T.WORD) {
        const w = lx.word!;
        if (lx.plain === '[[') brackets = true;
        else if (lx.plain === ']]') brackets = false;
        const a = words.length === 0 ? assignment(w) : undefined;
        if (a) assigns.push(a);
        else words.push(w);
      } else if (t === T.REDIR) {
        redirs.push(this.redirection());
      } else if (t === T.LP && words.length === 1 && assigns.length === 0 && redirs.length === 0) {
        // A function definition.
        if (this.read(false) !== T.RP) this.unexpected(')');
        const name = words[0].parts.length === 1 && words[0].parts[0].t === 'lit' ? words[0].parts[0].s : '';
        if (!name) lx.fail('bad function name');
        const body = this.command(true);
        return { t: 'func', name, body };
      } else {
        lx.pushBack();
        break;
      }
    }
    const n: Simple = { t: 'simple', assigns, words, redirs, line };
    return n;
  }

  private redirection(): Redir {
    const lx: Lexer = this.lx;
    const op = lx.redirOp;
    const fd = lx.redirFd;
    if (op === '<<' || op === '<<-') {
      const { delim, quoted } = lx.heredocDelimiter();
      const r: Redir = { fd, op, target: EMPTY, quoted };
      lx.addHeredoc(r, delim, quoted, op === '<<-');
      return r;
    }
    if (this.read(false) !== T.WORD) this.unexpected();
    return { fd, op, target: lx.word! };
  }

  // Hooks for the lexer. `lx` is this parser's own, or a here-document's
  // (its body is read by a lexer of its own): the $( ) is parsed from the
  // lexer it is in.
  commandSub(lx: Lexer): Node | null {
    const outer = this.lx;
    const kw = this.kw;
    this.lx = lx;
    try {
      const n = this.list('sub');
      if (lx.next() !== T.RP) {
        this.kw = undefined;
        if (lx.tok === T.WORD && lx.plain !== undefined && KEYWORDS.has(lx.plain)) this.kw = lx.plain;
        this.unexpected(')');
      }
      this.kw = kw;
      return n;
    } finally {
      this.lx = outer;
    }
  }

  parseText(text: string, line: number): Node | null {
    const sub = new Parser(text, line);
    sub.lx.depth = this.lx.depth;
    const n = sub.list('sub');
    if (sub.lx.next() !== T.EOF) sub.unexpected();
    return n;
  }
}

const EMPTY: Word = { parts: [], lit: '' };

// A word written NAME=value, as its name and value.
export function assignment(w: Word): Assign | undefined {
  const first = w.parts[0];
  if (!first || first.t !== 'lit') return undefined;
  const eq = first.s.indexOf('=');
  if (eq <= 0 || !isName(first.s.slice(0, eq))) return undefined;
  const rest = first.s.slice(eq + 1);
  const parts = rest ? [{ t: 'lit' as const, s: rest }, ...w.parts.slice(1)] : w.parts.slice(1);
  return { name: first.s.slice(0, eq), value: makeWord(parts) };
}

// Parses a whole script, line by line as ash does: the lines before a
// syntax error are kept, to run before the error is reported.
export function parseScript(src: string, firstLine = 1): Script {
  const p = new Parser(src, firstLine);
  const lines: ScriptLine[] = [];
  const lx = p.lx;
  try {
    for (;;) {
      const start = lx.pos;
      if (lx.next() === T.EOF) break;
      lx.pushBack();
      const node = p.list('top');
      lines.push({ node, start, end: lx.pos });
    }
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return { lines, error: { message: err.message, line: err.line, atEof: err.atEof } };
  }
  return { lines };
}

// The first line of `src` (a script read from stdin a line at a time):
// its command and where the next line starts; `error.atEof` when the text
// ends inside a construct that more input may complete.
export type LineResult = { eof: true } | { node: Node | null; end: number; nextLine: number } | { error: ParseError };

export function parseLine(src: string, line: number): LineResult {
  const p = new Parser(src, line);
  const lx = p.lx;
  try {
    if (lx.next() === T.EOF) return { eof: true };
    lx.pushBack();
    const node = p.list('top');
    return { node, end: lx.pos, nextLine: lx.line };
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    return { error: { message: err.message, line: err.line, atEof: err.atEof } };
  }
}

export { SyntaxError };
