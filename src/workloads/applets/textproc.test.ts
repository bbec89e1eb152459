import { describe, expect, it } from 'vitest';
import { regexSource } from './common/regex';
import { applets } from './index';
import { memoryContainer } from './test-context';

const setup = () => memoryContainer(applets);
const run = async (argv: string[], input?: string) => setup().container.exec(argv, { input });

describe('POSIX regex translation', () => {
  const bre = (re: string) => new RegExp(regexSource(re, false));
  const ere = (re: string) => new RegExp(regexSource(re, true));
  it('reads BRE as BRE', () => {
    expect(bre('a\\(b\\)*c').test('abbc')).toBe(true);
    expect(bre('a+b').test('a+b')).toBe(true);
    expect(bre('a+b').test('aab')).toBe(false);
    expect(bre('a\\+b').test('aab')).toBe(true);
    expect(bre('x\\{2,3\\}').test('xx')).toBe(true);
    expect(bre('x\\{2,3\\}').test('x')).toBe(false);
    expect(bre('*a').test('*a')).toBe(true);
    expect(bre('a|b').test('a|b')).toBe(true);
    expect(bre('a\\|b').test('b')).toBe(true);
    expect(bre('^a$').test('a')).toBe(true);
    expect(bre('a^b$c').test('a^b$c')).toBe(true);
    expect(bre('\\(a\\)\\1').test('aa')).toBe(true);
  });
  it('reads ERE and bracket expressions', () => {
    expect(ere('(ab)+$').test('xabab')).toBe(true);
    expect(ere('a{2}').test('aa')).toBe(true);
    expect(ere('[[:digit:]]+').test('x42')).toBe(true);
    expect(ere('[]a]').test(']')).toBe(true);
    expect(ere('[^]a]').test(']')).toBe(false);
    expect(ere('[a\\]').test('\\')).toBe(true);
    expect(ere('[[:space:][:upper:]]').test('Q')).toBe(true);
    expect(ere('a.c').test('a\nc')).toBe(true);
    expect(ere('\\<is\\>').test('this is')).toBe(true);
  });
});

