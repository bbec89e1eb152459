import { posix } from 'node:path';
import type { ContainerFs } from './types';

// An absolute, normalised container path for `p` seen from `cwd`.
export function resolvePath(cwd: string, p: string): string {
  return posix.resolve(cwd || '/', p || '.');
}

// A path to hand the filesystem: as resolvePath, keeping a trailing slash,
// which says "a directory" to open and stat (`ls f/` is ENOTDIR for a file).
export function fsPath(cwd: string, p: string): string {
  const r = resolvePath(cwd, p);
  return p.endsWith('/') && r !== '/' ? `${r}/` : r;
}

// What PATH lookup finds for a command name, as ash's find_command does
// (type, command -v): the first regular file in a PATH directory that the
// caller may execute, else the first regular file. A name with a slash is
// taken as a path. Answers undefined when nothing is found.
export function findInPath(fs: ContainerFs, name: string, path: string, cwd = '/'): string | undefined {
  return searchPath(fs, name, path, cwd).path;
}

// As ash's find_command: the first executable regular file down PATH, else
// the first regular file (its exec fails, 126); with neither, EACCES if
// some entry existed (a directory, a masked /dev/null), ENOENT otherwise.
// `executable` says the path was found so (a name with a slash is not
// checked).
export interface Found {
  path?: string;
  error: 'ENOENT' | 'EACCES';
  executable?: true;
}

export function searchPath(fs: ContainerFs, name: string, path: string, cwd = '/'): Found {
  if (name.includes('/')) return { path: resolvePath(cwd, name), error: 'ENOENT' };
  let error: 'ENOENT' | 'EACCES' = 'ENOENT';
  // ash's find_command takes the first regular file, executable or not;
  // its exec then goes on down PATH for one it can run.
  let regular: string | undefined;
  const dots = name === '.' || name === '..';
  for (const dir of pathDirs(path)) {
    const candidate = dir?.startsWith('/') && !dots ? `${dir === '/' ? '' : dir}/${name}` : resolvePath(cwd, posix.join(dir ?? '.', name));
    try {
      const found = fs.typeOf(candidate);
      error = 'EACCES';
      if (found !== 'file') continue;
      regular ??= candidate;
      fs.access(candidate, 1);
      return { path: candidate, error, executable: true };
    } catch {
      // Not here, or not executable: go on down PATH.
    }
  }
  return regular === undefined ? { error } : { path: regular, error };
}

// Whether every entry of PATH is absolute: where a search then finds a
// name does not depend on the cwd.
export function absolutePath(path: string): boolean {
  return pathDirs(path).every((d) => d?.startsWith('/'));
}

// PATH's entries, absolute ones normalised (so that an entry and a name
// make the candidate by concatenation), relative ones as they are, an empty
// one (the current directory) as undefined. Every command a shell runs
// searches PATH, and a container has one or two PATH values: kept.
const dirsOf = new Map<string, (string | undefined)[]>();
function pathDirs(path: string): (string | undefined)[] {
  let dirs = dirsOf.get(path);
  if (!dirs) {
    dirs = path.split(':').map((d) => (d === '' ? undefined : d.startsWith('/') ? posix.normalize(d).replace(/(.)\/$/, '$1') : d));
    if (dirsOf.size >= 64) dirsOf.clear();
    dirsOf.set(path, dirs);
  }
  return dirs;
}

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
