import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, relative, resolve, sep } from 'node:path';
import { FakecriError } from './errors';

// Files whose names come from outside (the kubelet, a pod, a behaviour) are
// opened so that nothing can freeze fakecri or make it write where it should
// not: never blocking (O_NONBLOCK: a FIFO does not wait for a peer), never
// through a symlink where fakecri creates or writes (O_NOFOLLOW), only
// regular files (fstat after open, so no swap in between), and with a size cap.
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_APPEND, O_NONBLOCK, O_NOFOLLOW } = constants;

export class UnsafeFileError extends FakecriError {
  constructor(message: string) {
    super('FAILED_PRECONDITION', message);
  }
}

function kind(mode: number): string {
  const t = mode & constants.S_IFMT;
  if (t === constants.S_IFIFO) return 'a FIFO';
  if (t === constants.S_IFCHR) return 'a character device';
  if (t === constants.S_IFBLK) return 'a block device';
  if (t === constants.S_IFSOCK) return 'a socket';
  if (t === constants.S_IFDIR) return 'a directory';
  if (t === constants.S_IFLNK) return 'a symbolic link';
  if (t === constants.S_IFREG) return 'a regular file';
  return 'an unusual file';
}

// The whole of a regular file of at most maxBytes. followLinks: whether the
// last component may be a symlink (a read of a path the user named, as
// os.ReadFile follows it); the target must still be a regular file.
export function readRegularFile(path: string, maxBytes: number, opts: { followLinks?: boolean } = {}): Buffer {
  const fd = openSync(path, O_RDONLY | O_NONBLOCK | (opts.followLinks ? 0 : O_NOFOLLOW));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafeFileError(`${path} is ${kind(st.mode)}, not a regular file`);
    if (st.size > maxBytes) throw new FakecriError('RESOURCE_EXHAUSTED', `${path} is ${st.size} bytes, more than the ${maxBytes} allowed`);
    // The file may grow while it is read: read at most one byte past the cap.
    const buf = Buffer.alloc(Math.min(maxBytes + 1, st.size + 1));
    let n = 0;
    for (;;) {
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
      if (n === buf.length) break;
    }
    if (n > maxBytes) throw new FakecriError('RESOURCE_EXHAUSTED', `${path} is more than the ${maxBytes} bytes allowed`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

// Opens `path` to append, creating it (mode 0640) if it is missing; never
// through a symlink, never anything but a regular file, never truncating.
// isOurs, when given, looks at the first bytes of a file that was already
// there and says whether fakecri may write into it. The caller closes the fd.
export function openAppend(path: string, isOurs?: (head: Buffer) => boolean): number {
  const fd = openSync(path, (isOurs ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND | O_NONBLOCK | O_NOFOLLOW, 0o640);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafeFileError(`${path} is ${kind(st.mode)}, not a regular file`);
    if (isOurs && st.size > 0) {
      const head = Buffer.alloc(Math.min(st.size, 64));
      const n = readSync(fd, head, 0, head.length, 0);
      if (!isOurs(head.subarray(0, n))) throw new UnsafeFileError(`${path} is a file fakecri did not write; it does not write into it`);
    }
    return fd;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

// Makes the directory `dir` under `root` (root itself must exist or is made
// with mkdir -p), one component at a time, refusing any component that is a
// symlink or not a directory: what is made stays inside root.
export function mkdirWithin(root: string, dir: string): void {
  const rel = relative(root, dir);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new UnsafeFileError(`${dir} is not inside ${root}`);
  // The root itself is the kubelet's (it may be a symlink to elsewhere).
  // Missing is asked for, not thrown: a container's start makes its log
  // directory, and a thrown ENOENT is an Error with its stack per pod.
  const top = statSync(root, { throwIfNoEntry: false });
  if (!top) makeDirs(root);
  if (top && !top.isDirectory()) throw new UnsafeFileError(`${root} is ${kind(top.mode)}, not a directory`);
  let path = root;
  for (const part of rel.split(sep).filter(Boolean)) {
    path = join(path, part);
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st) {
      mkdirSync(path, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink()) throw new UnsafeFileError(`${path} is a symbolic link: fakecri does not follow it out of ${root}`);
    if (!st.isDirectory()) throw new UnsafeFileError(`${path} is ${kind(st.mode)}, not a directory`);
  }
}

// A relative path that stays where it is put: no "..", not absolute.
export function isContainedRelative(path: string): boolean {
  if (path === '' || isAbsolute(path)) return false;
  return !normalize(path).split('/').includes('..') && !path.split('/').includes('..');
}

// One name, as a file or volume name: no "/", not "." or "..", not empty.
export function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

// mkdir -p, one component at a time. Not mkdirSync(path, { recursive: true }):
// in Node 20 that loops for ever (in the kernel) where mkdir answers ENOENT
// although the parent exists, as under /proc: a log directory of
// /proc/1/x froze fakecri.
export function makeDirs(path: string, mode = 0o755): void {
  let p = '';
  for (const part of resolve(path).split('/').filter(Boolean)) {
    p += `/${part}`;
    try {
      mkdirSync(p, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