describe('grep', () => {
  const text = 'alpha\nbeta\ngamma\ndelta\nepsilon\n';
  it('selects, inverts, counts and numbers lines', async () => {
    expect((await run(['grep', 'a$'], text)).stdout).toBe('alpha\nbeta\ngamma\ndelta\n');
    expect((await run(['grep', '-v', 'a'], text)).stdout).toBe('epsilon\n');
    expect((await run(['grep', '-c', 'ta'], text)).stdout).toBe('2\n');
    expect((await run(['grep', '-n', 'mm'], text)).stdout).toBe('3:gamma\n');
    expect((await run(['grep', '-i', 'BETA'], text)).stdout).toBe('beta\n');
    expect((await run(['grep', '-E', 'al|ep'], text)).stdout).toBe('alpha\nepsilon\n');
    expect((await run(['grep', '-F', 'a.'], 'a.b\naxb\n')).stdout).toBe('a.b\n');
    expect((await run(['grep', '-w', 'is'], 'this\nis it\n')).stdout).toBe('is it\n');
    expect((await run(['grep', '-x', 'beta'], text)).stdout).toBe('beta\n');
    expect((await run(['grep', '-o', '[0-9]\\+'], 'a1b22\nc\n')).stdout).toBe('1\n22\n');
    expect((await run(['grep', '-e', 'alpha', '-e', 'delta'], text)).stdout).toBe('alpha\ndelta\n');
    expect((await run(['grep', '-m', '1', 'a'], text)).stdout).toBe('alpha\n');
  });

  it('exits 0 on a match, 1 on none, 2 on an error; -q and -s', async () => {
    expect((await run(['grep', 'zzz'], text)).status).toBe(1);
    expect(await run(['grep', '-q', 'beta'], text)).toMatchObject({ status: 0, stdout: '' });
    expect(await run(['grep', 'x', '/nope'])).toMatchObject({ status: 2, stderr: 'grep: /nope: No such file or directory\n' });
    expect(await run(['grep', '-s', 'x', '/nope'])).toMatchObject({ status: 2, stderr: '' });
    expect((await run(['grep'])).status).toBe(2);
    expect((await run(['grep', '-Z', 'x'])).status).toBe(2);
  });

  it('prints context with separators', async () => {
    const r = await run(['grep', '-C', '1', '-e', 'beta', '-e', 'epsilon'], 'a\nbeta\nc\nd\ne\nepsilon\n');
    expect(r.stdout).toBe('a\nbeta\nc\n--\ne\nepsilon\n');
    expect((await run(['grep', '-A', '1', '-n', 'beta'], 'beta\nx\ny\n')).stdout).toBe('1:beta\n2-x\n');
  });

  it('names files: several, -l, -L, -h, -H, -r', async () => {
    const { container: c } = setup();
    await c.exec(['mkdir', '-p', '/tmp/d/e']);
    await c.exec(['tee', '/tmp/d/a'], { input: 'one\ntwo\n' });
    await c.exec(['tee', '/tmp/d/e/b'], { input: 'two\nthree\n' });
    expect((await c.exec(['grep', 'two', '/tmp/d/a', '/tmp/d/e/b'])).stdout).toBe('/tmp/d/a:two\n/tmp/d/e/b:two\n');
    expect((await c.exec(['grep', '-l', 'one', '/tmp/d/a', '/tmp/d/e/b'])).stdout).toBe('/tmp/d/a\n');
    expect((await c.exec(['grep', '-L', 'one', '/tmp/d/a', '/tmp/d/e/b'])).stdout).toBe('/tmp/d/e/b\n');
    expect((await c.exec(['grep', '-h', 'two', '/tmp/d/a', '/tmp/d/e/b'])).stdout).toBe('two\ntwo\n');
    expect((await c.exec(['grep', '-H', 'one', '/tmp/d/a'])).stdout).toBe('/tmp/d/a:one\n');
    expect((await c.exec(['grep', '-r', 'three', '/tmp/d'])).stdout).toBe('/tmp/d/e/b:three\n');
    // concat_path_file: the operand as given, then a slash unless it has one.
    expect((await c.exec(['grep', '-r', 'three', '.'], { cwd: '/tmp/d' })).stdout).toBe('./e/b:three\n');
    expect((await c.exec(['grep', '-rl', 'three', 'e//'], { cwd: '/tmp/d' })).stdout).toBe('e//b\n');
    expect((await c.exec(['grep', '-c', 'two', '-'], { input: 'two\n' })).stdout).toBe('1\n');
  });
});

