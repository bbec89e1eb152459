import { type FileHandle, FsError, type Stat, isFsError } from '../../rootfs/types';
import { concatPath } from './concat-path';
import { BLOCK, type Tool } from './tool';

// libbb's copy_file and remove_file: what cp, mv (across mounts) and rm do
// to one path, with busybox's messages. Both answer false after printing
// a message when something could not be done.

export interface CopyFlags {
  recursive?: boolean;
  dereference?: boolean; // follow symlinks in the source (cp without -d/-R, or -L)
  dereferenceTop?: boolean; // -H: only the operands
  preserve?: boolean; // -p: mode, owner, times
  force?: boolean; // -f: unlink a destination that cannot be opened
  noClobber?: boolean; // -n
  interactive?: boolean; // -i: ask before overwriting
  update?: boolean; // -u
  hardlink?: boolean; // -l
  symlink?: boolean; // -s
  verbose?: boolean;
  // The directories this run made or filled ("dev:ino"): copy_file's
  // ino_dev hashtable, which stops a copy of a directory into itself.
  made?: Set<string>;
}

export const tryStat = (f: () => Stat): Stat | undefined => {
  try {
    return f();
  } catch (err) {
    if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) return undefined;
    throw err;
  }
};

// Copies the contents of one open file to another, Fills as they are.
// Answers false after "NAME: write error: ..." or "read error".
export async function copyHandle(t: Tool, from: FileHandle, to: FileHandle): Promise<boolean> {
  for (;;) {
    let c;
    try {
      c = from.read(BLOCK);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.error(`read error: ${err.message}`);
      return false;
    }
    if (c === null) return true;
    try {
      to.write(c);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.error(`write error: ${err.message}`);
      return false;
    }
    await t.yield();
  }
}

