import { posix } from 'node:path';
import type { ContainerFs } from '../rootfs/types';
import { hasMeta, matchName, unescape } from './pattern';

// Pathname expansion against the container's files: the sorted paths that
// match the pattern (escaped characters are literal), or none.
export function glob(fs: ContainerFs, cwd: string, pattern: string): string[] {
  const absolute = pattern.startsWith('/');
  const comps = splitComponents(pattern);
  let results: string[] = [absolute ? '/' : ''];
  for (let i = 0; i < comps.length; i++) {
    const comp = comps[i];
    const last = i === comps.length - 1;
    if (comp === '') continue; // "//" or a trailing "/"
    const next: string[] = [];
    if (!hasMeta(comp)) {
      const name = unescape(comp);
      for (const r of results) next.push(join(r, name));
    } else {
      for (const r of results) {
        let names: string[];
        try {
          const dir = posix.resolve(cwd, r || '.');
          names = fs.readdir(dir);
        } catch {
          continue;
        }
        // expmeta reads . and .. from readdir too: a pattern that starts
        // with a dot (`.*`) matches them.
        if (comp.startsWith('.') || comp.startsWith('\\.')) names = ['.', '..', ...names];
        for (const name of names) {
          if (!matchName(comp, name)) continue;
          const p = join(r, name);
          if (!last) {
            try {
              if (fs.stat(posix.resolve(cwd, p)).type !== 'dir') continue;
            } catch {
              continue;
            }
          }
          next.push(p);
        }
      }
    }
    results = next;
    if (results.length === 0) return [];
  }
  // Literal components after the last pattern: the path must exist.
  const out: string[] = [];
  for (const r of results) {
    const p = pattern.endsWith('/') ? r + '/' : r;
    try {
      fs.lstat(posix.resolve(cwd, r || '.'));
      out.push(p);
    } catch {
      // no such path
    }
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function join(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

// Splits at unescaped slashes.
function splitComponents(p: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '\\' && i + 1 < p.length) {
      cur += c + p[++i];
    } else if (c === '/') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  if (out[0] === '' && p.startsWith('/')) out.shift();
  return out;
}
