import type { Attr, Backend, FileIo, Node, Perms } from './backend';
import { openDevice, type RandomSource } from './devices';
import { Handle } from './handle';
import {
  type Caller,
  type ContainerFs,
  type FileHandle,
  type FileType,
  FsError,
  type FsErrorCode,
  type MountEntry,
  type OpenFlags,
  type Stat,
  type StatFs,
} from './types';

// What a view needs of its container: the root, the mounts by container
// path, and the devices' random stream.
export interface FsSpace {
  root(): Backend;
  mountAt(path: string): Backend | undefined;
  // Names of mount points directly under `path` (they show in its listing).
  mountsUnder(path: string): string[];
  mounts(): MountEntry[];
  random(): RandomSource;
}

const R = 4;
const W = 2;
const X = 1;
const MAX_LINKS = 40;
const NAME_MAX = 255;
const PATH_MAX = 4096;

// A place in the container's tree: the backend, its node, and the canonical
// container path that leads there (no symlinks, no dots).
interface Loc {
  b: Backend;
  n: Node;
  path: string;
  a?: Attr;
}

interface Walked {
  dir: Loc; // the directory holding the last component
  name: string; // the last component: '.' for the root or a path ending in . or ..
  loc?: Loc; // what the path names, if it exists
  mustBeDir: boolean; // the path ended with a slash
}

const attrOf = (l: Loc): Attr => (l.a ??= l.b.attr(l.n));
// The place again, its attributes to be read anew (see statOf for why not
// a spread).
const fresh = (l: Loc): Loc => ({ b: l.b, n: l.n, path: l.path });
// Type and permission bits, read at once: the whole Attr only if known.
const permsOf = (l: Loc): Perms => l.a ?? (l.b.perms ? l.b.perms(l.n) : attrOf(l));
// Does `s` hold a path component (a character other than '/') from `i` on?
const hasComponent = (s: string, i: number): boolean => {
  for (; i < s.length; i++) if (s.charCodeAt(i) !== 47) return true;
  return false;
};
const fail = (code: FsErrorCode, path: string): never => {
  throw new FsError(code, path);
};
// A walk is reused only within the synchronous run that made it (until the
// next microtask) and while no View changed any tree: what it found cannot
// have moved. Its attributes are read again (a write changes a size).
let changes = 0;
const remembering: View[] = [];
function forgetAll(): void {
  for (const v of remembering) v.forget();
  remembering.length = 0;
}
const childPath = (dir: string, name: string): string => (dir === '/' ? `/${name}` : `${dir}/${name}`);

// The container's files as one process sees them: every path component is
// resolved here, in container space, with that process's permissions.
export class View implements ContainerFs {
  readonly umask: number;
  // The last walk, for the same path asked again at once: starting a
  // command stats, checks and resolves its file five times in a row.
  private last?: { path: string; follow: boolean; w: Walked; changes: number };

  constructor(
    private readonly space: FsSpace,
    private readonly caller: Caller,
  ) {
    this.umask = caller.umask ?? 0o022;
  }

  stat(path: string): Stat {
    return this.statOf(this.existing(path, true));
  }

  lstat(path: string): Stat {
    return this.statOf(this.existing(path, false));
  }

  typeOf(path: string): FileType {
    return permsOf(this.existing(path, true)).type;
  }

  access(path: string, mode: number): void {
    const loc = this.existing(path, true);
    const a = permsOf(loc);
    if (mode & W && loc.b.readonly && (a.type === 'file' || a.type === 'dir' || a.type === 'symlink')) fail('EROFS', path);
    this.permit(a, mode & 7, path);
  }

  readdir(path: string): string[] {
    const loc = this.existing(path, true);
    const a = attrOf(loc);
    if (a.type !== 'dir') fail('ENOTDIR', path);
    this.permit(a, R, path);
    const names = loc.b.readdir(loc.n);
    const mounts = this.space.mountsUnder(loc.path);
    if (mounts.length === 0) return names;
    const seen = new Set(names);
    return [...names, ...mounts.filter((m) => !seen.has(m))];
  }