describe('sed', () => {
  it('substitutes with flags, backreferences and &', async () => {
    expect((await run(['sed', 's/a/X/'], 'banana\n')).stdout).toBe('bXnana\n');
    expect((await run(['sed', 's/a/X/g'], 'banana\n')).stdout).toBe('bXnXnX\n');
    expect((await run(['sed', 's/a/X/2'], 'banana\n')).stdout).toBe('banXna\n');
    expect((await run(['sed', 's/\\(b\\)\\(a\\)/\\2\\1/'], 'banana\n')).stdout).toBe('abnana\n');
    expect((await run(['sed', '-E', 's/(an)+/<&>/'], 'banana\n')).stdout).toBe('b<anan>a\n');
    expect((await run(['sed', 's|/|:|g'], '/a/b\n')).stdout).toBe(':a:b\n');
    expect((await run(['sed', 's/x*/-/g'], 'abc\n')).stdout).toBe('-a-b-c-\n');
    expect((await run(['sed', 's/c*/R/g'], 'cccd\n')).stdout).toBe('RdR\n');
    expect((await run(['sed', 's/A/b/I'], 'aA\n')).stdout).toBe('bA\n');
    expect((await run(['sed', '-n', 's/a/X/p'], 'a\nb\n')).stdout).toBe('X\n');
    expect((await run(['sed', 's/a/\\n/'], 'xay\n')).stdout).toBe('x\ny\n');
  });

  it('takes addresses, ranges and negation', async () => {
    const five = '1\n2\n3\n4\n5\n';
    expect((await run(['sed', '-n', '2p'], five)).stdout).toBe('2\n');
    expect((await run(['sed', '-n', '$p'], five)).stdout).toBe('5\n');
    expect((await run(['sed', '2,4d'], five)).stdout).toBe('1\n5\n');
    expect((await run(['sed', '/2/,/4/d'], five)).stdout).toBe('1\n5\n');
    expect((await run(['sed', '2!d'], five)).stdout).toBe('2\n');
    expect((await run(['sed', '-n', '2,+1p'], five)).stdout).toBe('2\n3\n');
    // GNU's first~step and 0,/re/ are not busybox's: ~ is no command, and
    // line 0 is no address (every line alone, none as a range's start).
    expect(await run(['sed', '-n', '1~2p'], five)).toMatchObject({ status: 1, stdout: '', stderr: 'sed: unsupported command ~\n' });
    expect((await run(['sed', '0,/[0-9]/d'], five)).stdout).toBe(five);
    expect((await run(['sed', '-n', '0p'], five)).stdout).toBe(five);
    expect(await run(['sed', '2Q'], five)).toMatchObject({ status: 1, stderr: 'sed: unsupported command Q\n' });
    expect((await run(['sed', '3q'], five)).stdout).toBe('1\n2\n3\n');
    expect((await run(['sed', '-n', '/3/{p;p}'], five)).stdout).toBe('3\n3\n');
    expect((await run(['sed', '4,2d'], five)).stdout).toBe('1\n2\n3\n5\n');
  });

  it('runs a i c y = n N D P h G x and branches', async () => {
    expect((await run(['sed', '1a\\\nadded'], 'x\ny\n')).stdout).toBe('x\nadded\ny\n');
    expect((await run(['sed', '1a added'], 'x\n')).stdout).toBe('x\nadded\n');
    expect((await run(['sed', '2i before'], 'x\ny\n')).stdout).toBe('x\nbefore\ny\n');
    expect((await run(['sed', '2c\\\nchanged'], 'x\ny\nz\n')).stdout).toBe('x\nchanged\nz\n');
    expect((await run(['sed', 'y/abc/xyz/'], 'aabbcc\n')).stdout).toBe('xxyyzz\n');
    expect((await run(['sed', '-n', '$='], 'a\nb\nc\n')).stdout).toBe('3\n');
    expect((await run(['sed', 'n;d'], '1\n2\n3\n4\n')).stdout).toBe('1\n3\n');
    expect((await run(['sed', 'N;s/\\n/,/'], '1\n2\n3\n')).stdout).toBe('1,2\n3\n');
    expect((await run(['sed', '$!N;P;D'], '1\n2\n3\n')).stdout).toBe('1\n2\n3\n');
    expect((await run(['sed', '-n', '1!G;h;$p'], 'a\nb\nc\n')).stdout).toBe('c\nb\na\n');
    expect((await run(['sed', ':a;s/^.\\{1,4\\}$/ &/;ta'], 'ab\n')).stdout).toBe('   ab\n');
    expect((await run(['sed', '-e', 's/a/b/', '-e', 's/b/c/'], 'a\n')).stdout).toBe('c\n');
    expect((await run(['sed', 's/a/b/;s/b/c/'], 'a\n')).stdout).toBe('c\n');
    expect((await run(['sed', 'l'], 'a\tb\n')).stdout).toBe('a\\tb$\na\tb\n');
  });

  it('keeps a missing last newline missing; edits in place with -i', async () => {
    expect((await run(['sed', 's/a/b/'], 'x\na')).stdout).toBe('x\nb');
    expect((await run(['sed', 'p'], 'a')).stdout).toBe('a\na');
    const { container: c } = setup();
    await c.exec(['tee', '/tmp/f'], { input: 'hello\nworld\n' });
    expect((await c.exec(['sed', '-i', 's/o/0/g', '/tmp/f'])).stdout).toBe('');
    expect((await c.exec(['cat', '/tmp/f'])).stdout).toBe('hell0\nw0rld\n');
    await c.exec(['sed', '-i.bak', '1d', '/tmp/f']);
    expect((await c.exec(['cat', '/tmp/f', '/tmp/f.bak'])).stdout).toBe('w0rld\nhell0\nw0rld\n');
    await c.exec(['tee', '/tmp/g'], { input: 'a\nb\n' });
    await c.exec(['sed', '-i', '1d', '/tmp/f.bak', '/tmp/g']);
    expect((await c.exec(['cat', '/tmp/f.bak', '/tmp/g'])).stdout).toBe('w0rld\nb\n');
  });

  it('says what is wrong', async () => {
    expect(await run(['sed', 's/a/b'], '')).toMatchObject({ status: 1, stderr: "sed: unmatched '/'\n" });
    expect(await run(['sed', 'k'], '')).toMatchObject({ status: 1, stderr: 'sed: unsupported command k\n' });
    expect(await run(['sed', 'b nowhere'], '')).toMatchObject({ status: 1, stderr: "sed: can't find label for jump to 'nowhere'\n" });
    // A file that will not open is EXIT_FAILURE (sed.c), a directory no input at all.
    expect(await run(['sed', 'p', '/nope'])).toMatchObject({ status: 1, stderr: 'sed: /nope: No such file or directory\n' });
    expect(await run(['sed', 'p', '/tmp'])).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });
});

