import { RegexError, bracket } from './regex';

// fnmatch(3): shell patterns (* ? [...] [!...] and backslash quoting) for
// find -name/-path, test's [[ = ]], and which.

export interface FnmatchOptions {
  caseFold?: boolean; // FNM_CASEFOLD
  pathname?: boolean; // FNM_PATHNAME: wildcards do not match '/'
}

const cache = new Map<string, RegExp>();

export function globRegex(pattern: string, opts: FnmatchOptions = {}): RegExp {
  const key = `${opts.caseFold ? 'i' : ''}${opts.pathname ? 'p' : ''}:${pattern}`;
  let re = cache.get(key);
  if (re) return re;
  const any = opts.pathname ? '[^/]' : '[\\s\\S]';
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') src += `${any}*`;
    else if (c === '?') src += any;
    else if (c === '\\' && i + 1 < pattern.length) src += escapeRe(pattern[++i]);
    else if (c === '[') {
      // [!...] is [^...]; an unclosed '[' is itself.
      const p = pattern[i + 1] === '!' ? `[^${pattern.slice(i + 2)}` : pattern.slice(i);
      try {
        const [cls, next] = bracket(p, 0);
        src += cls;
        i += next - 1;
      } catch (err) {
        if (!(err instanceof RegexError)) throw err;
        src += '\\[';
      }
    } else src += escapeRe(c);
  }
  re = new RegExp(`^${src}$`, opts.caseFold ? 'i' : '');
  if (cache.size > 1000) cache.clear();
  cache.set(key, re);
  return re;
}

const escapeRe = (c: string): string => (/[\\^$.|?*+()[\]{}\/]/.test(c) ? '\\' + c : c);

export function fnmatch(pattern: string, s: string, opts: FnmatchOptions = {}): boolean {
  return globRegex(pattern, opts).test(s);
}

export const hasGlob = (s: string): boolean => /[*?[]/.test(s);