  mkdir(path: string, mode = 0o777): void {
    const w = this.walk(path, false);
    if (w.loc) fail('EEXIST', path);
    const parent = this.writableDir(w, path);
    const pa = attrOf(parent);
    const setgid = pa.mode & 0o2000;
    changes++;
    parent.b.create(parent.n, w.name, {
      type: 'dir',
      mode: (mode & ~this.umask & 0o777) | (mode & 0o1000) | setgid,
      uid: this.caller.uid,
      gid: setgid ? pa.gid : this.caller.gid,
    });
  }

  rmdir(path: string): void {
    const w = this.walk(path, false);
    if (w.name === '.') fail(w.loc!.path === '/' ? 'EBUSY' : 'EINVAL', path);
    if (w.name === '..') fail('ENOTEMPTY', path);
    const loc = w.loc ?? fail('ENOENT', path);
    // vfs_rmdir: may_delete (permission, then the type), mount points,
    // then the filesystem's ENOTEMPTY.
    this.removable(w, loc, path);
    if (attrOf(loc).type !== 'dir') fail('ENOTDIR', path);
    if (this.isMountPoint(loc)) fail('EBUSY', path);
    if (loc.b.readdir(loc.n).length > 0 || this.space.mountsUnder(loc.path).length > 0) fail('ENOTEMPTY', path);
    changes++;
    w.dir.b.remove(w.dir.n, w.name);
  }

  unlink(path: string): void {
    const w = this.walk(path, false);
    const loc = w.loc ?? fail('ENOENT', path);
    if (w.name === '.' || w.name === '..') fail('EISDIR', path);
    if (w.mustBeDir) fail('ENOTDIR', path);
    // vfs_unlink: may_delete (permission, then the type), then mount points.
    this.removable(w, loc, path);
    if (attrOf(loc).type === 'dir') fail('EISDIR', path);
    if (this.isMountPoint(loc)) fail('EBUSY', path);
    changes++;
    w.dir.b.remove(w.dir.n, w.name);
  }

  rename(from: string, to: string): void {
    const src = this.walk(from, false);
    const dst = this.walk(to, false);
    if (src.name === '.' || src.name === '..' || dst.name === '.' || dst.name === '..') fail('EBUSY', from);
    const sloc = src.loc ?? fail('ENOENT', from);
    const sa = attrOf(sloc);
    if (src.mustBeDir && sa.type !== 'dir') fail('ENOTDIR', from);
    if (src.dir.b !== dst.dir.b) fail('EXDEV', to);
    const da = dst.loc && attrOf(dst.loc);
    if (da && da.ino === sa.ino) return; // two names of one file: nothing to do
    if (!dst.loc && dst.mustBeDir && sa.type !== 'dir') fail('ENOTDIR', to);
    const target = childPath(dst.dir.path, dst.name);
    if (sa.type === 'dir' && (target === sloc.path || target.startsWith(`${sloc.path}/`))) fail('EINVAL', to);
    // vfs_rename's order: may_delete of the source, may_delete or
    // may_create of the target (permission, then a type that does not
    // match), mount points, then the filesystem's ENOTEMPTY.
    this.removable(src, sloc, from);
    if (dst.loc && da) {
      this.removable(dst, dst.loc, to);
      if (sa.type === 'dir' && da.type !== 'dir') fail('ENOTDIR', to);
      if (sa.type !== 'dir' && da.type === 'dir') fail('EISDIR', to);
    } else this.writableDir(dst, to);
    // A directory moving to another parent rewrites its `..`.
    if (sa.type === 'dir' && src.dir.path !== dst.dir.path) this.permit(sa, W, from);
    if (this.isMountPoint(sloc) || (dst.loc && this.isMountPoint(dst.loc))) fail('EBUSY', from);
    if (dst.loc && da?.type === 'dir' && (dst.loc.b.readdir(dst.loc.n).length > 0 || this.space.mountsUnder(dst.loc.path).length > 0)) {
      fail('ENOTEMPTY', to);
    }
    changes++;
    src.dir.b.rename(src.dir.n, src.name, dst.dir.n, dst.name);
  }

  link(existing: string, path: string): void {
    const src = this.existing(existing, false);
    const sa = attrOf(src);
    if (sa.type === 'dir') fail('EPERM', existing);
    const w = this.walk(path, false);
    if (w.loc) fail('EEXIST', path);
    if (w.dir.b !== src.b) fail('EXDEV', path);
    this.writableDir(w, path);
    // protected_hardlinks: only the owner, or one who may read and write it.
    if (this.caller.uid !== 0 && this.caller.uid !== sa.uid && (sa.type !== 'file' || !this.allows(sa, R | W))) {
      fail('EPERM', existing);
    }
    changes++;
    w.dir.b.link(w.dir.n, w.name, src.n);
  }