describe('cut, tr, sort, uniq', () => {
  it('cut takes bytes and fields', async () => {
    expect((await run(['cut', '-c', '2-3'], 'abcdef\nxy\n')).stdout).toBe('bc\ny\n');
    expect((await run(['cut', '-b', '1,3-'], 'abcdef\n')).stdout).toBe('acdef\n');
    expect((await run(['cut', '-d', ':', '-f', '1,3'], 'a:b:c:d\nnone\n')).stdout).toBe('a:c\nnone\n');
    expect((await run(['cut', '-d', ':', '-s', '-f', '2-'], 'a:b:c\nnone\n')).stdout).toBe('b:c\n');
    expect((await run(['cut', '-f', '2'], 'a\tb\tc\n')).stdout).toBe('b\n');
    expect(await run(['cut', 'x'])).toMatchObject({ status: 1, stderr: 'cut: expected a list of bytes, characters, or fields\n' });
  });

  it('tr maps, deletes and squeezes', async () => {
    expect((await run(['tr', 'a-z', 'A-Z'], 'hello\n')).stdout).toBe('HELLO\n');
    expect((await run(['tr', '-d', '[:digit:]'], 'a1b2c3\n')).stdout).toBe('abc\n');
    expect((await run(['tr', '-s', ' '], 'a   b  c\n')).stdout).toBe('a b c\n');
    expect((await run(['tr', '-cd', 'a-c\\n'], 'abcdefabc\n')).stdout).toBe('abcabc\n');
    expect((await run(['tr', 'abc', 'x'], 'aabbcc\n')).stdout).toBe('xxxxxx\n');
    expect((await run(['tr', '\\n', ' '], 'a\nb\n')).stdout).toBe('a b ');
  });

  it('sort orders lines by keys', async () => {
    expect((await run(['sort'], 'b\na\nc\n')).stdout).toBe('a\nb\nc\n');
    expect((await run(['sort', '-r'], 'b\na\nc\n')).stdout).toBe('c\nb\na\n');
    expect((await run(['sort', '-n'], '10\n9\n-1\n')).stdout).toBe('-1\n9\n10\n');
    expect((await run(['sort', '-u'], 'b\na\nb\n')).stdout).toBe('a\nb\n');
    expect((await run(['sort', '-t', ':', '-k', '2n'], 'x:3\ny:1\nz:2\n')).stdout).toBe('y:1\nz:2\nx:3\n');
    expect((await run(['sort', '-k', '2,2', '-k', '1r'], 'b 1\na 1\nc 0\n')).stdout).toBe('c 0\nb 1\na 1\n');
    expect((await run(['sort', '-h'], '1G\n2K\n3M\n')).stdout).toBe('2K\n3M\n1G\n');
    expect(await run(['sort', '-c'], 'b\na\n')).toMatchObject({ status: 1, stderr: 'Check line 1\n' });
    expect(await run(['sort', '-cu'], 'a\nb\nb\n')).toMatchObject({ status: 1, stderr: 'Check line 2\n' });
    const { container: c } = setup();
    await c.exec(['sort', '-o', '/tmp/o'], { input: 'z\ny\n' });
    expect((await c.exec(['cat', '/tmp/o'])).stdout).toBe('y\nz\n');
  });

  it('uniq drops repeats, counts, -d and -u', async () => {
    const text = 'a\na\nb\nc\nc\nc\n';
    expect((await run(['uniq'], text)).stdout).toBe('a\nb\nc\n');
    expect((await run(['uniq', '-c'], text)).stdout).toBe('      2 a\n      1 b\n      3 c\n');
    expect((await run(['uniq', '-d'], text)).stdout).toBe('a\nc\n');
    expect((await run(['uniq', '-u'], text)).stdout).toBe('b\n');
    expect((await run(['uniq', '-i'], 'A\na\n')).stdout).toBe('A\n');
    expect((await run(['uniq', '-f', '1'], 'x a\ny a\n')).stdout).toBe('x a\n');
  });

  // libbb's xmalloc_fgetline ends a line at a NUL too (/proc/1/environ).
  it('ends lines at a NUL as libbb reads them', async () => {
    const env = 'B=1\0A=2\0A=2\0C=3';
    expect((await run(['cut', '-d=', '-f1'], env)).stdout).toBe('B\nA\nA\nC\n');
    expect((await run(['sort'], env)).stdout).toBe('A=2\nA=2\nB=1\nC=3\n');
    expect((await run(['uniq'], env)).stdout).toBe('B=1\nA=2\nC=3\n');
    expect((await run(['paste', '-', '-'], env)).stdout).toBe('B=1\tA=2\nA=2\tC=3\n');
    expect((await run(['cat', '-n'], env)).stdout).toBe('     1\tB=1\n     2\tA=2\n     3\tA=2\n     4\tC=3\n');
    expect((await run(['nl'], env)).stdout).toBe('     1\tB=1\n     2\tA=2\n     3\tA=2\n     4\tC=3\n');
    // expand prints each line as read and its newline only where it had one.
    expect((await run(['expand'], env)).stdout).toBe('B=1A=2A=2C=3');
  });

  // From busybox's comm_main (Debian's busybox has no comm).
  it('comm puts lines of one, of the other and of both in three columns', async () => {
    const { container: c } = setup();
    await c.exec(['tee', '/tmp/a'], { input: 'a\nb\nd\ne\n' });
    await c.exec(['tee', '/tmp/b'], { input: 'b\nc\ne\nf\ng\n' });
    expect(await c.exec(['comm', '/tmp/a', '/tmp/b'])).toMatchObject({ status: 0, stdout: 'a\n\t\tb\n\tc\nd\n\t\te\n\tf\n\tg\n' });
    expect((await c.exec(['comm', '-12', '/tmp/a', '/tmp/b'])).stdout).toBe('b\ne\n');
    expect((await c.exec(['comm', '-3', '/tmp/a', '/tmp/b'])).stdout).toBe('a\n\tc\nd\n\tf\n\tg\n');
    // stdin as FILE1; what is left of it after FILE2 ends is its own column.
    expect((await c.exec(['comm', '-1', '-', '/tmp/a'], { input: 'b\nz\n' })).stdout).toBe('a\n\tb\nd\ne\n');
    expect((await c.exec(['comm', '-', '/tmp/a'], { input: 'b\nz\n' })).stdout).toBe('\ta\n\t\tb\n\td\n\te\nz\n');
    expect(await c.exec(['comm', '/tmp/nope', '/tmp/a'])).toMatchObject({ status: 1, stderr: "comm: /tmp/nope: No such file or directory\n" });
    expect(await c.exec(['comm', '/tmp/a'])).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: comm') });
  });

  // As busybox 1.35's shuf (Debian's busybox-static): the same lines in
  // some order. Only a range busybox cannot allocate differs: it is kept
  // sparse here.
  it('shuf permutes lines, -e words, -i numbers; -n takes some, -o may be the input', async () => {
    const { container: c } = setup();
    const sorted = (r: { stdout: string }) => r.stdout.split('\n').filter(Boolean).sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
    const ten = Array.from({ length: 10 }, (_, i) => `${i + 1}`);
    expect(sorted(await run(['shuf'], ten.join('\n')))).toEqual(ten);
    expect(sorted(await run(['shuf', '-i', '5-9']))).toEqual(['5', '6', '7', '8', '9']);
    expect(sorted(await run(['shuf', '-e', 'b', 'a', 'c']))).toEqual(['a', 'b', 'c']);
    const two = sorted(await run(['shuf', '-n', '2', '-i', '1-100']));
    expect(two.length).toBe(2);
    expect(new Set(two).size).toBe(2);
    expect((await run(['shuf', '-n', '1', '-i', '1-4294967295'])).stdout).toMatch(/^\d+\n$/);
    expect((await run(['shuf', '-i', '18446744073709551615-18446744073709551615'])).stdout).toBe('18446744073709551615\n');
    expect((await run(['shuf', '-z', '-e', 'a'])).stdout).toBe('a\0');
    await c.exec(['tee', '/tmp/f'], { input: '1\n2\n3\n' });
    expect(await c.exec(['shuf', '-o', '/tmp/f', '/tmp/f'])).toMatchObject({ status: 0 });
    expect(sorted(await c.exec(['cat', '/tmp/f']))).toEqual(['1', '2', '3']);
    expect(await run(['shuf', '-i', '9-5'])).toMatchObject({ status: 1, stderr: "shuf: bad range '9-5'\n" });
    expect(await run(['shuf', '-i', '1-4294967296'])).toMatchObject({ status: 1, stderr: "shuf: bad range '1-4294967296'\n" });
    expect(await run(['shuf', '-i', 'a-5'])).toMatchObject({ status: 1, stderr: "shuf: invalid number 'a'\n" });
    expect(await run(['shuf', '-e', '-i', '1-2'])).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: shuf') });
    expect(await run(['shuf', '/tmp/nofile'])).toMatchObject({ status: 1, stderr: "shuf: /tmp/nofile: No such file or directory\n" });
  });
});