export async function copyFile(t: Tool, source: string, dest: string, flags: CopyFlags, top = true): Promise<boolean> {
  const fs = t.ctx.fs;
  const src = t.path(source);
  const dst = t.path(dest);
  const deref = flags.dereference || (top && flags.dereferenceTop);
  let sst: Stat | undefined;
  try {
    sst = deref ? fs.stat(src) : fs.lstat(src);
  } catch (err) {
    if (!isFsError(err)) throw err;
    if (flags.symlink || flags.hardlink) return makeLink(t, source, dest, flags);
    await t.perror(`can't stat '${source}'`, err);
    return false;
  }
  let dst0: Stat | undefined;
  try {
    dst0 = fs.lstat(dst);
  } catch (err) {
    if (!isFsError(err)) throw err;
    if (err.code !== 'ENOENT') {
      await t.perror(`can't stat '${dest}'`, err);
      return false;
    }
  }
  let destExists = dst0 !== undefined;
  if (dst0 && dst0.dev === sst.dev && dst0.ino === sst.ino) {
    await t.error(`'${source}' and '${dest}' are the same file`);
    return false;
  }
  if (dst0 && flags.noClobber) return true;

  if (sst.type === 'dir') {
    if (!flags.recursive) {
      await t.error(`omitting directory '${source}'`);
      return false;
    }
    const made = (flags.made ??= new Set());
    if (made.has(`${sst.dev}:${sst.ino}`)) {
      await t.error(`recursion detected, omitting directory '${source}'`);
      return false;
    }
    if (dst0) {
      if (dst0.type !== 'dir') {
        await t.error(`target '${dest}' is not a directory`);
        return false;
      }
    } else {
      try {
        fs.mkdir(dst, (flags.preserve ? sst.mode : sst.mode & ~0o022) | 0o700);
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(`can't create directory '${dest}'`, err);
        return false;
      }
    }
    const dstDir = tryStat(() => fs.lstat(dst));
    if (dstDir) made.add(`${dstDir.dev}:${dstDir.ino}`);
    let ok = true;
    let names: string[] = [];
    try {
      names = fs.readdir(src);
    } catch (err) {
      // copy_file: an opendir that fails is a failure, unsaid, and the
      // directory made still gets its mode.
      if (!isFsError(err)) throw err;
      ok = false;
    }
    for (const name of names) {
      if (!(await copyFile(t, concatPath(source, name), concatPath(dest, name), flags, false))) ok = false;
    }
    if (!destExists) {
      try {
        fs.chmod(dst, sst.mode & (flags.preserve ? 0o7777 : ~0o022));
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(`can't preserve permissions of '${dest}'`, err);
      }
    }
    if (flags.preserve) await preserve(t, dst, dest, sst);
    // copy_file's verb_and_exit: a directory is said after what it holds.
    if (flags.verbose) await t.out.text(`'${source}' -> '${dest}'\n`);
    return ok;
  }

  if (dst0) {
    if (flags.update && Math.floor(sst.mtimeMs / 1000) <= Math.floor(dst0.mtimeMs / 1000)) return true;
  }
  if (flags.symlink || flags.hardlink) return makeLink(t, source, dest, flags);

  if (sst.type === 'symlink' && !deref) {
    if (destExists) {
      const r = await askAndUnlink(t, dst, dest, flags, new FsError('EEXIST'));
      if (r !== 'retry') return r === 'skip';
    }
    destExists = false;
    let target: string;
    try {
      target = fs.readlink(src);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(source, err);
      return false;
    }
    try {
      fs.symlink(target, dst);
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(`can't create symlink '${dest}' to '${target}'`, err);
      return false;
    }
    if (flags.verbose) await t.out.text(`'${source}' -> '${dest}'\n`);
    return true;
  }

  if (sst.type !== 'file' && flags.recursive) {
    // A device, fifo or socket under -R: busybox makes a node; there is no
    // mknod here, so say so as a failed create.
    await t.perror(`can't create '${dest}'`, new FsError('EPERM'));
    return false;
  }

  // "nodir/": a file cannot be made under a name that must be a directory
  // (open(2) with O_CREAT says EISDIR; the path resolved has lost the /).
  if (dest.endsWith('/')) {
    await t.perror(`can't create '${dest}'`, new FsError('EISDIR'));
    return false;
  }
  let from: FileHandle;
  try {
    from = fs.open(src, { read: true });
  } catch (err) {
    if (!isFsError(err)) throw err;
    await t.perror(`can't open '${source}'`, err);
    return false;
  }
  try {
    const mode = sst.type === 'file' ? sst.mode : 0o666;
    let to: FileHandle;
    try {
      // -i opens O_EXCL, so that one there is asked about first.
      to = fs.open(dst, flags.interactive ? { write: true, create: true, exclusive: true } : { write: true, create: true, truncate: true }, mode);
    } catch (err) {
      if (!isFsError(err)) throw err;
      const r = await askAndUnlink(t, dst, dest, flags, err);
      if (r !== 'retry') return r === 'skip';
      try {
        to = fs.open(dst, { write: true, create: true, exclusive: true }, mode);
      } catch (err2) {
        if (!isFsError(err2)) throw err2;
        await t.perror(`can't open '${dest}'`, err2);
        return false;
      }
    }
    let ok: boolean;
    try {
      ok = await copyHandle(t, from, to);
    } finally {
      to.close();
    }
    if (sst.type === 'file' && flags.preserve) await preserve(t, dst, dest, sst);
    if (flags.verbose) await t.out.text(`'${source}' -> '${dest}'\n`);
    return ok;
  } finally {
    from.close();
  }
}

async function makeLink(t: Tool, source: string, dest: string, flags: CopyFlags): Promise<boolean> {
  const fs = t.ctx.fs;
  const dst = t.path(dest);
  const link = () => (flags.symlink ? fs.symlink(source, dst) : fs.link(t.path(source), dst));
  try {
    link();
    return true;
  } catch (err) {
    if (!isFsError(err)) throw err;
    const r = await askAndUnlink(t, dst, dest, flags, err);
    if (r !== 'retry') return r === 'skip';
    try {
      link();
      return true;
    } catch (err2) {
      if (!isFsError(err2)) throw err2;
      await t.perror(`can't create link '${dest}'`, err2);
      return false;
    }
  }
}

