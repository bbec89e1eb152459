import { describe, expect, it } from 'vitest';
import { applets } from './index';
import { memoryContainer } from './test-context';

const setup = () => memoryContainer(applets);
const user = { uid: 1000, gid: 1000, groups: [] };

describe('touch, rm, mkdir, rmdir', () => {
  it('touch creates and dates files; rm removes them with busybox messages', async () => {
    const { container: c, fs } = setup();
    expect((await c.exec(['touch', '/tmp/a', '/tmp/b'])).status).toBe(0);
    expect(fs.stat('/tmp/a').size).toBe(0);
    await c.exec(['touch', '-d', '2020-01-02 03:04:05', '/tmp/a']);
    expect(fs.stat('/tmp/a').mtimeMs).toBe(Date.UTC(2020, 0, 2, 3, 4, 5));
    await c.exec(['touch', '-t', '202101020304.05', '/tmp/b']);
    expect(fs.stat('/tmp/b').mtimeMs).toBe(Date.UTC(2021, 0, 2, 3, 4, 5));
    await c.exec(['touch', '-d', '@86400', '/tmp/b']);
    expect(fs.stat('/tmp/b').mtimeMs).toBe(86400000);
    // What the date leaves out is now's, as strptime leaves it: the seconds,
    // or the time of day (busybox 1.35: 10:20:46 and 19:23:46 at 19:23:46).
    const second = (ms: number) => Math.floor(ms / 1000) % 60;
    await c.exec(['touch', '/tmp/t0']);
    await c.exec(['touch', '-d', '2020-01-02 03:04', '/tmp/c']);
    await c.exec(['touch', '-d', '2020-01-02', '/tmp/d']);
    await c.exec(['touch', '/tmp/t1']);
    const [t0, t1] = [fs.stat('/tmp/t0').mtimeMs, fs.stat('/tmp/t1').mtimeMs];
    expect([second(t0), second(t1)]).toContain(second(fs.stat('/tmp/c').mtimeMs));
    expect(fs.stat('/tmp/c').mtimeMs - second(fs.stat('/tmp/c').mtimeMs) * 1000).toBe(Date.UTC(2020, 0, 2, 3, 4, 0));
    const day = (ms: number) => Math.floor(ms / 1000) % 86400;
    expect([day(t0), day(t1)]).toContain(day(fs.stat('/tmp/d').mtimeMs));
    expect(fs.stat('/tmp/d').mtimeMs - day(fs.stat('/tmp/d').mtimeMs) * 1000).toBe(Date.UTC(2020, 0, 2));
    expect(await c.exec(['touch', '-c', '/tmp/none'])).toMatchObject({ status: 0 });
    expect(await c.exec(['touch', '/nope/x'])).toMatchObject({ status: 1, stderr: 'touch: /nope/x: No such file or directory\n' });
    expect(await c.exec(['touch', '-d', 'garbage', '/tmp/a'])).toMatchObject({ status: 1, stderr: "touch: invalid date 'garbage'\n" });
    expect((await c.exec(['rm', '/tmp/a'])).status).toBe(0);
    expect(await c.exec(['rm', '/tmp/a'])).toMatchObject({ status: 1, stderr: "rm: can't remove '/tmp/a': No such file or directory\n" });
    expect(await c.exec(['rm', '-f', '/tmp/a'])).toMatchObject({ status: 0, stderr: '' });
    expect(await c.exec(['rm', '/tmp'])).toMatchObject({ status: 1, stderr: "rm: '/tmp' is a directory\n" });
    expect(await c.exec(['rm', '-rf', '.'])).toMatchObject({ status: 1, stderr: "rm: can't remove '.' or '..'\n" });
  });

  // As busybox 1.35: the question on stderr, a line of stdin the answer
  // (y or Y first), a no not an error; the last of -f/-i (rm), -n/-i (cp),
  // -f/-i/-n (mv) wins.
  it('rm -i, cp -i and mv -i ask first', async () => {
    const { container: c, fs } = setup();
    const sh = (script: string, input = '') => c.exec(['sh', '-c', script], { input, cwd: '/tmp', env: { PATH: '/bin' } });
    expect(await sh('touch f g h; rm -i f g h', 'n\n  Yes\n')).toMatchObject({ status: 0, stderr: "rm: remove 'f'? rm: remove 'g'? rm: remove 'h'? " });
    expect(fs.readdir('/tmp').sort()).toEqual(['f', 'h']);
    expect(await sh('rm -if f h', '')).toMatchObject({ status: 0, stderr: '' });
    expect(await sh('mkdir -p d/e; rm -ri d', 'y\ny\ny\nn\n')).toMatchObject({ status: 0, stderr: "rm: descend into directory 'd'? rm: descend into directory 'd/e'? rm: remove directory 'd/e'? rm: remove directory 'd'? " });
    expect(fs.readdir('/tmp')).toEqual(['d']);
    const write = (path: string, text: string) => c.exec(['tee', path], { input: text });
    const run = (argv: string[], input = '') => c.exec(argv, { input, cwd: '/tmp' });
    await write('/tmp/f', 'x\n');
    await write('/tmp/g', 'y\n');
    expect(await run(['cp', '-i', 'f', 'g'], 'n\n')).toMatchObject({ status: 0, stderr: "cp: overwrite 'g'? " });
    expect(await run(['cp', '-i', '-n', 'f', 'g'])).toMatchObject({ status: 0, stderr: '' });
    expect((await run(['cat', 'g'])).stdout).toBe('y\n');
    expect(await run(['cp', '-n', '-i', 'f', 'g'], '  y\n')).toMatchObject({ status: 0, stderr: "cp: overwrite 'g'? " });
    expect((await run(['cat', 'g'])).stdout).toBe('x\n');
    await write('/tmp/g', 'y\n');
    expect(await run(['mv', '-i', 'f', 'g'], 'n\n')).toMatchObject({ status: 0, stderr: "mv: overwrite 'g'? " });
    expect(await run(['mv', '-i', '-f', 'f', 'g'])).toMatchObject({ status: 0, stderr: '' });
    expect(fs.readdir('/tmp').sort()).toEqual(['d', 'g']);
    expect((await run(['cat', 'g'])).stdout).toBe('x\n');
  });

  it('mkdir -p makes parents, -m sets the mode; rmdir -p removes them', async () => {
    const { container: c, fs } = setup();
    expect(await c.exec(['mkdir', '/tmp/a/b'])).toMatchObject({ status: 1, stderr: "mkdir: can't create directory '/tmp/a/b': No such file or directory\n" });
    expect((await c.exec(['mkdir', '-p', '/tmp/a/b/c'])).status).toBe(0);
    expect((await c.exec(['mkdir', '-p', '/tmp/a/b/c'])).status).toBe(0);
    expect(await c.exec(['mkdir', '/tmp/a'])).toMatchObject({ status: 1, stderr: "mkdir: can't create directory '/tmp/a': File exists\n" });
    // Each parent named as busybox names it, slashes kept; a file on the way
    // is "Not a directory" (busybox 1.35).
    expect(await c.exec(['mkdir', '-pv', 'v//w/x/'], { cwd: '/tmp' })).toMatchObject({ status: 0, stdout: "created directory: 'v//'\ncreated directory: 'v//w/'\ncreated directory: 'v//w/x/'\n" });
    await c.exec(['touch', '/tmp/f']);
    expect(await c.exec(['mkdir', '-p', '/tmp/f/g'])).toMatchObject({ status: 1, stderr: "mkdir: can't create directory '/tmp/f/': Not a directory\n" });
    expect(await c.exec(['mkdir', '-p', '/tmp/f'])).toMatchObject({ status: 1, stderr: "mkdir: can't create directory '/tmp/f': File exists\n" });
    await c.exec(['rm', '-r', '/tmp/v', '/tmp/f']);
    await c.exec(['mkdir', '-m', '700', '/tmp/m']);
    expect(fs.stat('/tmp/m').mode).toBe(0o700);
    await c.exec(['mkdir', '-m', 'u=rwx,go=x', '/tmp/n']);
    expect(fs.stat('/tmp/n').mode).toBe(0o711);
    expect(await c.exec(['rmdir', '/tmp/a'])).toMatchObject({ status: 1, stderr: "rmdir: '/tmp/a': Directory not empty\n" });
    // rmdir(2) takes a last . or .. as it is (busybox 1.35 on glibc).
    await c.exec(['mkdir', '/tmp/a/e']);
    expect(await c.exec(['rmdir', '.', 'e/.', '--ignore-fail-on-non-empty', 'e/..', '/'], { cwd: '/tmp/a' })).toMatchObject({
      status: 1,
      stderr: "rmdir: '.': Invalid argument\nrmdir: 'e/.': Invalid argument\nrmdir: '/': Device or resource busy\n",
    });
    expect(await c.exec(['rmdir', 'e/..'], { cwd: '/tmp/a' })).toMatchObject({ status: 1, stderr: "rmdir: 'e/..': Directory not empty\n" });
    expect((await c.exec(['rmdir', 'e'], { cwd: '/tmp/a' })).status).toBe(0);
    expect((await c.exec(['rmdir', '-p', 'a/b/c'], { cwd: '/tmp' })).status).toBe(0);
    expect(fs.readdir('/tmp').sort()).toEqual(['m', 'n']);
    expect((await c.exec(['rm', '-r', '/tmp/m', '/tmp/n'])).status).toBe(0);
    expect(fs.readdir('/tmp')).toEqual([]);
  });

  it('honours permissions and read-only places', async () => {
    const { container: c } = setup();
    expect(await c.exec(['touch', '/etc/x'], { identity: user })).toMatchObject({ status: 1, stderr: 'touch: /etc/x: Permission denied\n' });
    expect(await c.exec(['rm', '/etc/passwd'], { identity: user })).toMatchObject({ status: 1, stderr: "rm: can't remove '/etc/passwd': Permission denied\n" });
    expect(await c.exec(['mkdir', '/root/x'], { identity: user })).toMatchObject({ status: 1 });
  });
});

