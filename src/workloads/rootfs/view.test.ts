import { describe, expect, it } from 'vitest';
import { testRoot } from './image-root';
import { MemTree } from './memory-tree';
import { Rootfs } from './rootfs';
import { CapacitySpace } from './space';
import { type Caller, type Chunk, type ContainerFs, type FsErrorCode, isFill } from './types';
import { randomFill } from './fill';

const root: Caller = { uid: 0, gid: 0, groups: [], pid: 1 };
const user: Caller = { uid: 1000, gid: 1000, groups: [2000], pid: 2 };
const MiB = 2 ** 20;

function setup(space = new CapacitySpace(64 * MiB, 1000)) {
  const tree = testRoot(['sh', 'ls', 'cat'], { space });
  const rootfs = new Rootfs(tree, [], 42);
  return { tree, space, rootfs, fs: rootfs.view(root), as: (c: Caller) => rootfs.view(c) };
}

const errno = (f: () => unknown): FsErrorCode | 'ok' => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as { code: FsErrorCode }).code;
  }
};

const text = (c: Chunk | null): string => (c === null ? '' : Buffer.from(bytes(c)).toString());
const bytes = (c: Chunk): Uint8Array => {
  if (!isFill(c)) return c;
  const out = new Uint8Array(c.length);
  if (c.fill === 'random') randomFill(out, c.seed, c.offset);
  return out;
};

function writeText(fs: ContainerFs, path: string, s: string, append = false): void {
  const h = fs.open(path, { write: true, create: true, truncate: !append, append });
  h.write(Buffer.from(s));
  h.close();
}

function readText(fs: ContainerFs, path: string): string {
  const h = fs.open(path, { read: true });
  let out = '';
  for (let c = h.read(4096); c; c = h.read(4096)) out += text(c);
  h.close();
  return out;
}

describe('the image-like root', () => {
  it('has applets as symlinks to busybox, users, and the usual directories', () => {
    const { fs } = setup();
    expect(fs.readlink('/bin/sh')).toBe('busybox');
    expect(fs.realpath('/bin/ls')).toBe('/bin/busybox');
    expect(fs.stat('/bin/cat').type).toBe('file');
    expect(readText(fs, '/etc/passwd')).toContain('nobody:x:65534:65534:');
    expect(readText(fs, '/etc/group')).toMatch(/^root:x:0:/);
    expect(fs.stat('/tmp').mode).toBe(0o1777);
    for (const d of ['/var', '/home', '/root']) expect(fs.stat(d).type).toBe('dir');
    expect(fs.lstat('/dev/null')).toMatchObject({ type: 'chardev', rdev: 0x103, mode: 0o666 });
  });
});

describe('devices', () => {
  it('/dev/null discards and reads end of file; /dev/zero gives zero fills', () => {
    const { fs } = setup();
    const n = fs.open('/dev/null', { read: true, write: true });
    expect(n.write(Buffer.from('gone'))).toBe(4);
    expect(n.read(10)).toBeNull();
    const z = fs.open('/dev/zero', { read: true });
    expect(z.read(MiB)).toEqual({ fill: 'zero', length: MiB, seed: 0, offset: 0 });
  });

  it('/dev/urandom gives fresh random fills from the container seed; /dev/full is full', () => {
    const { fs, rootfs } = setup();
    const u = fs.open('/dev/urandom', { read: true });
    const a = u.read(16);
    const b = rootfs.view(user).open('/dev/random', { read: true }).read(16);
    expect(a).toEqual({ fill: 'random', length: 16, seed: 42, offset: 0 });
    expect(b).toEqual({ fill: 'random', length: 16, seed: 42, offset: 16 });
    expect(errno(() => fs.open('/dev/full', { write: true }).write(Buffer.from('x')))).toBe('ENOSPC');
  });

  it('a dd of 1 GiB from /dev/urandom costs no memory and reads back the same bytes', () => {
    const { fs, space } = setup(new CapacitySpace(2 * 1024 * MiB, 1000));
    const src = fs.open('/dev/urandom', { read: true });
    const dst = fs.open('/tmp/big', { write: true, create: true, truncate: true });
    for (let i = 0; i < 1024; i++) dst.write(src.read(MiB)!);
    dst.close();
    expect(fs.stat('/tmp/big')).toMatchObject({ size: 1024 * MiB, blocks: (1024 * MiB) / 512 });
    expect(space.usedBytes).toBeGreaterThanOrEqual(1024 * MiB);
    const r = fs.open('/tmp/big', { read: true });
    r.seek(700 * MiB + 5);
    const c = r.read(8)!;
    expect(bytes(c)).toEqual(bytes({ fill: 'random', length: 8, seed: 42, offset: 700 * MiB + 5 }));
  });
});

