import { posix } from 'node:path';
import type { Applet, CommandLookup } from '../applets/types';
import type { Identity } from '../procs/types';
import { DEFAULT_PATH, searchPath } from '../rootfs/path';
import { type Caller, type ContainerFs, FsError, isFill, isFsError } from '../rootfs/types';
import { imageProgram } from './image-program';

// How argv[0] is found, as execvp does: through PATH in the container's
// files; /bin/NAME → /bin/busybox runs the applet NAME (argv[0]'s basename,
// as busybox decides); a `#!` script runs its interpreter; a file without
// either runs as an sh script (ENOEXEC, as ash does); one of the image's own
// programs (an ELF stub, or a name the image does not have when the image is
// not busybox-like) is emulated by image-program.ts.

export interface ResolveOptions {
  applets: ReadonlyMap<string, Applet>;
  fs(caller: Caller): ContainerFs;
  // What a name found nowhere is: "not found" (busybox-like images, exec),
  // or a program of the image fakecri knows nothing of, that runs until
  // stopped (the image's own entrypoint).
  unknown: 'not-found' | 'program';
}

export interface Target {
  applet: Applet;
  argv: readonly string[];
}

export interface Where {
  env: Record<string, string>;
  cwd: string;
  umask: number;
  hash?: CommandLookup;
  path?: string;
}

const ELF = '\x7fELF';

// The applet argv runs as, and its argv. Throws FsError ENOENT/EACCES when
// it cannot run: naming the file when one was found (ash's exec fails,
// 126), argv[0] when the search found none (127). An empty name is searched
// as ash searches it: each PATH directory is an entry, not a file (EACCES).
export function resolveCommand(o: ResolveOptions, argv: readonly string[], where: Where, identity: Identity, depth = 0): Target {
  const name = argv[0] ?? '';
  const fs = o.fs(caller(identity, 0, where.umask));
  const PATH = where.path ?? where.env.PATH ?? DEFAULT_PATH;
  const { path, error, executable } = where.hash ? where.hash.lookup(fs, name, PATH, where.cwd) : searchPath(fs, name, PATH, where.cwd);
  if (path === undefined) {
    if (o.unknown === 'program' && error === 'ENOENT') return { applet: imageProgram(posix.basename(name)), argv };
    throw new FsError(error, name);
  }
  let real: string;
  try {
    if (!executable) {
      if (fs.typeOf(path) === 'dir') throw new FsError('EACCES', name);
      fs.access(path, 1);
    }
    real = fs.realpath(path);
  } catch (err) {
    if (isFsError(err, 'ENOENT') && o.unknown === 'program') return { applet: imageProgram(posix.basename(name)), argv };
    throw err;
  }
  if (posix.basename(real) === 'busybox') {
    const args = posix.basename(name) === 'busybox' ? argv.slice(1) : argv;
    const applet = args.length > 0 ? o.applets.get(posix.basename(args[0])) : undefined;
    if (!applet) throw new FsError('ENOENT', name);
    return { applet, argv: args };
  }
  const head = readHead(fs, real);
  if (head.startsWith(ELF)) return { applet: imageProgram(posix.basename(real)), argv };
  if (head.startsWith('#!') && depth < 4) {
    const line = head.slice(2).split('\n')[0].trim();
    const sp = line.search(/[ \t]/);
    const interp = sp < 0 ? line : line.slice(0, sp);
    const arg = sp < 0 ? '' : line.slice(sp).trim();
    const inner = resolveCommand(o, [interp], where, identity, depth + 1);
    return { applet: inner.applet, argv: [...inner.argv, ...(arg ? [arg] : []), path, ...argv.slice(1)] };
  }
  // ENOEXEC: ash runs the file as a script of its own, re-executing
  // busybox as `ash CMD ARGS...` with CMD as the search gave it (the name
  // itself when it has a slash).
  const sh = o.applets.get('sh');
  if (!sh) throw new FsError('ENOENT', name);
  return { applet: sh, argv: ['ash', name.includes('/') ? name : path, ...argv.slice(1)] };
}

export const caller = (id: Identity, pid: number, umask = 0o022): Caller => ({ uid: id.uid, gid: id.gid, groups: id.groups, pid, umask });

function readHead(fs: ContainerFs, path: string): string {
  try {
    const fh = fs.open(path, { read: true });
    try {
      const head = fh.read(256);
      return head && !isFill(head) ? Buffer.from(head).toString('latin1') : '';
    } finally {
      fh.close();
    }
  } catch {
    return '';
  }
}