describe('cp, mv, ln', () => {
  it('cp copies files, into directories, and trees with -r', async () => {
    const { container: c, fs } = setup();
    await c.exec(['cp', '/etc/passwd', '/tmp/p']);
    expect((await c.exec(['cat', '/tmp/p'])).stdout).toContain('root:x:0:0');
    await c.exec(['mkdir', '/tmp/d']);
    await c.exec(['cp', '/etc/passwd', '/etc/group', '/tmp/d']);
    expect(fs.readdir('/tmp/d').sort()).toEqual(['group', 'passwd']);
    expect(await c.exec(['cp', '/tmp/d', '/tmp/e'])).toMatchObject({ status: 1, stderr: "cp: omitting directory '/tmp/d'\n" });
    expect((await c.exec(['cp', '-r', '/tmp/d', '/tmp/e'])).status).toBe(0);
    expect(fs.readdir('/tmp/e').sort()).toEqual(['group', 'passwd']);
    // -v says a directory after what it holds (copy_file's verb_and_exit),
    // names joined as concat_path_file joins them.
    const said = (await c.exec(['cp', '-rv', '/tmp/d/', '/tmp/f/'])).stdout.split('\n');
    expect(said.slice(0, 2).sort()).toEqual(["'/tmp/d/group' -> '/tmp/f/group'", "'/tmp/d/passwd' -> '/tmp/f/passwd'"]);
    expect(said.slice(2)).toEqual(["'/tmp/d/' -> '/tmp/f/'", '']);
    expect(await c.exec(['cp', '/nope', '/tmp/x'])).toMatchObject({ status: 1, stderr: "cp: can't stat '/nope': No such file or directory\n" });
    expect(await c.exec(['cp', '/tmp/p', '/tmp/p'])).toMatchObject({ status: 1, stderr: "cp: '/tmp/p' and '/tmp/p' are the same file\n" });
    expect(await c.exec(['cp', '/etc/group', '/etc/passwd', '/tmp/p'])).toMatchObject({
      status: 1,
      stderr: "cp: can't stat '/tmp/p/group': Not a directory\ncp: can't stat '/tmp/p/passwd': Not a directory\n",
    });
    await c.exec(['ln', '-s', '/etc/group', '/tmp/link']);
    await c.exec(['cp', '/tmp/link', '/tmp/deref']);
    expect(fs.lstat('/tmp/deref').type).toBe('file');
    await c.exec(['cp', '-a', '/tmp/link', '/tmp/kept']);
    expect(fs.readlink('/tmp/kept')).toBe('/etc/group');
  });

  it('cp -p keeps mode and times', async () => {
    const { container: c, fs } = setup();
    await c.exec(['touch', '-d', '2001-02-03 04:05:06', '/tmp/a']);
    await c.exec(['chmod', '640', '/tmp/a']);
    await c.exec(['cp', '-p', '/tmp/a', '/tmp/b']);
    expect(fs.stat('/tmp/b')).toMatchObject({ mode: 0o640, mtimeMs: Date.UTC(2001, 1, 3, 4, 5, 6) });
  });

  it('mv renames and moves into directories', async () => {
    const { container: c, fs } = setup();
    await c.exec(['touch', '/tmp/a']);
    expect((await c.exec(['mv', '/tmp/a', '/tmp/b'])).status).toBe(0);
    await c.exec(['mkdir', '/tmp/d']);
    await c.exec(['mv', '/tmp/b', '/tmp/d']);
    expect(fs.readdir('/tmp/d')).toEqual(['b']);
    expect(await c.exec(['mv', '/tmp/zz', '/tmp/d'])).toMatchObject({ status: 1, stderr: "mv: can't rename '/tmp/zz': No such file or directory\n" });
  });

  it('ln makes hard and symbolic links; -f replaces', async () => {
    const { container: c, fs } = setup();
    await c.exec(['touch', '/tmp/a']);
    await c.exec(['ln', '/tmp/a', '/tmp/h']);
    expect(fs.stat('/tmp/a').nlink).toBe(2);
    expect(await c.exec(['ln', '-s', 'a', '/tmp/h'])).toMatchObject({ status: 1, stderr: 'ln: /tmp/h: File exists\n' });
    await c.exec(['ln', '-sf', 'a', '/tmp/h']);
    expect(fs.readlink('/tmp/h')).toBe('a');
    expect((await c.exec(['readlink', '/tmp/h'])).stdout).toBe('a\n');
    expect((await c.exec(['readlink', '-f', '/tmp/h'])).stdout).toBe('/tmp/a\n');
    expect((await c.exec(['readlink', '/tmp/a'])).status).toBe(1);
    expect((await c.exec(['realpath', '/bin/../bin/ls', '/tmp/new'])).stdout).toBe('/bin/busybox\n/tmp/new\n');
    expect(await c.exec(['realpath', '/nope/x'])).toMatchObject({ status: 1, stderr: 'realpath: /nope/x: No such file or directory\n' });
    // busybox 1.35's xmalloc_realpath_coreutils: a missing last component
    // only after a slash; a dangling link's relative target from the cwd.
    expect(await c.exec(['realpath', 'nope', './nope', '-s'], { cwd: '/tmp' })).toMatchObject({
      status: 1,
      stdout: '/tmp/nope\n',
      stderr: 'realpath: nope: No such file or directory\nrealpath: -s: No such file or directory\n',
    });
    await c.exec(['ln', '-s', 't', '/tmp/dangling']);
    expect((await c.exec(['readlink', '-f', '/tmp/dangling'], { cwd: '/' })).stdout).toBe('/t\n');
    expect(await c.exec(['readlink', '-f', 'nope'], { cwd: '/tmp' })).toMatchObject({ status: 1, stdout: '', stderr: '' });
    expect(await c.exec(['readlink', '-v', '/tmp/a'])).toMatchObject({ status: 1, stderr: 'readlink: /tmp/a: cannot read link: not a symlink\n' });
  });
});

