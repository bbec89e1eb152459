import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, type Kind, MiB, bytesOf, makeFixture, writeFile as write } from '../../test/rootfs-fixture';
import { type Tmpfs, mountTmpfs, mountUnavailable, statfsUsed } from '../../test/tmpfs';
import { writableLayerKey } from '../../vfs/filesystems';
import { PASSWD } from './image-root';
import { type Caller, type Chunk, type ContainerFs, type FsErrorCode } from './types';

const root: Caller = { uid: 0, gid: 0, groups: [], pid: 1 };
const user: Caller = { uid: 1000, gid: 1000, groups: [], pid: 7 };

const errno = (f: () => unknown): FsErrorCode | 'ok' => {
  try {
    f();
    return 'ok';
  } catch (err) {
    const code = (err as { code?: FsErrorCode }).code;
    if (!code) throw err;
    return code;
  }
};

function read(fs: ContainerFs, path: string): string {
  const h = fs.open(path, { read: true });
  const parts: Buffer[] = [];
  for (let c = h.read(65536); c; c = h.read(65536)) parts.push(Buffer.from(bytesOf(c)));
  h.close();
  return Buffer.concat(parts).toString();
}

const zeros = (length: number): Chunk => ({ fill: 'zero', length, seed: 0, offset: 0 });

// du of a directory, in bytes (blocks) and inodes, as the kubelet's and
// cAdvisor's measurements count.
function du(dir: string): { bytes: number; inodes: number } {
  const bytes = Number(execFileSync('du', ['-s', '--block-size=1', dir]).toString().split('\t')[0]);
  const inodes = Number(execFileSync('du', ['-s', '--inodes', dir]).toString().split('\t')[0]);
  return { bytes, inodes };
}

const kinds: [Kind, string | undefined][] = [
  ['memory', undefined],
  ['host', mountUnavailable],
];