// busybox's ask_and_unlink, when `dest` could not be created: without -f
// or -i an error; with -i the question first ('skip' for no); then the
// file goes, for another try.
async function askAndUnlink(t: Tool, dst: string, dest: string, flags: CopyFlags, why: FsError): Promise<'retry' | 'skip' | 'error'> {
  if (!flags.force && !flags.interactive) {
    await t.perror(`can't create '${dest}'`, why);
    return 'error';
  }
  if (flags.interactive && !(await t.ask(`${t.name}: overwrite '${dest}'? `))) return 'skip';
  try {
    t.ctx.fs.unlink(dst);
  } catch (err) {
    if (!isFsError(err)) throw err;
    if (why.code === 'ENOENT' && err.code === 'ENOENT') {
      await t.error(`can't create '${dest}': Path does not exist`);
      return 'error';
    }
    await t.perror(`can't create '${dest}'`, why);
    return 'error';
  }
  return 'retry';
}

async function preserve(t: Tool, dst: string, dest: string, st: Stat): Promise<void> {
  const fs = t.ctx.fs;
  let mode = st.mode;
  const attempt = async (what: string, f: () => void) => {
    try {
      f();
    } catch (err) {
      if (!isFsError(err)) throw err;
      await t.perror(`can't preserve ${what} of '${dest}'`, err);
      return false;
    }
    return true;
  };
  const sec = Math.floor(st.mtimeMs / 1000) * 1000;
  await attempt('times', () => fs.utimes(dst, sec, sec));
  if (!(await attempt('ownership', () => fs.chown(dst, st.uid, st.gid)))) mode &= ~0o6000;
  await attempt('permissions', () => fs.chmod(dst, mode));
}

// access(name, W_OK) succeeds: what rm and mv ask about on a terminal.
export function writable(t: Tool, name: string): boolean {
  try {
    t.ctx.fs.access(t.path(name), 2);
    return true;
  } catch {
    return false;
  }
}

// busybox's remove_file, rm's work on one path. -i asks before each file, before descending into
// a directory and before removing it; so does a file we may not write when
// stdin is a terminal. A no is not an error.
export async function removeFile(t: Tool, name: string, opts: { force?: boolean; interactive?: boolean; recursive?: boolean; verbose?: boolean }): Promise<boolean> {
  const fs = t.ctx.fs;
  const path = t.path(name);
  let st: Stat;
  try {
    st = fs.lstat(path);
  } catch (err) {
    if (!isFsError(err)) throw err;
    if (err.code !== 'ENOENT') {
      await t.perror(`can't stat '${name}'`, err);
      return false;
    }
    if (!opts.force) {
      await t.perror(`can't remove '${name}'`, err);
      return false;
    }
    return true;
  }
  const asks = (dir: boolean) => opts.interactive || (!opts.force && (dir || st.type !== 'symlink') && !!t.ctx.stdin.isTTY && !writable(t, name));
  if (st.type === 'dir') {
    if (!opts.recursive) {
      await t.error(`'${name}' is a directory`);
      return false;
    }
    if (asks(true) && !(await t.ask(`${t.name}: descend into directory '${name}'? `))) return true;
    let ok = true;
    let names: string[] = [];
    try {
      names = fs.readdir(path);
    } catch (err) {
      // remove_file: an opendir that fails is a failure, unsaid.
      if (!isFsError(err)) throw err;
      return false;
    }
    for (const n of names) {
      if (!(await removeFile(t, concatPath(name, n), opts))) ok = false;
      await t.yield();
    }
    if (opts.interactive && !(await t.ask(`${t.name}: remove directory '${name}'? `))) return ok;
    if (ok) {
      try {
        fs.rmdir(path);
      } catch (err) {
        if (!isFsError(err)) throw err;
        await t.perror(`can't remove '${name}'`, err);
        return false;
      }
      if (opts.verbose) await t.out.text(`removed directory: '${name}'\n`);
    }
    return ok;
  }
  if (asks(false) && !(await t.ask(`${t.name}: remove '${name}'? `))) return true;
  try {
    fs.unlink(path);
  } catch (err) {
    if (!isFsError(err)) throw err;
    await t.perror(`can't remove '${name}'`, err);
    return false;
  }
  if (opts.verbose) await t.out.text(`removed '${name}'\n`);
  return true;
}

