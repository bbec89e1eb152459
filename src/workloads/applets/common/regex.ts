// POSIX regular expressions (BRE and ERE, with glibc's GNU extensions) as
// JavaScript RegExps over byte strings (one char per byte, see toBin).
// Matching is leftmost-first rather than POSIX's leftmost-longest for
// alternations; everything else reads as glibc's regcomp would.

export class RegexError extends Error {}

export interface RegexOptions {
  extended?: boolean; // ERE (grep -E, sed -E/-r, awk)
  ignoreCase?: boolean;
  global?: boolean;
  // The JS source instead of a RegExp (grep -w/-x wrap it).
}

const CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: '0-9a-zA-Z',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
  word: '0-9a-zA-Z_',
};

const escapeClassChar = (c: string): string => (/[\\\]\[^-]/.test(c) ? '\\' + c : c);

// A bracket expression starting at s[i] === '['. Answers the JS class and
// the index after its closing ']'. Backslash is literal inside, as POSIX says
// (unless `backslashEscapes`, as awk wants).
export function bracket(s: string, i: number, backslashEscapes = false): [string, number] {
  let j = i + 1;
  let negate = false;
  if (s[j] === '^') {
    negate = true;
    j++;
  }
  let out = '';
  let first = true;
  for (;;) {
    if (j >= s.length) throw new RegexError('Unmatched [, [^, [:, [., or [=');
    const c = s[j];
    if (c === ']' && !first) break;
    first = false;
    if (c === '[' && (s[j + 1] === ':' || s[j + 1] === '=' || s[j + 1] === '.')) {
      const kind = s[j + 1];
      const end = s.indexOf(kind + ']', j + 2);
      if (end < 0) throw new RegexError('Unmatched [, [^, [:, [., or [=');
      const name = s.slice(j + 2, end);
      if (kind === ':') {
        const cls = CLASSES[name];
        if (cls === undefined) throw new RegexError('Invalid character class name');
        out += cls;
      } else out += [...name].map(escapeClassChar).join('');
      j = end + 2;
      continue;
    }
    if (backslashEscapes && c === '\\' && j + 1 < s.length) {
      out += '\\' + s[j + 1];
      j += 2;
      continue;
    }
    // A range a-z, unless '-' is last.
    if (s[j + 1] === '-' && s[j + 2] !== undefined && s[j + 2] !== ']') {
      const hi = s[j + 2];
      if (hi.charCodeAt(0) < c.charCodeAt(0)) throw new RegexError('Invalid range end');
      out += `${escapeClassChar(c)}-${escapeClassChar(hi)}`;
      j += 3;
      continue;
    }
    out += escapeClassChar(c);
    j++;
  }
  if (out === '') return [negate ? '[\\s\\S]' : '[]', j + 1];
  return [`[${negate ? '^' : ''}${out}]`, j + 1];
}

