import { describe, expect, it } from 'vitest';
import { until } from '../../test/wait';
import { FsError } from '../rootfs/types';
import { sleepMs } from './basic';
import { applets } from './index';
import { memoryContainer } from './test-context';

const setup = () => memoryContainer(applets);

describe('echo', () => {
  it('joins its arguments; -n drops the newline; -e reads escapes; bad options are words', async () => {
    const { container: c } = setup();
    expect((await c.exec(['echo', 'a', 'b'])).stdout).toBe('a b\n');
    expect((await c.exec(['echo', '-n', 'x'])).stdout).toBe('x');
    expect((await c.exec(['echo', '-e', 'a\\tb\\x41\\0101\\c', 'gone'])).stdout).toBe('a\tbAA');
    expect((await c.exec(['echo', '-x', 'y'])).stdout).toBe('-x y\n');
    expect((await c.exec(['echo', 'a\\nb'])).stdout).toBe('a\\nb\n');
    expect((await c.exec(['echo'])).stdout).toBe('\n');
  });
});

describe('printf', () => {
  it('formats numbers, strings and escapes, reusing the format', async () => {
    const { container: c } = setup();
    const r = await c.exec(['printf', '%5d|%-4s|%05.1f|%x|%o|%c|%%\\n', '42', 'ab', '3.14159', '255', '8', 'zed']);
    expect(r.stdout).toBe('   42|ab  |003.1|ff|10|z|%\n');
    expect((await c.exec(['printf', '%s-%s\\n', 'a', 'b', 'c'])).stdout).toBe('a-b\nc-\n');
    expect((await c.exec(['printf', '%b|%s\\n', 'x\\ty', 'x\\ty'])).stdout).toBe('x\ty|x\\ty\n');
    expect((await c.exec(['printf', '%x\\n', '-1'])).stdout).toBe('ffffffffffffffff\n');
    expect((await c.exec(['printf', '%d %d\\n', "'A", '0x10'])).stdout).toBe('65 16\n');
    expect((await c.exec(['printf', '%e %g %g %G\\n', '12345.678', '0.0001', '1e20', '1e-5'])).stdout).toBe('1.234568e+04 0.0001 1e+20 1E-05\n');
    expect((await c.exec(['printf', '%*d|%.*s\\n', '4', '7', '2', 'abc'])).stdout).toBe('   7|ab\n');
    // Exact ties round to even, as C's printf does (Debian's busybox gave these).
    const ties = ['2.5', '3.5', '0.25', '0.125', '12345', '0.00012345', '25', '0.5', '0.5', '1.25', '1.125', '8.5'];
    expect((await c.exec(['printf', '%.0f %.0f %.1f %.2f %.3e %g %.0e %.0f %.0e %.1f %.2e %.1g\\n', ...ties])).stdout).toBe(
      '2 4 0.2 0.12 1.234e+04 0.00012345 2e+01 0 5e-01 1.2 1.12e+00 8\n',
    );
  });

  it('reports a bad number, uses 0 and ends with 1; a bad directive stops', async () => {
    const { container: c } = setup();
    const r = await c.exec(['printf', '%d\\n', 'abc']);
    expect(r).toMatchObject({ status: 1, stdout: '0\n', stderr: "printf: invalid number 'abc'\n" });
    const bad = await c.exec(['printf', 'a%yb']);
    // The rest of the format is named, size letters cut out (busybox 1.35).
    expect(bad).toMatchObject({ status: 1, stdout: 'a', stderr: 'printf: %yb: invalid format\n' });
    expect(await c.exec(['printf', '%5.2lhzq\\n'])).toMatchObject({ status: 1, stderr: 'printf: %5.2q\\n: invalid format\n' });
    expect((await c.exec(['printf'])).status).toBe(1);
  });
});

