import type { Node, Param, ParamOp, Part, Redir, RedirOp, Word } from './ast';
import { hasMeta } from './pattern';

// Tokens as busybox ash's readtoken() gives them. Keywords are words the
// parser recognises where it expects a command.
export const enum T {
  EOF,
  NL,
  REDIR,
  WORD,
  SEMI,
  AMP,
  AND,
  OR,
  PIPE,
  LP,
  RP,
  ENDCASE,
}

// What ash calls a token in its messages: `unexpected "done"`.
export function tokenName(t: T, word?: string): string {
  switch (t) {
    case T.EOF:
      return 'end of file';
    case T.NL:
      return 'newline';
    case T.REDIR:
      return 'redirection';
    case T.WORD:
      return word !== undefined ? `"${word}"` : 'word';
    case T.SEMI:
      return '";"';
    case T.AMP:
      return '"&"';
    case T.AND:
      return '"&&"';
    case T.OR:
      return '"||"';
    case T.PIPE:
      return '"|"';
    case T.LP:
      return '"("';
    case T.RP:
      return '")"';
    case T.ENDCASE:
      return '";;"';
  }
}

export class SyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    // The script ended in the middle of a construct: more input may
    // complete it (a script read from stdin line by line).
    readonly atEof = false,
  ) {
    super(message);
  }
}

// Limits that keep a hostile script from costing unbounded memory or stack.
export const MAX_NESTING = 400;

// A here-document whose body comes after the end of the current line.
interface PendingHeredoc {
  redir: { target: Word };
  delim: string;
  quoted: boolean;
  strip: boolean;
}

export interface Hooks {
  // Parses a command list up to ")" for $(...), leaving the lexer after it.
  commandSub(lx: Lexer): Node | null;
  // Parses the text of `...` (already unescaped) starting at `line`.
  parseText(text: string, line: number): Node | null;
}

const isNameStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isNameChar = (c: string) => isNameStart(c) || (c >= '0' && c <= '9');
const isDigit = (c: string) => c >= '0' && c <= '9';
const SPECIAL_PARAMS = '!#$*-0123456789?@';
const WORD_END = ' \t\n;&|()<>';

export function isName(s: string): boolean {
  if (s.length === 0 || !isNameStart(s[0])) return false;
  for (let i = 1; i < s.length; i++) if (!isNameChar(s[i])) return false;
  return true;
}

// Reads tokens and words from script text. The grammar lives in parser.ts.
export class Lexer {
  pos = 0;
  line = 1;
  depth = 0;
  private heredocs: PendingHeredoc[] = [];

  // The last token read.
  tok: T = T.EOF;
  word: Word | null = null;
  // The word's text when it is a single unquoted literal (keywords, names).
  plain: string | undefined;
  tokStart = 0; // where the last token began
  redirFd = -1;
  redirOp: RedirOp = '<';
  pushedBack = false;

  constructor(
    readonly src: string,
    private readonly hooks: Hooks,
    line = 1,
  ) {
    this.line = line;
  }

  fail(message: string, atEof = false): never {
    throw new SyntaxError(`syntax error: ${message}`, this.line, atEof);
  }

  enter(): void {
    if (++this.depth > MAX_NESTING) this.fail('nesting too deep');
  }

  leave(): void {
    this.depth--;
  }

  private peek(off = 0): string {
    return this.src[this.pos + off] ?? '';
  }

  // The next character, with backslash-newline pairs removed.
  private peekBnl(): string {
    while (this.src[this.pos] === '\\' && this.src[this.pos + 1] === '\n') {
      this.pos += 2;
      this.line++;
    }
    return this.src[this.pos] ?? '';
  }