  symlink(target: string, path: string): void {
    if (target === '') fail('ENOENT', path);
    const w = this.walk(path, false);
    if (w.loc) fail('EEXIST', path);
    const parent = this.writableDir(w, path);
    changes++;
    parent.b.create(parent.n, w.name, { type: 'symlink', mode: 0o777, uid: this.caller.uid, gid: this.caller.gid, target });
  }

  readlink(path: string): string {
    const loc = this.existing(path, false);
    if (attrOf(loc).type !== 'symlink') fail('EINVAL', path);
    return loc.b.readlink(loc.n, this.caller);
  }

  realpath(path: string): string {
    return this.existing(path, true).path;
  }

  chmod(path: string, mode: number): void {
    const loc = this.existing(path, true);
    const a = attrOf(loc);
    this.owns(a, path);
    if (loc.b.readonly) fail('EROFS', path);
    let bits = mode & 0o7777;
    if (this.caller.uid !== 0 && a.type !== 'dir' && !this.inGroup(a.gid)) bits &= ~0o2000;
    changes++;
    loc.b.setattr(loc.n, { mode: bits });
  }

  chown(path: string, uid: number, gid: number): void {
    const loc = this.existing(path, true);
    const a = attrOf(loc);
    const newUid = uid === -1 ? a.uid : uid;
    const newGid = gid === -1 ? a.gid : gid;
    if (this.caller.uid !== 0) {
      if (newUid !== a.uid || this.caller.uid !== a.uid || (newGid !== a.gid && !this.inGroup(newGid))) fail('EPERM', path);
    }
    if (loc.b.readonly) fail('EROFS', path);
    let mode = a.mode;
    // A change of owner drops setuid, and setgid where it means group exec.
    if (a.type !== 'dir' && (uid !== -1 || gid !== -1)) mode &= ~(0o4000 | (a.mode & 0o10 ? 0o2000 : 0));
    changes++;
    loc.b.setattr(loc.n, { uid: newUid, gid: newGid, ...(mode !== a.mode ? { mode } : {}) });
  }

  utimes(path: string, atimeMs: number, mtimeMs: number): void {
    const loc = this.existing(path, true);
    this.owns(attrOf(loc), path);
    if (loc.b.readonly) fail('EROFS', path);
    loc.b.setattr(loc.n, { atimeMs, mtimeMs });
  }

  truncate(path: string, size: number): void {
    if (size < 0) fail('EINVAL', path);
    const loc = this.existing(path, true);
    const a = attrOf(loc);
    if (a.type === 'dir') fail('EISDIR', path);
    if (a.type !== 'file') fail('EINVAL', path);
    if (loc.b.readonly) fail('EROFS', path);
    this.permit(a, W, path);
    const io = loc.b.open(loc.n, true);
    try {
      io.truncate(size);
    } finally {
      io.close();
    }
  }

  open(path: string, flags: OpenFlags, mode = 0o666): FileHandle {
    const read = flags.read ?? !flags.write;
    const write = Boolean(flags.write);
    const excl = Boolean(flags.create && flags.exclusive);
    // O_CREAT with a trailing slash is EISDIR before anything is looked up
    // (open_last_lookups), whatever the name is.
    if (flags.create && path.endsWith('/')) fail('EISDIR', path);
    const w = this.walk(path, !(flags.noFollow || excl));
    let loc = w.loc;
    if (loc && excl) fail('EEXIST', path);
    if (!loc) {
      if (!flags.create) fail('ENOENT', path);
      if (w.mustBeDir) fail('EISDIR', path);
      const parent = this.writableDir(w, path);
      const pa = attrOf(parent);
      changes++;
      const node = parent.b.create(parent.n, w.name, {
        type: 'file',
        mode: mode & ~this.umask & 0o7777,
        uid: this.caller.uid,
        gid: pa.mode & 0o2000 ? pa.gid : this.caller.gid,
      });
      loc = { b: parent.b, n: node, path: childPath(parent.path, w.name) };
      return this.handle(path, loc, loc.b.open(loc.n, write), { read, write, append: Boolean(flags.append), dir: false });
    }
    const a = attrOf(loc);
    if (a.type === 'symlink') fail('ELOOP', path);
    if (flags.directory && a.type !== 'dir') fail('ENOTDIR', path);
    if (a.type === 'dir') {
      if (write || flags.truncate) fail('EISDIR', path);
      this.permit(a, R, path);
      return this.handle(path, loc, noIo, { read, write: false, append: false, dir: true });
    }
    if (w.mustBeDir) fail('ENOTDIR', path);
    if (write && loc.b.readonly && a.type === 'file') fail('EROFS', path);
    this.permit(a, (read ? R : 0) | (write ? W : 0), path);
    if (a.type === 'chardev') {
      const io = openDevice(a.rdev, () => this.space.random());
      return this.handle(path, loc, io, { read, write, append: false, dir: false });
    }
    if (a.type !== 'file') fail('ENXIO', path);
    const io = loc.b.open(loc.n, write);
    if (flags.truncate && write) {
      try {
        io.truncate(0);
      } catch (err) {
        io.close();
        throw err;
      }
    }
    return this.handle(path, loc, io, { read, write, append: Boolean(flags.append), dir: false });
  }