// Options as busybox's getopt strings have them: GNU's long options and
// extra letters are refused there (busybox 1.35 gave these messages).
describe("busybox's options, not GNU's", () => {
  it('refuses long options the applet has none of, and letters busybox lacks', async () => {
    const refused = async (argv: string[], message: string, status = 1) => {
      const r = await run(argv, '');
      expect(r.status).toBe(status);
      expect(r.stderr.split('\n')[0]).toBe(message);
      expect(r.stderr).toContain('multi-call binary');
    };
    // head's own getopt() loop takes "--lines" for the option '-'.
    await refused(['head', '--lines=1'], "head: invalid option -- '-'");
    await refused(['grep', '--count', 'x'], "grep: unrecognized option '--count'", 2);
    await refused(['grep', '-P', 'x'], "grep: invalid option -- 'P'", 2);
    await refused(['xargs', '-L1', 'echo'], "xargs: invalid option -- 'L'");
    await refused(['sort', '-C'], "sort: invalid option -- 'C'", 2);
    await refused(['wc', '--lines'], "wc: unrecognized option '--lines'");
    // show_usage_if_dash_dash_help: --help is the usage, status 0.
    expect(await run(['sed', '--help'], '')).toMatchObject({ status: 0, stdout: '', stderr: expect.stringMatching(/^BusyBox v[\d.]+ .*\n\nUsage: sed /) });
    expect(await run(['echo', '--help'], '')).toMatchObject({ status: 0, stdout: '--help\n' });
    // free reads argv[1] alone and shows the usage, unsaid why.
    expect(await run(['free', '-x'], '')).toMatchObject({ status: 1, stderr: expect.stringMatching(/^BusyBox v[\d.]+ .*\n\nUsage: free/) });
    expect((await run(['sort', '-m'], 'b\na\n')).stdout).toBe('a\nb\n');
  });

  it('ls -Q quotes names; od prints each format in its own width, in od_bloaty\'s order', async () => {
    const { container: c } = setup();
    await c.exec(['touch', '/tmp/a"b']);
    expect((await c.exec(['ls', '-Q', '/tmp'])).stdout).toBe('"a\\"b"\n');
    expect((await run(['od', '-s', '-t', 'x1'], 'abc\n')).stdout).toBe('0000000 61 62 63 0a\n         25185   2659\n0000004\n');
    expect((await run(['od', '-b', '-c'], 'ab')).stdout).toBe('0000000 141 142\n          a   b\n0000002\n');
  });
});