describe('truncate, fallocate, chmod, chown, mktemp', () => {
  it('truncate and fallocate size files', async () => {
    const { container: c, fs, space } = setup();
    await c.exec(['truncate', '-s', '10M', '/tmp/t']);
    expect(fs.stat('/tmp/t').size).toBe(10 * 1024 * 1024);
    const before = space.usedBytes;
    await c.exec(['fallocate', '-l', '1M', '/tmp/f']);
    expect(fs.stat('/tmp/f').size).toBe(1024 * 1024);
    expect(space.usedBytes - before).toBeGreaterThanOrEqual(1024 * 1024);
    expect(await c.exec(['truncate', '-s', '1', '/nope/x'])).toMatchObject({ status: 1, stderr: 'truncate: /nope/x: open: No such file or directory\n' });
    expect(await c.exec(['fallocate', '-l', '1G', '/tmp/g'])).toMatchObject({ status: 1, stderr: "fallocate: fallocate '/tmp/g': No space left on device\n" });
  });

  it('chmod takes octal and symbolic modes; chown and chgrp take names', async () => {
    const { container: c, fs } = setup();
    await c.exec(['touch', '/tmp/a']);
    await c.exec(['chmod', '755', '/tmp/a']);
    expect(fs.stat('/tmp/a').mode).toBe(0o755);
    await c.exec(['chmod', 'go-rx,u+s', '/tmp/a']);
    expect(fs.stat('/tmp/a').mode).toBe(0o4700);
    await c.exec(['chmod', '-x', '/tmp/a']);
    expect(fs.stat('/tmp/a').mode).toBe(0o4600);
    expect(await c.exec(['chmod', 'bogus', '/tmp/a'])).toMatchObject({ status: 1, stderr: "chmod: invalid mode 'bogus'\n" });
    expect(await c.exec(['chmod', '644', '/nope'])).toMatchObject({ status: 1, stderr: 'chmod: /nope: No such file or directory\n' });
    await c.exec(['chown', 'nobody:nobody', '/tmp/a']);
    expect(fs.stat('/tmp/a')).toMatchObject({ uid: 65534, gid: 65534 });
    await c.exec(['chgrp', 'root', '/tmp/a']);
    expect(fs.stat('/tmp/a').gid).toBe(0);
    expect(await c.exec(['chown', 'bob', '/tmp/a'])).toMatchObject({ status: 1, stderr: 'chown: unknown user bob\n' });
    expect(await c.exec(['chown', '1000', '/tmp/a'], { identity: user })).toMatchObject({ status: 1, stderr: 'chown: /tmp/a: Operation not permitted\n' });
  });

  it('mktemp makes unique files and directories', async () => {
    const { container: c, fs } = setup();
    const a = (await c.exec(['mktemp'])).stdout.trim();
    expect(a).toMatch(/^\/tmp\/tmp\.[A-Za-z0-9]{6}$/);
    expect(fs.stat(a)).toMatchObject({ type: 'file', mode: 0o600 });
    const d = (await c.exec(['mktemp', '-d', '-p', '/tmp', 'dirXXXXXX'])).stdout.trim();
    expect(fs.stat(d).type).toBe('dir');
  });
});