  // Reads the next token into tok/word/plain/redir*.
  next(): T {
    if (this.pushedBack) {
      this.pushedBack = false;
      return this.tok;
    }
    this.word = null;
    this.plain = undefined;
    for (;;) {
      const c = this.peekBnl();
      if (c === ' ' || c === '\t') {
        this.pos++;
        continue;
      }
      if (c === '#') {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
        continue;
      }
      this.tokStart = this.pos;
      if (c === '') return (this.tok = T.EOF);
      if (c === '\n') {
        this.pos++;
        this.line++;
        this.readHeredocs();
        return (this.tok = T.NL);
      }
      if (c === '(' || c === ')') {
        this.pos++;
        return (this.tok = c === '(' ? T.LP : T.RP);
      }
      if (c === '&' || c === '|' || c === ';') {
        this.pos++;
        const d = this.peekBnl();
        if (d === c) {
          this.pos++;
          return (this.tok = c === '&' ? T.AND : c === '|' ? T.OR : T.ENDCASE);
        }
        if (c === '&' && d === '>') {
          this.pos++;
          return this.redirection(-1, '&>');
        }
        return (this.tok = c === '&' ? T.AMP : c === '|' ? T.PIPE : T.SEMI);
      }
      // <( and >( start a word: process substitution, not a redirection.
      if ((c === '<' || c === '>') && this.src[this.pos + 1] !== '(') return this.redirection(-1, undefined);
      break;
    }
    // A word; all digits right before < or > is a redirection's fd.
    const start = this.pos;
    const parts = this.readWord();
    const c = this.peek();
    if ((c === '<' || c === '>') && parts.length === 1 && parts[0].t === 'lit' && /^[0-9]+$/.test(parts[0].s)) {
      return this.redirection(Number(parts[0].s), undefined);
    }
    if (c === '&' && this.peek(1) === '>' && parts.length === 1 && parts[0].t === 'lit' && /^[0-9]+$/.test(parts[0].s)) {
      this.pos++;
      return this.redirection(Number(parts[0].s), '&>');
    }
    if (this.pos === start) this.fail(`unexpected "${c}"`); // cannot happen: every other character starts a word
    this.word = makeWord(parts);
    this.plain = parts.length === 1 && parts[0].t === 'lit' ? parts[0].s : undefined;
    return (this.tok = T.WORD);
  }

  pushBack(): void {
    this.pushedBack = true;
  }

  private redirection(fd: number, op: RedirOp | undefined): T {
    if (op === undefined) {
      const c = this.src[this.pos++];
      const d = this.peekBnl();
      if (c === '>') {
        if (d === '>' || d === '|' || d === '&') {
          this.pos++;
          op = d === '>' ? '>>' : d === '|' ? '>|' : '>&';
        } else op = '>';
      } else if (d === '<') {
        this.pos++;
        if (this.peekBnl() === '-') {
          this.pos++;
          op = '<<-';
        } else op = '<<';
      } else if (d === '&' || d === '>') {
        this.pos++;
        op = d === '&' ? '<&' : '<>';
      } else op = '<';
    }
    this.redirFd = fd;
    this.redirOp = op;
    return (this.tok = T.REDIR);
  }

  // A here-document's delimiter word: no expansion; quoting only says
  // whether the body is taken literally.
  heredocDelimiter(): { delim: string; quoted: boolean } {
    for (;;) {
      const c = this.peekBnl();
      if (c === ' ' || c === '\t') this.pos++;
      else break;
    }
    let delim = '';
    let quoted = false;
    for (;;) {
      const c = this.peekBnl();
      if (c === '' || WORD_END.includes(c)) break;
      this.pos++;
      if (c === '\\') {
        quoted = true;
        if (this.pos < this.src.length) delim += this.src[this.pos++];
      } else if (c === "'" || c === '"') {
        quoted = true;
        const end = this.src.indexOf(c, this.pos);
        if (end < 0) this.fail('unterminated quoted string', true);
        delim += this.src.slice(this.pos, end);
        this.line += countNl(this.src, this.pos, end);
        this.pos = end + 1;
      } else delim += c;
    }
    if (delim === '' && !quoted) {
      // `cat <<` followed by nothing usable
      this.next();
      this.fail(`unexpected ${tokenName(this.tok)}`, this.tok === T.EOF);
    }
    return { delim, quoted };
  }

  addHeredoc(redir: Redir, delim: string, quoted: boolean, strip: boolean): void {
    this.heredocs.push({ redir: redir as { target: Word }, delim, quoted, strip });
  }

  hasPendingHeredocs(): boolean {
    return this.heredocs.length > 0;
  }

  // Reads the bodies of the here-documents of the line just ended.
  readHeredocs(): void {
    if (this.heredocs.length === 0) return;
    const docs = this.heredocs;
    this.heredocs = [];
    for (const h of docs) {
      const startLine = this.line;
      let body = '';
      for (;;) {
        if (this.pos >= this.src.length) break; // end of input ends the document
        let nl = this.src.indexOf('\n', this.pos);
        if (nl < 0) nl = this.src.length;
        let lineText = this.src.slice(this.pos, nl);
        this.pos = Math.min(nl + 1, this.src.length);
        this.line++;
        if (h.strip) lineText = lineText.replace(/^\t+/, '');
        if (lineText === h.delim) break;
        body += lineText + '\n';
        if (body.length > MAX_HEREDOC) throw new SyntaxError(`here-document over ${MAX_HEREDOC >> 20} MiB`, this.line);
      }
      h.redir.target = h.quoted ? { parts: [{ t: 'q', s: body }] } : heredocWord(body, this.hooks, startLine);
    }
  }