describe('test and [', () => {
  const t = async (...args: string[]) => (await setup().container.exec(['test', ...args])).status;
  it('compares strings and integers', async () => {
    expect(await t('a', '=', 'a')).toBe(0);
    expect(await t('a', '!=', 'a')).toBe(1);
    expect(await t('3', '-lt', '10')).toBe(0);
    expect(await t('-5', '-ge', '2')).toBe(1);
    expect(await t('-n', '')).toBe(1);
    expect(await t('-z', '')).toBe(0);
    expect(await t('')).toBe(1);
    expect(await t('x')).toBe(0);
    expect(await t()).toBe(1);
    expect(await t('!', 'x')).toBe(1);
    expect(await t('(', '=', '(')).toBe(0);
  });

  it('combines with -a, -o, ! and parentheses', async () => {
    expect(await t('a', '-a', '')).toBe(1);
    expect(await t('a', '-o', '')).toBe(0);
    expect(await t('!', 'a', '=', 'b', '-a', '1', '-eq', '1')).toBe(0);
    expect(await t('(', 'a', '-o', '', ')', '-a', 'x')).toBe(0);
    expect(await t('1', '-eq', '2', '-o', '!', '1', '-eq', '2')).toBe(0);
  });

  it('tests files', async () => {
    const { container: c } = setup();
    const st = async (...a: string[]) => (await c.exec(['test', ...a])).status;
    expect(await st('-d', '/tmp')).toBe(0);
    expect(await st('-f', '/tmp')).toBe(1);
    expect(await st('-f', '/etc/passwd')).toBe(0);
    expect(await st('-s', '/etc/passwd')).toBe(0);
    expect(await st('-e', '/nope')).toBe(1);
    expect(await st('-L', '/bin/cat')).toBe(0);
    expect(await st('-h', '/etc/passwd')).toBe(1);
    expect(await st('-c', '/dev/null')).toBe(0);
    expect(await st('-x', '/bin/busybox')).toBe(0);
    expect(await st('-w', '/etc/passwd')).toBe(0);
    expect(await st('/bin/cat', '-ef', '/bin/busybox')).toBe(0);
  });

  it('says what is wrong with status 2', async () => {
    const { container: c } = setup();
    expect(await c.exec(['test', 'a', '-eq', '1'])).toMatchObject({ status: 2, stderr: 'test: a: bad number\n' });
    expect(await c.exec(['[', '1', '=', '1'])).toMatchObject({ status: 2, stderr: '[: missing ]\n' });
    expect(await c.exec(['[', '1', '=', '1', ']'])).toMatchObject({ status: 0 });
    expect(await c.exec(['test', '1', '2', '3', '4'])).toMatchObject({ status: 2, stderr: 'test: 2: unknown operand\n' });
    expect(await c.exec(['test', '(', 'a'])).toMatchObject({ status: 2, stderr: 'test: closing paren expected\n' });
    expect(await c.exec(['test', '-f'])).toMatchObject({ status: 0 });
    expect(await c.exec(['test', 'a', '-a'])).toMatchObject({ status: 2, stderr: 'test: argument expected\n' });
  });
});

describe('seq, yes, basename, dirname, true, false', () => {
  it('counts as seq does', async () => {
    const { container: c } = setup();
    expect((await c.exec(['seq', '3'])).stdout).toBe('1\n2\n3\n');
    expect((await c.exec(['seq', '-s', ',', '2', '2', '7'])).stdout).toBe('2,4,6\n');
    expect((await c.exec(['seq', '-w', '8', '10'])).stdout).toBe('08\n09\n10\n');
    expect((await c.exec(['seq', '1', '0.5', '2'])).stdout).toBe('1.0\n1.5\n2.0\n');
    expect((await c.exec(['seq', '-2', '0'])).stdout).toBe('-2\n-1\n0\n');
    expect((await c.exec(['seq', '5', '1'])).stdout).toBe('');
    expect((await c.exec(['seq', 'x'])).status).toBe(1);
  });

  it('yes stops when its reader goes (SIGPIPE)', async () => {
    const { container: c } = setup();
    let n = 0;
    const status = await c.start(['yes', 'ok'], {
      stdout: {
        write: async (d) => {
          n += typeof d === 'string' ? d.length : 'length' in d ? d.length : 0;
          if (n > 100000) throw new FsError('EPIPE');
        },
      },
    });
    expect(status).toBe(141);
  });

  it('basename and dirname strip as busybox does', async () => {
    const { container: c } = setup();
    expect((await c.exec(['basename', '/a/b.txt', '.txt'])).stdout).toBe('b\n');
    expect((await c.exec(['basename', '/a/b/'])).stdout).toBe('b\n');
    expect((await c.exec(['basename', '-a', '/x/y', 'z/w'])).stdout).toBe('y\nw\n');
    expect((await c.exec(['basename', '/'])).stdout).toBe('/\n');
    expect((await c.exec(['dirname', '/a/b/'])).stdout).toBe('/a\n');
    expect((await c.exec(['dirname', 'file'])).stdout).toBe('.\n');
    expect((await c.exec(['dirname', '/file'])).stdout).toBe('/\n');
    // glibc's dirname, as Debian's busybox 1.35 prints it.
    const cases = { '/': '/', '//': '//', '///': '/', '//a': '//', '///a': '/', 'a//b': 'a', 'a/': '.', '//a/': '//', 'a/b//': 'a', '..': '.', '../x': '..', 'a///': '.' };
    for (const [path, dir] of Object.entries(cases)) expect({ path, out: (await c.exec(['dirname', path])).stdout }).toEqual({ path, out: `${dir}\n` });
    expect((await c.exec(['true'])).status).toBe(0);
    expect((await c.exec(['false'])).status).toBe(1);
  });
});