  statfs(path: string): StatFs {
    return this.existing(path, true).b.statfs();
  }

  mounts(): MountEntry[] {
    return this.space.mounts();
  }

  private handle(path: string, loc: Loc, io: FileIo, mode: ConstructorParameters<typeof Handle>[2]): Handle {
    return new Handle(path, io, mode, () => this.statOf(fresh(loc)));
  }

  private statOf(loc: Loc): Stat {
    const a = attrOf(loc);
    // Every field named: a spread with more fields after it (`{ ...a, dev }`)
    // is built in V8's old generation, where it stays, garbage, until a full
    // GC; starting a container stats a dozen paths.
    return {
      type: a.type,
      mode: a.mode,
      uid: a.uid,
      gid: a.gid,
      size: a.size,
      nlink: a.nlink,
      ino: a.ino,
      dev: loc.b.dev,
      rdev: a.rdev,
      blocks: a.blocks,
      blksize: 4096,
      atimeMs: a.atimeMs,
      mtimeMs: a.mtimeMs,
      ctimeMs: a.ctimeMs,
    };
  }

  private existing(path: string, follow: boolean): Loc {
    const w = this.walk(path, follow);
    return w.loc ?? fail('ENOENT', path);
  }

  // The parent directory of a new entry, after the checks creating one needs.
  private writableDir(w: Walked, path: string): Loc {
    if (w.name === '.' || w.name === '..') fail('EEXIST', path);
    if (w.dir.b.readonly) fail('EROFS', path);
    this.permit(attrOf(w.dir), W | X, path);
    return w.dir;
  }

  // The checks for taking the name `w.name` out of its directory.
  private removable(w: Walked, loc: Loc, path: string): void {
    if (w.dir.b.readonly) fail('EROFS', path);
    const da = attrOf(w.dir);
    this.permit(da, W | X, path);
    const uid = this.caller.uid;
    if (da.mode & 0o1000 && uid !== 0 && uid !== da.uid && uid !== attrOf(loc).uid) fail('EPERM', path);
  }

  private isMountPoint(loc: Loc): boolean {
    return loc.path === '/' || this.space.mountAt(loc.path) !== undefined;
  }

  private owns(a: Attr, path: string): void {
    if (this.caller.uid !== 0 && this.caller.uid !== a.uid) fail('EPERM', path);
  }

  private inGroup(gid: number): boolean {
    return this.caller.gid === gid || this.caller.groups.includes(gid);
  }

  private allows(a: Perms, want: number): boolean {
    const c = this.caller;
    if (c.uid === 0) return !(want & X) || a.type === 'dir' || (a.mode & 0o111) !== 0;
    const bits = c.uid === a.uid ? a.mode >> 6 : this.inGroup(a.gid) ? a.mode >> 3 : a.mode;
    return (bits & want) === want;
  }

  private permit(a: Perms, want: number, path: string): void {
    if (want && !this.allows(a, want)) fail('EACCES', path);
  }