describe('files', () => {
  it('opens with O_ flags as open(2) does', () => {
    const { fs } = setup();
    expect(errno(() => fs.open('/tmp/none', { read: true }))).toBe('ENOENT');
    writeText(fs, '/tmp/f', 'hello');
    expect(errno(() => fs.open('/tmp/f', { write: true, create: true, exclusive: true }))).toBe('EEXIST');
    expect(errno(() => fs.open('/tmp', { write: true }))).toBe('EISDIR');
    expect(errno(() => fs.open('/tmp/f', { read: true, directory: true }))).toBe('ENOTDIR');
    expect(errno(() => fs.open('/tmp/f/', { read: true }))).toBe('ENOTDIR');
    expect(errno(() => fs.open('/tmp/new/', { write: true, create: true }))).toBe('EISDIR');
    fs.symlink('/tmp/f', '/tmp/l');
    expect(errno(() => fs.open('/tmp/l', { read: true, noFollow: true }))).toBe('ELOOP');
    expect(readText(fs, '/tmp/l')).toBe('hello');
    writeText(fs, '/tmp/f', ' world', true);
    expect(readText(fs, '/tmp/f')).toBe('hello world');
    writeText(fs, '/tmp/f', 'bye');
    expect(readText(fs, '/tmp/f')).toBe('bye');
    const ro = fs.open('/tmp/f', { read: true });
    expect(errno(() => ro.write(Buffer.from('x')))).toBe('EBADF');
    ro.close();
    expect(errno(() => ro.read(1))).toBe('EBADF');
  });

  it('creating through a dangling symlink creates its target', () => {
    const { fs } = setup();
    fs.symlink('target', '/tmp/dangling');
    writeText(fs, '/tmp/dangling', 'x');
    expect(fs.lstat('/tmp/target').type).toBe('file');
    expect(errno(() => fs.open('/tmp/dangling', { write: true, create: true, exclusive: true }))).toBe('EEXIST');
  });

  it('keeps offsets per handle, positional reads and writes leave them alone', () => {
    const { fs } = setup();
    const h = fs.open('/tmp/f', { read: true, write: true, create: true });
    h.write(Buffer.from('abcdef'));
    expect(h.offset).toBe(6);
    expect(text(h.read(3, 1))).toBe('bcd');
    expect(h.offset).toBe(6);
    h.write(Buffer.from('XY'), 2);
    h.seek(0);
    expect(text(h.read(100))).toBe('abXYef');
    expect(h.read(1)).toBeNull();
    h.truncate(2);
    expect(h.stat().size).toBe(2);
    h.seek(5);
    h.write(Buffer.from('z'));
    h.seek(0);
    expect([...bytes(h.read(10)!)]).toEqual([97, 98, 0, 0, 0, 122]);
    h.allocate(0, 3 * 4096);
    expect(h.stat()).toMatchObject({ size: 3 * 4096, blocks: 24 });
  });

  it('an unlinked file stays readable while open and frees its space on close', () => {
    const { fs, space } = setup();
    const before = space.usedBytes;
    const h = fs.open('/tmp/f', { read: true, write: true, create: true });
    h.write({ fill: 'zero', length: MiB, seed: 0, offset: 0 });
    fs.unlink('/tmp/f');
    expect(space.usedBytes).toBe(before + MiB);
    h.seek(0);
    expect(h.read(10)).toEqual({ fill: 'zero', length: 10, seed: 0, offset: 0 });
    h.close();
    expect(space.usedBytes).toBe(before);
  });

  it('refuses a write that does not fit, whole, with ENOSPC; and a file past the inodes', () => {
    const space = new CapacitySpace(MiB, 200);
    const { fs } = setup(space);
    const h = fs.open('/tmp/f', { write: true, create: true });
    h.write({ fill: 'zero', length: MiB / 2, seed: 0, offset: 0 });
    const used = space.usedBytes;
    expect(errno(() => h.write({ fill: 'zero', length: MiB, seed: 0, offset: 0 }))).toBe('ENOSPC');
    expect(space.usedBytes).toBe(used);
    expect(h.stat().size).toBe(MiB / 2);
    expect(h.offset).toBe(MiB / 2);
    while (space.usedInodes < space.inodes) fs.mkdir(`/tmp/d${space.usedInodes}`);
    expect(errno(() => fs.open('/tmp/one-more', { write: true, create: true }))).toBe('ENOSPC');
    expect(errno(() => fs.lstat('/tmp/one-more'))).toBe('ENOENT');
    const st = fs.statfs('/');
    expect(st).toMatchObject({ bsize: 4096, blocks: 256, files: 200, ffree: 0 });
    expect(st.bfree).toBe(256 - Math.ceil(space.usedBytes / 4096));
  });

  it('hard links share the inode and count links', () => {
    const { fs } = setup();
    writeText(fs, '/tmp/a', 'one');
    fs.link('/tmp/a', '/tmp/b');
    expect(fs.stat('/tmp/a').nlink).toBe(2);
    expect(fs.stat('/tmp/b').ino).toBe(fs.stat('/tmp/a').ino);
    writeText(fs, '/tmp/b', 'two');
    expect(readText(fs, '/tmp/a')).toBe('two');
    fs.unlink('/tmp/a');
    expect(fs.stat('/tmp/b').nlink).toBe(1);
    expect(errno(() => fs.link('/tmp', '/tmp/dirlink'))).toBe('EPERM');
    expect(errno(() => fs.link('/tmp/b', '/tmp/b'))).toBe('EEXIST');
  });

  it('stamps times, and lets the owner set them', () => {
    let now = 1000;
    const tree = testRoot([], { now: () => now });
    const fs = new Rootfs(tree).view(root);
    now = 2000;
    writeText(fs, '/tmp/f', 'x');
    expect(fs.stat('/tmp/f')).toMatchObject({ mtimeMs: 2000, ctimeMs: 2000 });
    expect(fs.stat('/tmp').mtimeMs).toBe(2000);
    now = 3000;
    fs.utimes('/tmp/f', 5, 6);
    expect(fs.stat('/tmp/f')).toMatchObject({ atimeMs: 5, mtimeMs: 6, ctimeMs: 3000 });
  });
});

