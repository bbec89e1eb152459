import { describe, expect, it } from 'vitest';
import { applets } from './index';
import { memoryContainer } from './test-context';

// nl and fold against busybox 1.35's output for the same input (by hand);
// split and fsync from busybox's source (Debian's build has neither).
const setup = () => {
  const { container: c, fs } = memoryContainer(applets);
  const run = (argv: string[], input: string | Uint8Array = '') => c.exec(argv, { input, cwd: '/tmp' });
  return { c, fs, run };
};

describe('nl', () => {
  it('numbers non-empty lines, across files, with its width, separator, start and step', async () => {
    const { run } = setup();
    expect(await run(['nl'], 'a\n\nb\nc')).toMatchObject({ status: 0, stdout: '     1\ta\n       \n     2\tb\n     3\tc\n' });
    expect(await run(['nl', '-ba', '-w3', '-s:', '-v5', '-i2'], 'a\n\nb\n')).toMatchObject({ stdout: '  5:a\n  7:\n  9:b\n' });
    expect(await run(['nl', '-bn'], 'a\n')).toMatchObject({ stdout: '       a\n' });
    await run(['tee', 'f'], 'x\n');
    expect(await run(['nl', 'f', 'f', 'nofile'])).toMatchObject({ status: 1, stdout: '     1\tx\n     2\tx\n', stderr: 'nl: nofile: No such file or directory\n' });
    expect(await run(['nl', '-w', 'x'])).toMatchObject({ status: 1, stderr: "nl: invalid number 'x'\n" });
  });
});

describe('fold', () => {
  it('wraps at the width in columns (tabs to 8, backspace, return), at blanks with -s', async () => {
    const { run } = setup();
    expect(await run(['fold', '-w', '12'], 'aaaaaaaaaabbbbbbbbbbcccccccccc\n')).toMatchObject({ stdout: 'aaaaaaaaaabb\nbbbbbbbbcccc\ncccccc\n' });
    expect(await run(['fold', '-s', '-w', '10'], 'hello world foo bar baz qux\n')).toMatchObject({ stdout: 'hello \nworld foo \nbar baz \nqux\n' });
    expect(await run(['fold', '-w', '10'], 'a\tb\tc\td\n')).toMatchObject({ stdout: 'a\tb\n\tc\n\td\n' });
    expect(await run(['fold', '-3'], 'abcdef')).toMatchObject({ status: 0, stdout: 'abc\ndef' });
    expect(await run(['fold', '-w', '1'], '\t\tab\n')).toMatchObject({ stdout: '\t\n\t\na\nb\n' });
    expect(await run(['fold', '-w', '0'])).toMatchObject({ status: 1, stderr: 'fold: number 0 is not in 1..10000 range\n' });
  });
});

describe('dos2unix, unix2dos', () => {
  it('drop every \\r, and add one before each \\n for DOS; a FILE is rewritten with its mode', async () => {
    const { fs, run } = setup();
    expect((await run(['dos2unix'], 'a\r\nb\r\nc\rd\n')).stdout).toBe('a\nb\ncd\n');
    expect((await run(['unix2dos'], 'a\nb\r\nc')).stdout).toBe('a\r\nb\r\nc');
    expect((await run(['dos2unix', '-d'], 'a\n')).stdout).toBe('a\r\n');
    expect((await run(['unix2dos', '-u'], 'a\r\n')).stdout).toBe('a\n');
    expect(await run(['dos2unix', '-u', '-d'])).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: dos2unix') });
    await run(['tee', 'f'], 'a\r\nb\r\n');
    fs.chmod('/tmp/f', 0o640);
    expect(await run(['dos2unix', 'f'])).toMatchObject({ status: 0 });
    expect((await run(['cat', 'f'])).stdout).toBe('a\nb\n');
    expect(fs.stat('/tmp/f').mode & 0o777).toBe(0o640);
    // Through a symlink, the file it names.
    fs.symlink('f', '/tmp/l');
    expect(await run(['unix2dos', 'l'])).toMatchObject({ status: 0 });
    expect((await run(['cat', 'f'])).stdout).toBe('a\r\nb\r\n');
    expect(fs.lstat('/tmp/l').type).toBe('symlink');
    expect(await run(['dos2unix', 'nofile'])).toMatchObject({ status: 1, stderr: "dos2unix: can't open 'nofile': No such file or directory\n" });
    expect(fs.readdir('/tmp').sort()).toEqual(['f', 'l']);
  });
});