describe.each(kinds)('container files on the %s backend', (kind, skipReason) => {
  let f: Fixture;
  let scratch: string[] = [];
  let tmpfs: Tmpfs[] = [];
  const hostDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'fakecri-mount-'));
    scratch.push(d);
    return d;
  };
  beforeEach(() => {
    if (!skipReason) f = makeFixture(kind, { bytes: 16 * MiB, inodes: 200 });
  });
  afterEach(() => {
    f?.cleanup();
    for (const t of tmpfs) t.unmount();
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
    scratch = [];
    tmpfs = [];
  });
  const maybe = skipReason ? it.skip : it;
  if (skipReason) it(`skipped: ${skipReason}`, () => {});

  const diffDir = (id: string) => join(f.fs.mountpoint, 'fakecri', writableLayerKey(id));

  maybe('counts every write in the writable layer at once, as du counts the diff directory', () => {
    f.container('c1');
    const fs = f.store.view('c1', root);
    const before = f.store.usage('c1');
    expect(before.inodes).toBe(1);
    write(fs, '/tmp/a', zeros(3 * MiB));
    fs.mkdir('/data');
    write(fs, '/data/b', 'hello');
    fs.symlink('/data/b', '/data/l');
    const after = f.store.usage('c1');
    expect(after.inodes).toBe(before.inodes + 5); // tmp (copied up), a, data, b, l
    expect(after.bytes - before.bytes).toBeGreaterThanOrEqual(3 * MiB + 4096);
    expect(f.fs.sizeOf(writableLayerKey('c1'))).toEqual(after);
    expect(f.fs.usage()).toEqual({ usedBytes: after.bytes, inodesUsed: after.inodes });
    if (kind === 'host') expect(du(diffDir('c1'))).toEqual(after);
    else expect(after.bytes).toBe(3 * MiB + 4096);
    fs.unlink('/tmp/a');
    expect(f.store.usage('c1').bytes).toBe(after.bytes - 3 * MiB);
    if (kind === 'host') expect(du(diffDir('c1'))).toEqual(f.store.usage('c1'));
  });

  maybe('a write that does not fit is refused whole with ENOSPC, and so is an inode past the last', () => {
    f.container('c1');
    const fs = f.store.view('c1', root);
    write(fs, '/big', zeros(10 * MiB));
    const usage = f.store.usage('c1');
    const h = fs.open('/big', { write: true, append: true });
    expect(errno(() => h.write(zeros(8 * MiB)))).toBe('ENOSPC');
    h.close();
    expect(fs.stat('/big').size).toBe(10 * MiB);
    expect(f.store.usage('c1')).toEqual(usage);
    if (kind === 'host') expect(du(diffDir('c1'))).toEqual(usage);
    // What is left still fits, to the block.
    const free = fs.statfs('/').bavail * 4096;
    expect(free).toBeGreaterThan(MiB);
    write(fs, '/rest', zeros(free - 4 * 4096));
    let created = 0;
    let last: FsErrorCode | 'ok' = 'ok';
    while (last === 'ok' && created < 1000) last = errno(() => fs.mkdir(`/d${created++}`));
    expect(last).toBe('ENOSPC');
    expect(errno(() => fs.lstat(`/d${created - 1}`))).toBe('ENOENT');
    expect(fs.statfs('/').ffree).toBe(0);
  });

  maybe('copies image files up on write and hides deleted ones with whiteouts', () => {
    f.container('c1');
    const fs = f.store.view('c1', root);
    write(fs, '/etc/passwd', 'root:x:0:0::/root:/bin/sh\n', { truncate: true });
    expect(read(fs, '/etc/passwd')).toBe('root:x:0:0::/root:/bin/sh\n');
    expect(read(fs, '/etc/group')).toMatch(/^root:x:0:/);
    fs.unlink('/bin/ls');
    expect(errno(() => fs.lstat('/bin/ls'))).toBe('ENOENT');
    expect(fs.readdir('/bin')).not.toContain('ls');
    expect(fs.readdir('/bin')).toContain('cat');
    fs.rename('/bin/cat', '/bin/kitten');
    expect(fs.readlink('/bin/kitten')).toBe('busybox');
    expect(errno(() => fs.lstat('/bin/cat'))).toBe('ENOENT');
    // A directory made where a deleted one was shows none of the old.
    fs.mkdir('/var/spool/x');
    fs.rmdir('/var/spool/x');
    fs.rmdir('/var/spool/mail');
    fs.mkdir('/var/spool/mail');
    expect(fs.readdir('/var/spool/mail')).toEqual([]);
    expect(errno(() => fs.rename('/var', '/var2'))).toBe('EXDEV');
    expect(fs.readdir('/').filter((n) => n.startsWith('.'))).toEqual([]);
    if (kind === 'host') {
      expect(existsSync(join(diffDir('c1'), 'bin', '.wh.ls'))).toBe(true);
      expect(readFileSync(join(diffDir('c1'), 'etc', 'passwd'), 'utf8')).toBe('root:x:0:0::/root:/bin/sh\n');
    }
    // The image itself is untouched for the next container.
    f.container('c2');
    expect(read(f.store.view('c2', root), '/etc/passwd')).toBe(PASSWD);
    expect(f.store.view('c2', root).readlink('/bin/ls')).toBe('busybox');
  });

  maybe('RemoveContainer frees all of it', async () => {
    f.container('c1');
    const fs = f.store.view('c1', root);
    const disk0 = kind === 'host' ? statfsUsed(f.tmp!.path) : 0;
    write(fs, '/tmp/a', zeros(2 * MiB));
    fs.mkdir('/x');
    // Directories within directories, their files, a link back up: all go.
    fs.mkdir('/x/y');
    for (let i = 0; i < 40; i++) write(fs, `/x/y/f${i}`, 'z');
    fs.symlink('/x', '/x/y/up');
    // Out of the accounts at once; off the disk when the promise settles.
    const gone = f.store.remove('c1');
    expect(f.fs.sizeOf(writableLayerKey('c1'))).toBeUndefined();
    expect(f.fs.usage()).toEqual({ usedBytes: 0, inodesUsed: 0 });
    await gone;
    if (kind === 'host') {
      expect(existsSync(diffDir('c1'))).toBe(false);
      expect(statfsUsed(f.tmp!.path)).toBeLessThanOrEqual(disk0);
    }
  });

  maybe('a restart of fakecri finds the files and adopts their usage', () => {
    f.container('c1');
    const fs = f.store.view('c1', root);
    write(fs, '/tmp/random', { fill: 'random', length: MiB + 17, seed: 9, offset: 5 });
    write(fs, '/etc/motd', 'hi\n');
    fs.link('/etc/motd', '/etc/motd2');
    fs.unlink('/bin/ls');
    fs.chmod('/etc/motd', 0o600);
    const usage = f.store.usage('c1');
    f = f.restart();
    expect(f.store.usage('c1')).toEqual(usage);
    const again = f.store.view('c1', root);
    const h = again.open('/tmp/random', { read: true });
    h.seek(1000);
    expect(bytesOf(h.read(64)!)).toEqual(bytesOf({ fill: 'random', length: 64, seed: 9, offset: 1005 }));
    h.close();
    expect(read(again, '/etc/motd2')).toBe('hi\n');
    expect(again.stat('/etc/motd')).toMatchObject({ nlink: 2, mode: 0o600 });
    expect(errno(() => again.lstat('/bin/ls'))).toBe('ENOENT');
    // And the counting goes on from there.
    again.unlink('/tmp/random');
    expect(f.store.usage('c1').bytes).toBeLessThan(usage.bytes - MiB);
  });

  maybe('rootfs_write grows a hidden file, refused whole when full', async () => {
    f.container('c1');
    await f.store.grow('c1', 3 * MiB);
    await f.store.grow('c1', 2 * MiB);
    expect(f.store.usage('c1')).toMatchObject({ bytes: 5 * MiB, inodes: 2 });
    await expect(f.store.grow('c1', 20 * MiB)).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/no space left on device/) });
    expect(f.store.usage('c1').bytes).toBe(5 * MiB);
    expect(f.store.view('c1', root).readdir('/').some((n) => n.includes('fakecri'))).toBe(false);
  });

  maybe('a read-only rootfs and read-only mounts give EROFS; mounts and /dev stay writable', () => {
    const vol = hostDir();
    const conf = hostDir();
    writeFileSync(join(conf, 'app.conf'), 'x=1\n');
    f.container('c1', {
      config: { linux: { security_context: { readonly_rootfs: true } } },
      mounts: [
        { container_path: '/vol', host_path: vol, readonly: false },
        { container_path: '/conf', host_path: conf, readonly: true },
      ],
    });
    const fs = f.store.view('c1', root);
    expect(errno(() => write(fs, '/tmp/x', 'x'))).toBe('EROFS');
    expect(errno(() => fs.mkdir('/newdir'))).toBe('EROFS');
    expect(errno(() => fs.unlink('/bin/ls'))).toBe('EROFS');
    expect(errno(() => fs.mkdir('/tmp'))).toBe('EEXIST');
    expect(errno(() => write(fs, '/etc/hosts', 'x'))).toBe('EROFS');
    expect(errno(() => write(fs, '/conf/app.conf', 'x=2\n'))).toBe('EROFS');
    expect(read(fs, '/conf/app.conf')).toBe('x=1\n');
    write(fs, '/vol/out', 'data');
    expect(readFileSync(join(vol, 'out'), 'utf8')).toBe('data');
    write(fs, '/dev/shm/s', 'shared');
    write(fs, '/dev/null', 'gone');
    expect(fs.mounts().find((m) => m.target === '/')!.options[0]).toBe('ro');
    expect(fs.mounts().find((m) => m.target === '/conf')!.options).toContain('ro');
    expect(f.store.usage('c1').inodes).toBe(1);
  });

  maybe('host mounts are confined: symlinks and .. resolve in the container, hard links do not cross', () => {
    const vol = hostDir();
    const outside = hostDir();
    writeFileSync(join(outside, 'secret'), 'host secret\n');
    symlinkSync('/etc', join(vol, 'etc-link'));
    symlinkSync(outside, join(vol, 'escape'));
    symlinkSync('../../../../../../..', join(vol, 'up'));
    mkdirSync(join(vol, 'sub'));
    f.container('c1', { mounts: [{ container_path: '/mnt', host_path: vol }] });
    const fs = f.store.view('c1', root);
    expect(read(fs, '/mnt/etc-link/passwd')).toBe(PASSWD);
    expect(fs.realpath('/mnt/sub/../../etc')).toBe('/etc');
    expect(fs.realpath('/mnt/up')).toBe('/');
    expect(errno(() => read(fs, '/mnt/escape/secret'))).toBe('ENOENT');
    // Creating through a link that names a host path lands in the container.
    fs.mkdir('/mnt/escape-target-parent');
    expect(errno(() => write(fs, '/mnt/escape/new', 'x'))).toBe('ENOENT');
    expect(readdirSync(outside)).toEqual(['secret']);
    write(fs, '/mnt/f', 'in volume');
    expect(errno(() => fs.link('/mnt/f', '/tmp/g'))).toBe('EXDEV');
    expect(errno(() => fs.rename('/mnt/f', '/tmp/g'))).toBe('EXDEV');
    expect(errno(() => fs.link('/etc/passwd', '/mnt/p'))).toBe('EXDEV');
    fs.link('/mnt/f', '/mnt/sub/f2');
    expect(statSync(join(vol, 'sub', 'f2')).nlink).toBe(2);
    expect(lstatSync(join(vol, 'etc-link')).isSymbolicLink()).toBe(true);
  });

  maybe('files made in host mounts belong to the caller, with its umask; modes are enforced', () => {
    const vol = hostDir();
    const locked = hostDir();
    execFileSync('chmod', ['0755', locked]);
    f.container('c1', {
      mounts: [
        { container_path: '/vol', host_path: vol },
        { container_path: '/locked', host_path: locked },
      ],
    });
    execFileSync('chmod', ['1777', vol]);
    const u = f.store.view('c1', { ...user, umask: 0o027 });
    write(u, '/vol/mine', 'x');
    u.mkdir('/vol/dir');
    expect(statSync(join(vol, 'mine'))).toMatchObject({ uid: 1000, gid: 1000 });
    expect(statSync(join(vol, 'mine')).mode & 0o777).toBe(0o640);
    expect(statSync(join(vol, 'dir')).mode & 0o7777).toBe(0o750);
    expect(errno(() => write(u, '/locked/x', 'x'))).toBe('EACCES');
    expect(errno(() => write(u, '/etc/x', 'x'))).toBe('EACCES');
    expect(errno(() => u.unlink('/etc/passwd'))).toBe('EACCES');
    expect(errno(() => write(u, '/etc/passwd', 'x'))).toBe('EACCES');
    write(u, '/tmp/ok', 'x');
    expect(u.stat('/tmp/ok')).toMatchObject({ uid: 1000, gid: 1000, mode: 0o640 });
  });

  (mountUnavailable ? it.skip : it)('a full emptyDir gives ENOSPC to the writer and keeps nothing of the write', () => {
    const small = mountTmpfs('1m', 'emptydir');
    tmpfs.push(small);
    f.container('c1', { mounts: [{ container_path: '/cache', host_path: small.path }] });
    const fs = f.store.view('c1', root);
    write(fs, '/cache/a', zeros(512 * 1024));
    const h = fs.open('/cache/a', { write: true, append: true });
    expect(errno(() => h.write({ fill: 'random', length: 768 * 1024, seed: 1, offset: 0 }))).toBe('ENOSPC');
    h.close();
    expect(statSync(join(small.path, 'a')).size).toBe(512 * 1024);
    expect(fs.statfs('/cache').type).toBe('tmpfs');
    // Into a sparse file, where statfs cannot tell in advance: the disk
    // refuses part way, and the bytes written so far are taken back.
    fs.unlink('/cache/a');
    write(fs, '/cache/sparse', '');
    fs.truncate('/cache/sparse', 2 * MiB);
    const s = fs.open('/cache/sparse', { read: true, write: true });
    expect(errno(() => s.write({ fill: 'random', length: 2 * MiB, seed: 1, offset: 0 }, 0))).toBe('ENOSPC');
    expect(s.stat().size).toBe(2 * MiB);
    const back = bytesOf(s.read(2 * MiB, 0)!);
    s.close();
    expect(back.length).toBe(2 * MiB);
    expect(back.every((b) => b === 0)).toBe(true);
  });
});
