// bb_process_escape_sequence: the escape starting at s[i] (just after the
// backslash) of a byte string. Answers the byte and the index after it.
// \NNN octal (up to 3 digits, ≤ 255), \xHH hex, \a \b \e \f \n \r \t \v \\;
// anything else is a literal backslash, leaving s[i] to be read again.
const LETTERS: Record<string, string> = {
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
};

export function escapeAt(s: string, i: number): [string, number] {
  let q = i;
  let base = 8;
  let digits = 0;
  let n = 0;
  if (s[q] === 'x') {
    q++;
    base = 16;
    digits++;
  }
  do {
    const c = s[q];
    if (c === undefined) {
      if (base === 16 && --digits === 0) return ['\\', i];
      break;
    }
    let d = c.charCodeAt(0) - 48;
    if (d < 0 || d >= 10) {
      const l = c.toLowerCase().charCodeAt(0) - 97;
      d = l >= 0 ? l + 10 : 99;
    }
    if (d >= base) {
      if (base === 16 && --digits === 0) return ['\\', i];
      break;
    }
    const r = n * base + d;
    if (r > 255) break;
    n = r;
    q++;
  } while (++digits < 3);
  if (digits === 0) {
    const c = s[q];
    if (c !== undefined && Object.hasOwn(LETTERS, c)) return [LETTERS[c], q + 1];
    return ['\\', q];
  }
  return [String.fromCharCode(n), q];
}

// echo -e and printf %b: like escapeAt, and \0NNN takes up to three octal
// digits after the 0. Answers null for "\c" (stop all output).
export function escapeAtEcho(s: string, i: number): [string, number] | null {
  if (s[i] === 'c') return null;
  if (s[i] === '0' && s[i + 1] !== undefined && s[i + 1] >= '0' && s[i + 1] <= '7') i++;
  return escapeAt(s, i);
}

// C-style escapes in a whole byte string (tr's sets, sed's text).
export function unescapeAll(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '\\' || i + 1 >= s.length) {
      out += s[i];
      continue;
    }
    const [c, next] = escapeAt(s, i + 1);
    out += c;
    i = next - 1;
  }
  return out;
}