  // Reads a word in base syntax, up to an unquoted blank or operator.
  readWord(): Part[] {
    const parts: Part[] = [];
    let lit = '';
    const flush = () => {
      if (lit) parts.push({ t: 'lit', s: lit });
      lit = '';
    };
    for (;;) {
      const c = this.peekBnl();
      // As readtoken1: an unquoted < or > right before ( goes on with the
      // word (the ( read plainly: a backslash-newline between ends it).
      if ((c === '<' || c === '>') && this.src[this.pos + 1] === '(') {
        flush();
        this.pos += 2;
        this.enter();
        const body = this.hooks.commandSub(this);
        this.leave();
        parts.push({ t: 'psub', toProc: c === '>', body });
        continue;
      }
      if (c === '' || WORD_END.includes(c)) break;
      this.pos++;
      switch (c) {
        case '\\': {
          flush();
          const d = this.src[this.pos];
          if (d === undefined) parts.push({ t: 'q', s: '\\' });
          else {
            this.pos++;
            parts.push({ t: 'q', s: d });
          }
          break;
        }
        case "'":
          flush();
          parts.push({ t: 'q', s: this.singleQuoted() });
          break;
        case '"':
          flush();
          parts.push({ t: 'dq', parts: this.doubleQuoted() });
          break;
        case '$': {
          const p = this.dollar(false);
          if (p === null) lit += '$';
          else {
            flush();
            parts.push(p);
          }
          break;
        }
        case '`':
          flush();
          parts.push(this.backquote(false));
          break;
        default:
          lit += c;
      }
    }
    flush();
    return parts;
  }

  private singleQuoted(): string {
    const end = this.src.indexOf("'", this.pos);
    if (end < 0) {
      this.pos = this.src.length;
      this.fail('unterminated quoted string', true);
    }
    const s = this.src.slice(this.pos, end);
    this.line += countNl(s, 0, s.length);
    this.pos = end + 1;
    return s;
  }