// As busybox 1.35's, for the same input.
describe('expand, unexpand', () => {
  it('turn tabs into spaces to the next stop, and leading (or -a all) blanks back', async () => {
    const { run } = setup();
    expect((await run(['expand'], 'a\tb\tc\n12345678\ty\n')).stdout).toBe(`a${' '.repeat(7)}b${' '.repeat(7)}c\n12345678${' '.repeat(8)}y\n`);
    expect((await run(['expand', '-i'], ' \ta\tb\n')).stdout).toBe(`${' '.repeat(8)}a\tb\n`);
    expect((await run(['expand', '-t', '4'], 'a\tb')).stdout).toBe('a   b');
    expect((await run(['unexpand'], '        a       b\n    x\n')).stdout).toBe('\ta       b\n    x\n');
    expect((await run(['unexpand', '-a'], '        a       b\n')).stdout).toBe('\ta\tb\n');
    expect((await run(['unexpand', '-f', '-t', '2'], '  \t  a  b\n')).stdout).toBe('\t\t\ta  b\n');
    expect(await run(['expand', '-t', '0'])).toMatchObject({ status: 1, stderr: 'expand: number 0 is not in 1..4294967295 range\n' });
  });
});

describe('split', () => {
  it('cuts by lines or bytes into PREFIXaa, PREFIXab…, Fills kept, and dies of what it cannot do', async () => {
    const { fs, run } = setup();
    const lines = Array.from({ length: 2500 }, (_, i) => `${i + 1}\n`).join('');
    await run(['tee', 's'], lines);
    expect(await run(['split', 's'])).toMatchObject({ status: 0 });
    expect(fs.readdir('/tmp').filter((n) => n.startsWith('x')).sort()).toEqual(['xaa', 'xab', 'xac']);
    expect((await run(['wc', '-l', 'xaa', 'xac'])).stdout).toBe('     1000 xaa\n      500 xac\n     1500 total\n');
    expect(await run(['split', '-l', '1000', '-a', '3', '-', 'p'], lines)).toMatchObject({ status: 0 });
    expect(fs.readdir('/tmp').filter((n) => n.startsWith('p')).sort()).toEqual(['paaa', 'paab', 'paac']);
    expect(await run(['split', '-b', '1k', 's', 'b'])).toMatchObject({ status: 0 });
    const pieces = fs.readdir('/tmp').filter((n) => n.startsWith('b')).sort();
    expect(pieces.length).toBe(12);
    expect((await run(['cat', ...pieces])).stdout).toBe(lines);
    await run(['dd', 'if=/dev/zero', 'of=z', 'bs=1M', 'count=10']);
    expect(await run(['split', '-b', '4m', 'z', 'z.'])).toMatchObject({ status: 0 });
    expect([fs.stat('/tmp/z.aa').size, fs.stat('/tmp/z.ab').size, fs.stat('/tmp/z.ac').size]).toEqual([4194304, 4194304, 2097152]);
    expect(await run(['split', '-a', '1', '-l', '1', '-', 'q'], 'x\n'.repeat(27))).toMatchObject({ status: 1, stderr: 'split: suffixes exhausted\n' });
    expect(fs.stat('/tmp/qz').size).toBe(2);
    expect(await run(['split', 'a', 'b', 'c'])).toMatchObject({ status: 1 });
    expect(await run(['split', 'nofile'])).toMatchObject({ status: 1, stderr: "split: can't open 'nofile': No such file or directory\n" });
    expect(await run(['split', '-b', '1q', 's'])).toMatchObject({ status: 1, stderr: "split: invalid number '1q'\n" });
  });
});

describe('fsync', () => {
  it('syncs each FILE, says one it cannot open, and wants one', async () => {
    const { run } = setup();
    await run(['tee', 'f'], 'x\n');
    expect(await run(['fsync', 'f'])).toMatchObject({ status: 0, stderr: '' });
    expect(await run(['fsync', 'f', 'nofile'])).toMatchObject({ status: 1, stderr: "fsync: can't open 'nofile': No such file or directory\n" });
    expect(await run(['fsync'])).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: fsync [-d] FILE...') });
  });
});