describe('directories and names', () => {
  it('mkdir, rmdir and readdir as the syscalls answer', () => {
    const { fs } = setup();
    fs.mkdir('/tmp/d', 0o777);
    expect(fs.stat('/tmp/d').mode).toBe(0o755);
    expect(errno(() => fs.mkdir('/tmp/d'))).toBe('EEXIST');
    expect(errno(() => fs.mkdir('/tmp/x/y'))).toBe('ENOENT');
    expect(errno(() => fs.mkdir('/'))).toBe('EEXIST');
    writeText(fs, '/tmp/d/f', '');
    expect(fs.readdir('/tmp/d')).toEqual(['f']);
    expect(errno(() => fs.rmdir('/tmp/d'))).toBe('ENOTEMPTY');
    expect(errno(() => fs.rmdir('/tmp/d/f'))).toBe('ENOTDIR');
    expect(errno(() => fs.unlink('/tmp/d'))).toBe('EISDIR');
    expect(errno(() => fs.rmdir('/tmp/d/.'))).toBe('EINVAL');
    expect(errno(() => fs.rmdir('/'))).toBe('EBUSY');
    expect(errno(() => fs.readdir('/tmp/d/f'))).toBe('ENOTDIR');
    fs.unlink('/tmp/d/f');
    const links = fs.stat('/tmp').nlink;
    fs.rmdir('/tmp/d');
    expect(fs.stat('/tmp').nlink).toBe(links - 1);
  });

  it('renames as rename(2): replace, type clashes, non-empty, into itself', () => {
    const { fs } = setup();
    writeText(fs, '/tmp/a', 'A');
    writeText(fs, '/tmp/b', 'B');
    fs.rename('/tmp/a', '/tmp/b');
    expect(readText(fs, '/tmp/b')).toBe('A');
    expect(errno(() => fs.stat('/tmp/a'))).toBe('ENOENT');
    fs.mkdir('/tmp/d');
    fs.mkdir('/tmp/e');
    writeText(fs, '/tmp/e/x', '');
    expect(errno(() => fs.rename('/tmp/b', '/tmp/d'))).toBe('EISDIR');
    expect(errno(() => fs.rename('/tmp/d', '/tmp/b'))).toBe('ENOTDIR');
    expect(errno(() => fs.rename('/tmp/d', '/tmp/e'))).toBe('ENOTEMPTY');
    expect(errno(() => fs.rename('/tmp/d', '/tmp/d/sub'))).toBe('EINVAL');
    expect(errno(() => fs.rename('/tmp/none', '/tmp/z'))).toBe('ENOENT');
    expect(errno(() => fs.rename('/tmp/b', '/tmp/none/z'))).toBe('ENOENT');
    fs.rename('/tmp/e', '/tmp/d');
    expect(fs.readdir('/tmp/d')).toEqual(['x']);
    fs.link('/tmp/b', '/tmp/b2');
    fs.rename('/tmp/b', '/tmp/b2');
    expect(fs.stat('/tmp/b').nlink).toBe(2);
  });

  it('resolves symlinks in container space, relative to the link, up to 40 deep', () => {
    const { fs } = setup();
    fs.mkdir('/tmp/d');
    fs.symlink('..', '/tmp/d/up');
    expect(fs.realpath('/tmp/d/up/d/up/../bin/..')).toBe('/');
    fs.symlink('../../etc', '/tmp/d/etc2');
    expect(readText(fs, '/tmp/d/etc2/passwd')).toContain('root');
    fs.symlink('/../../../etc/passwd', '/tmp/abs');
    expect(fs.realpath('/tmp/abs')).toBe('/etc/passwd');
    expect(fs.realpath('/../../..')).toBe('/');
    fs.symlink('loop2', '/tmp/loop1');
    fs.symlink('loop1', '/tmp/loop2');
    expect(errno(() => fs.stat('/tmp/loop1'))).toBe('ELOOP');
    expect(errno(() => fs.typeOf('/tmp/loop1'))).toBe('ELOOP');
    expect(fs.lstat('/tmp/loop1').type).toBe('symlink');
    // typeOf follows links as stat does.
    expect(fs.typeOf('/bin/ls')).toBe('file');
    expect(fs.typeOf('/tmp/d/up')).toBe('dir');
    expect(errno(() => fs.typeOf('/tmp/none'))).toBe('ENOENT');
    let prev = '/etc/passwd';
    for (let i = 0; i < 41; i++) {
      fs.symlink(prev, `/tmp/c${i}`);
      prev = `/tmp/c${i}`;
    }
    expect(fs.stat('/tmp/c39').type).toBe('file');
    expect(errno(() => fs.stat('/tmp/c40'))).toBe('ELOOP');
    expect(errno(() => fs.readlink('/etc/passwd'))).toBe('EINVAL');
    expect(errno(() => fs.stat('/etc/passwd/x'))).toBe('ENOTDIR');
    expect(errno(() => fs.stat('/etc/passwd/..'))).toBe('ENOTDIR');
  });
});

