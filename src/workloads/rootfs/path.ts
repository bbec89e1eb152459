import { posix } from 'node:path';
import type { ContainerFs } from './types';

// An absolute, normalised container path for `p` seen from `cwd`.
export function resolvePath(cwd: string, p: string): string {
  return posix.resolve(cwd || '/', p || '.');
}

// What PATH lookup finds for a command name, as execvp does: the first
// regular file in a PATH directory that the caller may execute. A name with
// a slash is taken as a path. Answers undefined when nothing is found.
export function findInPath(fs: ContainerFs, name: string, path: string, cwd = '/'): string | undefined {
  return searchPath(fs, name, path, cwd).path;
}

// As ash's find_command: the first executable regular file down PATH; when
// there is none, EACCES if some entry existed (a directory, a masked
// /dev/null, a file without x), ENOENT otherwise.
export function searchPath(fs: ContainerFs, name: string, path: string, cwd = '/'): { path?: string; error: 'ENOENT' | 'EACCES' } {
  if (name.includes('/')) return { path: resolvePath(cwd, name), error: 'ENOENT' };
  let error: 'ENOENT' | 'EACCES' = 'ENOENT';
  for (const dir of path.split(':')) {
    const candidate = resolvePath(cwd, posix.join(dir || '.', name));
    try {
      const found = fs.stat(candidate).type;
      error = 'EACCES';
      if (found !== 'file') continue;
      fs.access(candidate, 1);
      return { path: candidate, error };
    } catch {
      // Not here, or not executable: go on down PATH.
    }
  }
  return { error };
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
