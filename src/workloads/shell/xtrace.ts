import { Killed } from '../procs/types';
import type { Fd } from './fds';
import type { Shell } from './shell';

// `set -x`: each command on stderr after expansion, as ash prints it.

// ash's single_quote(): 'text', with runs of ' in "...".
export function singleQuote(s: string): string {
  let out = '';
  let i = 0;
  do {
    let j = s.indexOf("'", i);
    if (j < 0) j = s.length;
    out += `'${s.slice(i, j)}'`;
    i = j;
    if (s[i] !== "'") break;
    while (s[j] === "'") j++;
    out += `"${s.slice(i, j)}"`;
    i = j;
  } while (i < s.length);
  return out;
}

// ash's maybe_single_quote(): quoted only when it has a special character.
export function maybeQuote(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x2b || (c >= 0x3b && c <= 0x3f) || c === 0x60 || c === 0x5b || c === 0x5c || c > 0x7a) return singleQuote(s);
  }
  return s;
}

const KEYWORDS = new Set(['!', 'case', 'do', 'done', 'elif', 'else', 'esac', 'fi', 'for', 'function', 'if', 'in', 'then', 'until', 'while', '{', '}']);

// `stderr`: the command's fd 2 before its own redirections (ash's
// preverrout_fd, saved by REDIR_SAVEFD2): `cmd 2>/dev/null` is still traced.
export async function traceCommand(sh: Shell, assigns: [string, string][], argv: string[], stderr?: Fd): Promise<void> {
  const parts: string[] = [];
  for (const [k, v] of assigns) parts.push(`${k}=${maybeQuote(v)}`);
  for (const a of argv) parts.push(KEYWORDS.has(a) ? singleQuote(a) : maybeQuote(a));
  const ps4 = sh.vars.get('PS4') ?? '+ ';
  const line = ps4 + parts.join(' ') + '\n';
  if (!stderr) return sh.writeErr(line);
  if (!stderr.out) return;
  try {
    await stderr.out.write(line);
  } catch (err) {
    if (err instanceof Killed) throw err;
  }
}