describe('permissions', () => {
  // As the kernel's may_delete, before any other reason (a type that does
  // not match, a mount point, a directory not empty): busybox as uid 1000
  // says "Permission denied" for each.
  it('removing and renaming check the directory\'s permission first, as vfs_rmdir, vfs_unlink and vfs_rename do', () => {
    const { fs, as } = setup();
    const u = as(user);
    fs.mkdir('/etc/d');
    writeText(fs, '/etc/d/x', 'x');
    expect(errno(() => u.rmdir('/etc/d'))).toBe('EACCES'); // not ENOTEMPTY
    expect(errno(() => u.rmdir('/etc/passwd'))).toBe('EACCES'); // not ENOTDIR
    expect(errno(() => u.unlink('/etc/d'))).toBe('EACCES'); // not EISDIR
    expect(errno(() => u.rename('/etc/d', '/tmp/d'))).toBe('EACCES');
    expect(errno(() => fs.rmdir('/etc/d'))).toBe('ENOTEMPTY');
    expect(errno(() => fs.unlink('/etc/d'))).toBe('EISDIR');
  });

  it('a non-root caller gets what the modes allow, root passes all but execute', () => {
    const { fs, as } = setup();
    const u = as(user);
    expect(errno(() => u.open('/etc/passwd', { write: true }))).toBe('EACCES');
    expect(readText(u, '/etc/passwd')).toContain('root');
    expect(errno(() => u.readdir('/root'))).toBe('EACCES');
    expect(errno(() => u.stat('/root/x'))).toBe('EACCES');
    expect(errno(() => u.mkdir('/etc/x'))).toBe('EACCES');
    writeText(fs, '/tmp/secret', 's');
    fs.chmod('/tmp/secret', 0o600);
    expect(errno(() => u.open('/tmp/secret', { read: true }))).toBe('EACCES');
    expect(errno(() => u.unlink('/tmp/secret'))).toBe('EPERM'); // sticky /tmp
    expect(errno(() => u.chmod('/tmp/secret', 0o777))).toBe('EPERM');
    expect(errno(() => u.chown('/tmp/secret', 1000, 1000))).toBe('EPERM');
    expect(errno(() => u.utimes('/tmp/secret', 1, 1))).toBe('EPERM');
    expect(errno(() => u.link('/tmp/secret', '/tmp/mine'))).toBe('EPERM');
    expect(errno(() => fs.access('/tmp/secret', 1))).toBe('EACCES');
    expect(errno(() => fs.access('/bin/busybox', 1))).toBe('ok');
    fs.chmod('/tmp/secret', 0o000);
    expect(readText(fs, '/tmp/secret')).toBe('s');
  });

  it('owner, group and supplementary groups select the mode bits; new files take umask and setgid dirs', () => {
    const { fs, as } = setup();
    fs.mkdir('/data');
    fs.chown('/data', 0, 2000);
    fs.chmod('/data', 0o2770);
    const u = as({ ...user, umask: 0o027 });
    writeText(u, '/data/f', 'x');
    expect(u.stat('/data/f')).toMatchObject({ uid: 1000, gid: 2000, mode: 0o640 });
    u.mkdir('/data/sub');
    expect(u.stat('/data/sub')).toMatchObject({ gid: 2000, mode: 0o2750 });
    u.chown('/data/f', -1, 1000);
    expect(u.stat('/data/f').gid).toBe(1000);
    expect(errno(() => u.chown('/data/f', -1, 3000))).toBe('EPERM');
    const other = as({ uid: 3000, gid: 3000, groups: [], pid: 3 });
    expect(errno(() => other.readdir('/data'))).toBe('EACCES');
  });
});

