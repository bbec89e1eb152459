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
  if (name.includes('/')) return resolvePath(cwd, name);
  for (const dir of path.split(':')) {
    const candidate = resolvePath(cwd, posix.join(dir || '.', name));
    try {
      if (fs.stat(candidate).type !== 'file') continue;
      fs.access(candidate, 1);
      return candidate;
    } catch {
      // Not here, or not executable: go on down PATH.
    }
  }
  return undefined;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