describe('sleep', () => {
  it('adds fractions and suffixes, and a kill ends it', async () => {
    const { container: c } = setup();
    const t0 = Date.now();
    expect((await c.exec(['sleep', '0.05', '0.0001m'])).status).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(50);
    expect(await c.exec(['sleep', 'x'])).toMatchObject({ status: 1, stderr: "sleep: invalid number 'x'\n" });
    let pid = 0;
    const done = c.start(['sleep', 'infinity'], { onSpawn: (p) => (pid = p.pid) });
    await new Promise((r) => setTimeout(r, 20));
    expect(c.procs.kill(pid, 'TERM', { uid: 0, gid: 0, groups: [] })).toBe('ok');
    expect(await done).toBe(143);
  });

  it('sleepMs reads the plain durations a resting program sleeps, and leaves the rest to the applet', () => {
    expect(sleepMs(['infinity'])).toBe(Infinity);
    expect(sleepMs(['inf'])).toBe(Infinity);
    expect(sleepMs(['--', '3'])).toBe(3000);
    expect(sleepMs(['1.5', '1m', '.5h', '1d', '2.'])).toBe(1500 + 60_000 + 1_800_000 + 86_400_000 + 2000);
    // Ten digits and more: the applet checks the range itself.
    for (const bad of [[], ['x'], ['1x'], ['-1'], ['1', 'y'], ['.'], ['0x10'], ['99999999999999999999']]) expect(sleepMs(bad), bad.join(' ')).toBeUndefined();
  });
});