// A View reuses its last walk of a path within one synchronous run: what
// changed in between, by it or by another View, must show.
describe('a path asked again at once', () => {
  it('shows a write, a rename, a chmod and a new link made in between, through this view or another', () => {
    const { fs, as } = setup();
    const other = as(root);
    const u = as(user);
    fs.mkdir('/d', 0o755);
    writeText(fs, '/d/f', 'ab');
    expect(fs.stat('/d/f').size).toBe(2);
    const h = other.open('/d/f', { write: true, append: true });
    h.write(Buffer.from('cde'));
    expect(fs.stat('/d/f').size).toBe(5);
    h.close();
    expect(u.stat('/d/f').type).toBe('file');
    other.rename('/d/f', '/d/g');
    expect(errno(() => fs.stat('/d/f'))).toBe('ENOENT');
    expect(fs.realpath('/d/g')).toBe('/d/g');
    expect(u.stat('/d/g').size).toBe(5);
    fs.chmod('/d', 0o700);
    expect(errno(() => u.stat('/d/g'))).toBe('EACCES');
    other.chmod('/d', 0o755);
    expect(u.stat('/d/g').size).toBe(5);
    other.unlink('/d/g');
    other.symlink('/tmp', '/d/g');
    expect(fs.realpath('/d/g')).toBe('/tmp');
    expect(fs.stat('/d/g').type).toBe('dir');
  });
});