describe('ls, stat, du, df, mount', () => {
  it('ls lists one per line, -a adds dot files, -l the long format', async () => {
    const { container: c } = setup();
    await c.exec(['mkdir', '/tmp/d']);
    await c.exec(['touch', '/tmp/d/b', '/tmp/d/a', '/tmp/d/.h']);
    expect((await c.exec(['ls', '/tmp/d'])).stdout).toBe('a\nb\n');
    expect((await c.exec(['ls', '-a', '/tmp/d'])).stdout).toBe('.\n..\n.h\na\nb\n');
    expect((await c.exec(['ls', '-A', '/tmp/d'])).stdout).toBe('.h\na\nb\n');
    expect((await c.exec(['ls', '-r', '/tmp/d'])).stdout).toBe('b\na\n');
    const l = (await c.exec(['ls', '-l', '/tmp/d'])).stdout.split('\n');
    expect(l[0]).toBe('total 0');
    expect(l[1]).toMatch(/^-rw-r--r-- {4}1 root {5}root {13}0 [A-Z][a-z]{2} [ \d]\d \d\d:\d\d a$/);
    expect((await c.exec(['ls', '-ld', '/tmp'])).stdout).toMatch(/^drwxrwxrwt /);
    expect((await c.exec(['ls', '-l', '/bin/cat'])).stdout).toMatch(/ \/bin\/cat -> busybox\n$/);
    expect((await c.exec(['ls', '-F', '/tmp'])).stdout).toBe('d/\n');
    expect(await c.exec(['ls', '/nope'])).toMatchObject({ status: 1, stderr: 'ls: /nope: No such file or directory\n' });
    expect((await c.exec(['ls', '/tmp/d', '/etc/group'])).stdout).toBe('/etc/group\n\n/tmp/d:\na\nb\n');
    expect((await c.exec(['ls', '-R', '/tmp'])).stdout).toBe('/tmp:\nd\n\n/tmp/d:\na\nb\n');
  });

  it('ls -C lays names out in columns for a terminal width', async () => {
    const { container: c } = setup();
    await c.exec(['mkdir', '/tmp/d']);
    for (const n of ['one', 'two', 'three', 'four', 'five']) await c.exec(['touch', `/tmp/d/${n}`]);
    expect((await c.exec(['ls', '-C', '-w', '20', '/tmp/d'])).stdout).toBe('five   three\nfour   two\none\n');
  });

  it('stat shows busybox layouts and formats', async () => {
    const { container: c } = setup();
    await c.exec(['dd', 'if=/dev/zero', 'of=/tmp/f', 'bs=100', 'count=1', 'status=none']);
    expect((await c.exec(['stat', '-c', '%n %s %F %a %U:%G %h', '/tmp/f'])).stdout).toBe('/tmp/f 100 regular file 644 root:root 1\n');
    const full = (await c.exec(['stat', '/tmp/f'])).stdout;
    expect(full).toMatch(/^ {2}File: \/tmp\/f\n {2}Size: 100 {7}\tBlocks: \d+ +IO Block: \d+ +regular file\n/);
    expect(full).toMatch(/Access: \(0644\/-rw-r--r--\) {2}Uid: \( {4}0\/ {4}root\) {3}Gid: \( {4}0\/ {4}root\)\n/);
    expect(full).toMatch(/Modify: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000\n/);
    expect(await c.exec(['stat', '/nope'])).toMatchObject({ status: 1, stderr: "stat: can't stat '/nope': No such file or directory\n" });
    expect((await c.exec(['stat', '-c', '%N', '/bin/cat'])).stdout).toBe("'/bin/cat' -> 'busybox'\n");
    expect((await c.exec(['stat', '-f', '-c', '%T', '/'])).stdout).toBe('tmpfs\n');
  });

  it('du sums blocks; df reads statfs', async () => {
    const { container: c } = setup();
    await c.exec(['mkdir', '/tmp/d']);
    await c.exec(['dd', 'if=/dev/zero', 'of=/tmp/d/f', 'bs=1M', 'count=2', 'status=none']);
    expect((await c.exec(['du', '-s', '/tmp/d'])).stdout).toBe('2048\t/tmp/d\n');
    expect((await c.exec(['du', '-sh', '/tmp/d'])).stdout).toBe('2.0M\t/tmp/d\n');
    expect((await c.exec(['du', '-a', '/tmp/d'])).stdout).toBe('2048\t/tmp/d/f\n2048\t/tmp/d\n');
    expect((await c.exec(['du', '-m', '-c', '/tmp/d/f'])).stdout).toBe('2\t/tmp/d/f\n2\ttotal\n');
    // busybox's find_mount_point finds none for a path it cannot stat.
    expect(await c.exec(['df', '/nope'])).toMatchObject({ status: 1, stderr: 'df: /nope: can\'t find mount point\n' });
    const df = (await c.exec(['df', '/tmp'])).stdout.split('\n');
    expect(df[0]).toBe('Filesystem           1K-blocks      Used Available Use% Mounted on');
    expect(df[1]).toMatch(/^overlay +262144 +\d+ +\d+ +\d+% \/$/);
    expect((await c.exec(['df', '-h', '/'])).stdout.split('\n')[1]).toMatch(/^overlay +256\.0M +[\d.]+M +[\d.]+M +\d+% \/$/);
    expect((await c.exec(['mount'])).stdout).toBe('overlay on / type overlay (rw)\n');
    expect(await c.exec(['mount', '-t', 'tmpfs', 'x', '/mnt'])).toMatchObject({ status: 1, stderr: 'mount: permission denied (are you root?)\n' });
  });

  // From busybox's install_main (Debian's busybox has no install).
  it('install copies and sets the mode (0755 by default, no umask), makes directories with -d and -D', async () => {
    const { container: c, fs } = setup();
    const run = (...argv: string[]) => c.exec(['install', ...argv], { cwd: '/tmp' });
    await c.exec(['tee', '/tmp/a'], { input: 'hi\n' });
    fs.chmod('/tmp/a', 0o600);
    expect(await run('a', 'b')).toMatchObject({ status: 0 });
    expect(fs.stat('/tmp/b').mode & 0o7777).toBe(0o755);
    expect(await run('-m', 'u=rw,go=r', 'a', 'c')).toMatchObject({ status: 0 });
    expect(fs.stat('/tmp/c').mode & 0o7777).toBe(0o644);
    expect(await run('-d', '-m', '700', 'x/y/z')).toMatchObject({ status: 0 });
    expect(fs.stat('/tmp/x/y/z').mode & 0o7777).toBe(0o700);
    expect(await run('-D', 'a', 'p/q/r')).toMatchObject({ status: 0 });
    expect((await c.exec(['cat', '/tmp/p/q/r'])).stdout).toBe('hi\n');
    expect(await run('-D', '-t', 'dd/e', 'a', 'c')).toMatchObject({ status: 0 });
    expect(fs.readdir('/tmp/dd/e').sort()).toEqual(['a', 'c']);
    expect(await run('-o', 'nobody', '-g', 'nobody', 'a', 'own')).toMatchObject({ status: 0 });
    expect([fs.stat('/tmp/own').uid, fs.stat('/tmp/own').gid]).toEqual([65534, 65534]);
    expect(await run('-v', '-D', 'a', 'v/w')).toMatchObject({ status: 0, stdout: "created directory: 'v'\n'a' -> 'v/w'\n" });
    expect(await run('-o', 'nouser', 'a', 'o2')).toMatchObject({ status: 1, stderr: 'install: unknown user nouser\n' });
    expect(await run('-s', 'a', 's')).toMatchObject({ status: 1, stderr: 'install: strip: No such file or directory\n' });
    expect(await run('nofile', 'z')).toMatchObject({ status: 1, stderr: "install: can't stat 'nofile': No such file or directory\n" });
    expect(await run('a')).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: install') });
    expect(await run('-d', '-t', 'x', 'a')).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: install') });
  });

  // From busybox 1.37's tree_main (1.35 has none).
  it('tree draws a directory, hidden names left out, symlinks not followed', async () => {
    const { container: c, fs } = setup();
    await c.exec(['mkdir', '-p', '/tmp/t/b/c', '/tmp/t/a', '/tmp/t/.h']);
    await c.exec(['touch', '/tmp/t/z', '/tmp/t/b/c/f', '/tmp/t/.hidden', '/tmp/t/a/x', '/tmp/t/a/y']);
    fs.symlink('b', '/tmp/t/l');
    expect(await c.exec(['tree', 't'], { cwd: '/tmp' })).toMatchObject({
      status: 0,
      stdout: 't\n|-- a\n|   |-- x\n|   `-- y\n|-- b\n|   `-- c\n|       `-- f\n|-- l -> b\n`-- z\n\n3 directories, 5 files\n',
    });
    expect(await c.exec(['tree', '/tmp/t/z', '/nope'])).toMatchObject({ status: 0, stdout: '/tmp/t/z [error opening dir]\n/nope [error opening dir]\n\n0 directories, 0 files\n' });
  });

  // From busybox's mountpoint_main (Debian's busybox has none): DIR/.. on
  // another device, or DIR itself, makes a mount point.
  it('mountpoint tells a mount point by its parent, 0 or 1', async () => {
    const { container: c } = setup();
    expect(await c.exec(['mountpoint', '/'])).toMatchObject({ status: 0, stdout: '/ is a mountpoint\n' });
    expect(await c.exec(['mountpoint', '/tmp'])).toMatchObject({ status: 1, stdout: '/tmp is not a mountpoint\n' });
    expect(await c.exec(['mountpoint', '-q', '/'])).toMatchObject({ status: 0, stdout: '' });
    expect(await c.exec(['mountpoint', '/etc/passwd'])).toMatchObject({ status: 1, stderr: 'mountpoint: /etc/passwd: Not a directory\n' });
    expect(await c.exec(['mountpoint', '-q', '/nope'])).toMatchObject({ status: 1, stderr: '' });
    expect(await c.exec(['mountpoint', '/nope'])).toMatchObject({ status: 1, stderr: 'mountpoint: /nope: No such file or directory\n' });
    expect(await c.exec(['mountpoint', '-x', '/dev/null'])).toMatchObject({ status: 1, stderr: 'mountpoint: /dev/null: not a block device\n' });
    expect(await c.exec(['mountpoint', '-n', '/'])).toMatchObject({ status: 0, stdout: 'UNKNOWN /\n' });
    expect(await c.exec(['mountpoint'])).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: mountpoint') });
  });
});