  // The inside of "...", after the opening quote, up to the closing one.
  private doubleQuoted(): Part[] {
    const parts: Part[] = [];
    let q = '';
    const flush = () => {
      if (q) parts.push({ t: 'q', s: q });
      q = '';
    };
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.fail('unterminated quoted string', true);
      this.pos++;
      if (c === '"') break;
      if (c === '\n') this.line++;
      if (c === '\\') {
        const d = this.src[this.pos];
        if (d === '\n') {
          this.pos++;
          this.line++;
        } else if (d === '$' || d === '`' || d === '"' || d === '\\') {
          this.pos++;
          q += d;
        } else q += '\\';
      } else if (c === '$') {
        const p = this.dollar(true);
        if (p === null) q += '$';
        else {
          flush();
          parts.push(p);
        }
      } else if (c === '`') {
        flush();
        parts.push(this.backquote(true));
      } else q += c;
    }
    flush();
    return parts;
  }

  // After a $: a parameter, $(...), $((...)) or $'...'; null for a plain $.
  dollar(inDq: boolean): Part | null {
    const c = this.peekBnl();
    if (c === '{') {
      this.pos++;
      return this.braceParam(inDq);
    }
    if (c === '(') {
      this.pos++;
      if (this.peekBnl() === '(') {
        this.pos++;
        return this.arith();
      }
      this.enter();
      const body = this.hooks.commandSub(this);
      this.leave();
      return { t: 'cmd', body };
    }
    if (isNameStart(c)) {
      let name = '';
      while (isNameChar(this.peekBnl())) name += this.src[this.pos++];
      return { t: 'param', name, op: '' };
    }
    if (c !== '' && SPECIAL_PARAMS.includes(c)) {
      this.pos++;
      return { t: 'param', name: c, op: '' };
    }
    if (c === "'" && !inDq) {
      this.pos++;
      return { t: 'q', s: this.dollarSingle() };
    }
    return null;
  }

  // ${...} after the brace.
  private braceParam(inDq: boolean): Part {
    this.enter();
    let name = '';
    let op: ParamOp = '';
    let c = this.peekBnl();
    if (c === '#') {
      // ${#name} or ${#} ($#) or ${#-word}...
      const d = this.src[this.pos + 1] ?? '';
      if (isNameChar(d)) {
        this.pos++;
        op = '#';
        c = d;
      } else if (d !== '' && d !== '}' && SPECIAL_PARAMS.includes(d) && this.src[this.pos + 2] === '}') {
        this.pos++;
        op = '#';
        c = d;
      }
    }
    if (isNameStart(c)) {
      while (isNameChar(this.peekBnl())) name += this.src[this.pos++];
    } else if (isDigit(c)) {
      while (isDigit(this.peekBnl())) name += this.src[this.pos++];
    } else if (c !== '' && SPECIAL_PARAMS.includes(c)) {
      name = c;
      this.pos++;
    } else op = 'bad';
    let colon = false;
    let arg: Word | undefined;
    let arg2: Word | undefined;
    if (op === '#') {
      if (this.peekBnl() !== '}') op = 'bad';
    } else if (op === '') {
      c = this.peekBnl();
      if (c === '}') {
        // plain
      } else if (c === ':' && '-=?+'.includes(this.src[this.pos + 1] ?? 'x')) {
        colon = true;
        op = this.src[this.pos + 1] as ParamOp;
        this.pos += 2;
        arg = this.paramWord(inDq, '');
      } else if (c === ':') {
        this.pos++;
        op = 'substr';
        arg = this.paramWord(false, ':');
        if (this.peek() === ':') {
          this.pos++;
          arg2 = this.paramWord(false, '');
        }
      } else if ('-=?+'.includes(c)) {
        this.pos++;
        op = c as ParamOp;
        arg = this.paramWord(inDq, '');
      } else if (c === '#' || c === '%') {
        this.pos++;
        const max = this.peekBnl() === c;
        if (max) this.pos++;
        op = c === '#' ? (max ? 'trimLeftMax' : 'trimLeft') : max ? 'trimRightMax' : 'trimRight';
        arg = this.paramWord(false, '');
      } else if (c === '/') {
        this.pos++;
        op = 'replace';
        if (this.peekBnl() === '/') {
          this.pos++;
          op = 'replaceAll';
        }
        // The pattern's first character may be a slash: ${v////-}.
        arg = this.paramWord(false, '/', true);
        if (this.peek() === '/') {
          this.pos++;
          arg2 = this.paramWord(false, '');
        }
      } else op = 'bad';
    }
    if (op === 'bad') this.paramWord(inDq, '');
    if (this.peek() !== '}') this.fail("missing '}'", true);
    this.pos++;
    this.leave();
    if (op === 'bad') return { t: 'param', name: '', op: 'bad' };
    const p: Param = { t: 'param', name, op, colon: colon || undefined, arg, arg2 };
    return p;
  }

  // The word inside ${...} after the operator, up to the closing brace (or
  // `stop`). Blanks and operators are part of it. In double quotes (for
  // -=?+) it is read as double-quoted text; patterns are read in base syntax.
  private paramWord(inDq: boolean, stop: string, firstMayBeStop = false): Word {
    const parts: Part[] = [];
    let s = '';
    const flush = () => {
      if (s) parts.push({ t: inDq ? 'q' : 'lit', s });
      s = '';
    };
    let first = true;
    for (;;) {
      const c = this.peekBnl();
      if (c === '') this.fail("missing '}'", true);
      if (c === '}' || (c === stop && !(first && firstMayBeStop))) break;
      first = false;
      this.pos++;
      if (c === '\n') this.line++;
      if (c === '\\') {
        const d = this.src[this.pos];
        if (d === undefined) {
          s += '\\';
          continue;
        }
        if (inDq && !'$`"\\}'.includes(d)) {
          s += '\\';
          continue;
        }
        this.pos++;
        flush();
        parts.push({ t: 'q', s: d });
      } else if (c === "'" && !inDq) {
        flush();
        parts.push({ t: 'q', s: this.singleQuoted() });
      } else if (c === '"') {
        flush();
        parts.push({ t: 'dq', parts: this.doubleQuoted() });
      } else if (c === '$') {
        const p = this.dollar(inDq);
        if (p === null) s += '$';
        else {
          flush();
          parts.push(p);
        }
      } else if (c === '`') {
        flush();
        parts.push(this.backquote(inDq));
      } else s += c;
    }
    flush();
    return makeWord(parts);
  }

  // $((...)) after the second paren: the expression, expanded as in double
  // quotes, up to the matching "))".
  private arith(): Part {
    this.enter();
    const parts: Part[] = [];
    let s = '';
    const flush = () => {
      if (s) parts.push({ t: 'q', s });
      s = '';
    };
    let depth = 0;
    for (;;) {
      const c = this.peekBnl();
      if (c === '') this.fail("missing '))'", true);
      this.pos++;
      if (c === '\n') this.line++;
      if (c === '(') {
        depth++;
        s += c;
      } else if (c === ')') {
        if (depth > 0) {
          depth--;
          s += c;
        } else if (this.peekBnl() === ')') {
          this.pos++;
          break;
        } else s += c;
      } else if (c === '\\') {
        const d = this.src[this.pos];
        if (d !== undefined && '$`"\\'.includes(d)) {
          this.pos++;
          s += d;
        } else s += '\\';
      } else if (c === '"') {
        // quotes group, and are removed
      } else if (c === '$') {
        const p = this.dollar(true);
        if (p === null) s += '$';
        else {
          flush();
          parts.push(p);
        }
      } else if (c === '`') {
        flush();
        parts.push(this.backquote(true));
      } else s += c;
    }
    flush();
    this.leave();
    return { t: 'arith', expr: makeWord(parts) };
  }

  // `...`: the text up to the closing backquote, with \\ \` \$ (and \" in
  // double quotes) unescaped, parsed as a script of its own.
  backquote(inDq: boolean): Part {
    const line = this.line;
    let text = '';
    for (;;) {
      const c = this.peekBnl();
      if (c === '') this.fail('EOF in backquote substitution', true);
      this.pos++;
      if (c === '`') break;
      if (c === '\n') this.line++;
      if (c === '\\') {
        const d = this.src[this.pos];
        if (d !== undefined && (d === '\\' || d === '`' || d === '$' || (inDq && d === '"'))) {
          this.pos++;
          text += d;
          continue;
        }
      }
      text += c;
    }
    this.enter();
    const body = this.hooks.parseText(text, line);
    this.leave();
    return { t: 'cmd', body };
  }

  // $'...' after the quote: C escapes, as bash and ash decode them.
  private dollarSingle(): string {
    let out = '';
    for (;;) {
      const c = this.src[this.pos];
      if (c === undefined) this.fail('unterminated quoted string', true);
      this.pos++;
      if (c === "'") return out;
      if (c === '\n') this.line++;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const d = this.src[this.pos++] ?? '';
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', e: '\x1b', E: '\x1b', '\\': '\\', "'": "'", '"': '"' };
      if (d in simple) out += simple[d];
      else if (d >= '0' && d <= '7') {
        let n = d;
        while (n.length < 3 && /[0-7]/.test(this.src[this.pos] ?? '')) n += this.src[this.pos++];
        const v = parseInt(n, 8) & 0xff;
        if (v) out += String.fromCharCode(v);
      } else if (d === 'x' && /[0-9a-fA-F]/.test(this.src[this.pos] ?? '')) {
        let n = '';
        while (n.length < 2 && /[0-9a-fA-F]/.test(this.src[this.pos] ?? '')) n += this.src[this.pos++];
        const v = parseInt(n, 16);
        if (v) out += String.fromCharCode(v);
      } else out += '\\' + d;
    }
  }
}