describe('cat, head, tail, tac, wc, tee', () => {
  const text = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

  it('cat copies files and stdin; says when it cannot open one', async () => {
    const { container: c } = setup();
    expect((await c.exec(['cat', '-', '/etc/group'], { input: 'in\n' })).stdout).toBe('in\nroot:x:0:\nnobody:x:65534:\n');
    expect(await c.exec(['cat', '/nope'])).toMatchObject({ status: 1, stderr: "cat: can't open '/nope': No such file or directory\n" });
    expect(await c.exec(['cat', '/tmp'])).toMatchObject({ status: 1, stderr: 'cat: read error: Is a directory\n' });
    // print_numbered_lines puts each line: the last gets its newline.
    expect((await c.exec(['cat', '-n'], { input: 'a\n\nb' })).stdout).toBe('     1\ta\n     2\t\n     3\tb\n');
    expect((await c.exec(['cat', '-b'], { input: 'a\n\nb' })).stdout).toBe('     1\ta\n\n     2\tb\n');
    expect((await c.exec(['cat', '-b'], { input: 'a\n\nb\n' })).stdout).toBe('     1\ta\n\n     2\tb\n');
    expect((await c.exec(['cat', '-A'], { input: 'a\tb\x01\n' })).stdout).toBe('a^Ib^A$\n');
  });

  it('head and tail take lines and bytes from either end', async () => {
    const { container: c } = setup();
    expect((await c.exec(['head', '-n', '2'], { input: text })).stdout).toBe('line 1\nline 2\n');
    expect((await c.exec(['head', '-3'], { input: text })).stdout).toBe('line 1\nline 2\nline 3\n');
    expect((await c.exec(['head', '-c', '6'], { input: text })).stdout).toBe('line 1');
    expect((await c.exec(['head', '-n', '-18'], { input: text })).stdout).toBe('line 1\nline 2\n');
    expect((await c.exec(['tail', '-n', '2'], { input: text })).stdout).toBe('line 19\nline 20\n');
    expect((await c.exec(['tail', '-2'], { input: 'a\nb\nc' })).stdout).toBe('b\nc');
    expect((await c.exec(['tail', '-n', '+19'], { input: text })).stdout).toBe('line 19\nline 20\n');
    expect((await c.exec(['tail', '-c', '3'], { input: text })).stdout).toBe('20\n');
    expect((await c.exec(['tail', '-c', '+3'], { input: 'abcdef' })).stdout).toBe('cdef');
    expect(await c.exec(['head', '/nope'])).toMatchObject({ status: 1, stderr: 'head: /nope: No such file or directory\n' });
  });

  it('head and tail label several files; tail seeks in a regular file', async () => {
    const { container: c } = setup();
    await c.exec(['tee', '/tmp/a'], { input: text });
    expect((await c.exec(['tail', '-n', '1', '/tmp/a', '/etc/group'])).stdout).toBe('==> /tmp/a <==\nline 20\n\n==> /etc/group <==\nnobody:x:65534:\n');
    expect((await c.exec(['tail', '-n', '3', '/tmp/a'])).stdout).toBe('line 18\nline 19\nline 20\n');
    expect((await c.exec(['tail', '-n', '+20', '/tmp/a'])).stdout).toBe('line 20\n');
    expect((await c.exec(['head', '-n', '1', '/tmp/a', '/etc/group'])).stdout).toBe('==> /tmp/a <==\nline 1\n\n==> /etc/group <==\nroot:x:0:\n');
  });

  it('tail -f follows what is appended', async () => {
    const { container: c, fs } = setup();
    await c.exec(['tee', '/tmp/log'], { input: 'one\n' });
    let got = '';
    let pid = 0;
    const done = c.start(['tail', '-f', '-s', '0.02', '/tmp/log'], {
      onSpawn: (p) => (pid = p.pid),
      stdout: { write: async (d) => void (got += typeof d === 'string' ? d : Buffer.from(d as Uint8Array).toString()) },
    });
    await until('first line', async () => got === 'one\n');
    const h = fs.open('/tmp/log', { write: true, append: true });
    h.write(Buffer.from('two\n'));
    h.close();
    await until('appended line', async () => got === 'one\ntwo\n');
    c.procs.kill(pid, 'INT', { uid: 0, gid: 0, groups: [] });
    expect(await done).toBe(130);
  });

  it('tac and wc', async () => {
    const { container: c } = setup();
    expect((await c.exec(['tac'], { input: 'a\nb\nc\n' })).stdout).toBe('c\nb\na\n');
    expect((await c.exec(['wc'], { input: 'hello world\nbye\n' })).stdout).toBe('        2         3        16\n');
    expect((await c.exec(['wc', '-l'], { input: 'a\nb\n' })).stdout).toBe('2\n');
    expect((await c.exec(['wc', '-c', '/etc/group'])).stdout).toBe('26 /etc/group\n');
    expect((await c.exec(['wc', '-l', '/etc/group', '/etc/passwd'])).stdout).toBe('        2 /etc/group\n        2 /etc/passwd\n        4 total\n');
    expect((await c.exec(['wc', '-L'], { input: 'ab\nabcd\n' })).stdout).toBe('4\n');
  });

  it('tee copies stdin to files and stdout, -a appends', async () => {
    const { container: c } = setup();
    expect((await c.exec(['tee', '/tmp/x', '/tmp/y'], { input: 'data\n' })).stdout).toBe('data\n');
    await c.exec(['tee', '-a', '/tmp/x'], { input: 'more\n' });
    expect((await c.exec(['cat', '/tmp/x', '/tmp/y'])).stdout).toBe('data\nmore\ndata\n');
    expect(await c.exec(['tee', '/nope/x'], { input: 'z' })).toMatchObject({ status: 1, stdout: 'z', stderr: 'tee: /nope/x: No such file or directory\n' });
  });
});