// The JS source for a POSIX regex. `awk`: backslash escapes inside
// brackets too, as awk's EREs have it.
export function regexSource(re: string, extended: boolean, awk = false): string {
  let out = '';
  // Where a '*' is literal (BRE: at the start, after \( or \|; ERE: after ( or |).
  let atStart = true;
  let depth = 0;
  // Whether the last thing emitted can take a quantifier.
  let quantifiable = false;
  let lastWasQuantifier = false;
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    const startHere = atStart;
    atStart = false;
    const emit = (s: string, q = true) => {
      out += s;
      quantifiable = q;
      lastWasQuantifier = false;
    };
    if (c === '\\') {
      const n = re[++i];
      if (n === undefined) throw new RegexError('Trailing backslash');
      if (!extended && n === '(') {
        emit('(', false);
        depth++;
        atStart = true;
        continue;
      }
      if (!extended && n === ')') {
        if (depth === 0) throw new RegexError('Unmatched ) or \\)');
        depth--;
        emit(')');
        continue;
      }
      if (!extended && n === '|') {
        emit('|', false);
        atStart = true;
        continue;
      }
      if (!extended && n === '{') {
        const end = re.indexOf('\\}', i);
        if (end < 0) throw new RegexError('Unmatched \\{');
        const body = re.slice(i + 1, end);
        if (!/^\d*(,\d*)?$/.test(body) || body === '' || body === ',') throw new RegexError('Invalid content of \\{\\}');
        if (startHere) {
          emit('\\{');
          continue;
        }
        out += `{${body.startsWith(',') ? '0' + body : body}}`;
        i = end + 1;
        lastWasQuantifier = true;
        continue;
      }
      if (!extended && (n === '+' || n === '?')) {
        if (startHere || !quantifiable) emit('\\' + n);
        else {
          out += lastWasQuantifier ? '' : n;
          lastWasQuantifier = true;
        }
        continue;
      }
      if (n >= '1' && n <= '9') {
        emit('\\' + n);
        continue;
      }
      if (n === '<') {
        emit('\\b(?=\\w)', false);
        continue;
      }
      if (n === '>') {
        emit('\\b(?<=\\w)', false);
        continue;
      }
      if (n === 'b' || n === 'B') {
        emit('\\' + n, false);
        continue;
      }
      if (n === 'w' || n === 'W') {
        emit('\\' + n);
        continue;
      }
      if (n === 's' || n === 'S') {
        emit(n === 's' ? '[ \\t\\n\\r\\f\\v]' : '[^ \\t\\n\\r\\f\\v]');
        continue;
      }
      if (n === '`') {
        emit('^', false);
        continue;
      }
      if (n === "'") {
        emit('$', false);
        continue;
      }
      if (n === 'n') {
        emit('\\n');
        continue;
      }
      if (n === 't') {
        emit('\\t');
        continue;
      }
      emit(/[A-Za-z0-9]/.test(n) ? n : '\\' + n);
      continue;
    }
    if (c === '[') {
      const [cls, next] = bracket(re, i, awk);
      emit(cls);
      i = next - 1;
      continue;
    }
    if (c === '.') {
      emit('[\\s\\S]');
      continue;
    }
    if (c === '*') {
      if (startHere || !quantifiable) {
        if (extended && !startHere) throw new RegexError('Invalid preceding regular expression');
        emit('\\*');
        continue;
      }
      if (!lastWasQuantifier) out += '*';
      lastWasQuantifier = true;
      continue;
    }
    if (c === '^') {
      if (extended || startHere) {
        emit('^', false);
        atStart = true;
      } else emit('\\^');
      continue;
    }
    if (c === '$') {
      const rest = re.slice(i + 1);
      if (extended || rest === '' || rest.startsWith('\\)') || rest.startsWith('\\|')) emit('$', false);
      else emit('\\$');
      continue;
    }
    if (extended) {
      if (c === '(') {
        emit('(', false);
        depth++;
        atStart = true;
        continue;
      }
      if (c === ')') {
        if (depth === 0) {
          emit('\\)');
          continue;
        }
        depth--;
        emit(')');
        continue;
      }
      if (c === '|') {
        emit('|', false);
        atStart = true;
        continue;
      }
      if (c === '+' || c === '?') {
        if (startHere || !quantifiable) {
          emit('\\' + c);
          continue;
        }
        if (!lastWasQuantifier) out += c;
        lastWasQuantifier = true;
        continue;
      }
      if (c === '{') {
        const end = re.indexOf('}', i);
        const body = end < 0 ? '' : re.slice(i + 1, end);
        if (end < 0 || !/^\d+(,\d*)?$|^,\d+$/.test(body) || startHere || !quantifiable) {
          emit('\\{');
          continue;
        }
        out += `{${body.startsWith(',') ? '0' + body : body}}`;
        i = end;
        lastWasQuantifier = true;
        continue;
      }
    }
    emit(/[\\^$.|?*+()[\]{}\/]/.test(c) ? '\\' + c : c);
  }
  if (depth > 0) throw new RegexError(extended ? 'Missing ")"' : 'Unmatched ( or \\(');
  return out;
}

export function translateRegex(re: string, opts: RegexOptions = {}): RegExp {
  const src = regexSource(re, opts.extended ?? false);
  try {
    return new RegExp(src, (opts.ignoreCase ? 'i' : '') + (opts.global ? 'g' : ''));
  } catch (err) {
    throw new RegexError(err instanceof Error ? err.message : String(err));
  }
}