export const MAX_HEREDOC = 16 * 1024 * 1024;

function countNl(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 10) n++;
  return n;
}

// A word needs no expansion when it is one plain literal without glob or
// tilde characters.
export function makeWord(parts: Part[]): Word {
  if (parts.length === 1 && parts[0].t === 'lit' && !/[*?~]/.test(parts[0].s) && !hasMeta(parts[0].s)) return { parts, lit: parts[0].s };
  if (parts.length === 0) return EMPTY_WORD;
  return { parts };
}

const EMPTY_WORD: Word = { parts: [], lit: '' };

// The body of an unquoted here-document: $ and ` expand, backslash escapes
// only $ ` \ and newline, quotes are plain characters.
function heredocWord(body: string, hooks: Hooks, line: number): Word {
  const lx = new Lexer(body, hooks, line);
  const parts: Part[] = [];
  let q = '';
  const flush = () => {
    if (q) parts.push({ t: 'q', s: q });
    q = '';
  };
  const src = body;
  while (lx.pos < src.length) {
    const c = src[lx.pos++];
    if (c === '\n') lx.line++;
    if (c === '\\') {
      const d = src[lx.pos];
      if (d === '\n') {
        lx.pos++;
        lx.line++;
      } else if (d === '$' || d === '`' || d === '\\') {
        lx.pos++;
        q += d;
      } else q += '\\';
    } else if (c === '$') {
      const p = lx.dollar(true);
      if (p === null) q += '$';
      else {
        flush();
        parts.push(p);
      }
    } else if (c === '`') {
      flush();
      parts.push(lx.backquote(true));
    } else q += c;
  }
  flush();
  return { parts: [{ t: 'dq', parts }] };
}