  // Resolves `path` one component at a time, in container space: symlinks
  // restart from the container's root or the link's directory, `..` never
  // climbs above the root, mounts are entered by their container path.
  // Every command a shell runs walks a dozen paths (its PATH search, its
  // redirections, its files), so this allocates little: the components are
  // taken from the string in place, and a symlink's target is walked as a
  // string of its own, pushed on a stack of strings still to walk.
  private walk(path: string, followLast: boolean): Walked {
    const m = this.last;
    if (m && m.path === path && m.follow === followLast && m.changes === changes) {
      return { dir: fresh(m.w.dir), name: m.w.name, loc: m.w.loc && fresh(m.w.loc), mustBeDir: m.w.mustBeDir };
    }
    const w = this.resolve(path, followLast);
    // Only what lies in the container's own tree: /proc and the mounts
    // change without a View's doing.
    const root = this.space.root();
    if (w.loc && w.loc.b === root && w.dir.b === root) {
      if (!this.last) {
        if (remembering.length === 0) queueMicrotask(forgetAll);
        remembering.push(this);
      }
      this.last = { path, follow: followLast, w, changes };
    }
    return w;
  }

  forget(): void {
    this.last = undefined;
  }

  private resolve(path: string, followLast: boolean): Walked {
    if (path === '') fail('ENOENT', path);
    if (path.length >= PATH_MAX) fail('ENAMETOOLONG', path);
    const rootB = this.space.root();
    const root: Loc = { b: rootB, n: rootB.root(), path: '/' };
    let stack: Loc[] = [root];
    // What is left to walk: `rest` from `at`, then the suspended strings
    // (with their positions) of the links being followed, innermost last.
    let rest = path;
    let at = 0;
    const suspended: [string, number][] = [];
    let mustBeDir = path.endsWith('/');
    let links = 0;
    for (;;) {
      // The next component, and whether any non-empty one follows it.
      while (at >= rest.length && suspended.length > 0) [rest, at] = suspended.pop()!;
      if (at >= rest.length) break;
      let end = rest.indexOf('/', at);
      if (end < 0) end = rest.length;
      const name = rest.slice(at, end);
      at = end + 1;
      if (name === '') continue;
      const isLast = !hasComponent(rest, at) && !suspended.some(([s, i]) => hasComponent(s, i));
      if (name === '.' || name === '..') {
        if (permsOf(stack[stack.length - 1]).type !== 'dir') fail('ENOTDIR', path);
        if (name === '..' && stack.length > 1) stack.pop();
        const top = stack[stack.length - 1];
        if (isLast) return { dir: top, name, loc: top, mustBeDir };
        continue;
      }
      if (name.length > NAME_MAX) fail('ENAMETOOLONG', path);
      const cur = stack[stack.length - 1];
      const ca = permsOf(cur);
      if (ca.type !== 'dir') fail('ENOTDIR', path);
      this.permit(ca, X, path);
      const child = this.lookup(cur, name);
      if (!child) {
        if (isLast) return { dir: cur, name, mustBeDir };
        fail('ENOENT', path);
      }
      const kind = permsOf(child!).type;
      if (kind === 'symlink' && (!isLast || followLast || mustBeDir)) {
        if (++links > MAX_LINKS) fail('ELOOP', path);
        const target = child!.b.readlink(child!.n, this.caller);
        if (target === '') fail('ENOENT', path);
        if (target.startsWith('/')) stack = [root];
        if (isLast && target.endsWith('/')) mustBeDir = true;
        if (at < rest.length) suspended.push([rest, at]);
        rest = target;
        at = 0;
        continue;
      }
      if (isLast) {
        if (mustBeDir && kind !== 'dir') fail('ENOTDIR', path);
        return { dir: cur, name, loc: child, mustBeDir };
      }
      stack.push(child!);
    }
    const top = stack[stack.length - 1];
    return { dir: stack.length > 1 ? stack[stack.length - 2] : top, name: '.', loc: top, mustBeDir };
  }

  private lookup(dir: Loc, name: string): Loc | undefined {
    const path = childPath(dir.path, name);
    const mounted = this.space.mountAt(path);
    if (mounted) return { b: mounted, n: mounted.root(), path };
    const n = dir.b.lookup(dir.n, name);
    return n && { b: dir.b, n, path };
  }
}

const noIo: FileIo = {
  read: () => null,
  write: () => {},
  size: () => 0,
  truncate: () => {},
  allocate: () => {},
  sync: () => {},
  close: () => {},
};
