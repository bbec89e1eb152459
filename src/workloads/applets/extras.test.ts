import { describe, expect, it } from 'vitest';
import { Pipe } from '../procs/pipe';
import { applets } from './index';
import { memoryContainer } from './test-context';

const setup = () => memoryContainer(applets);

describe('expr', () => {
  it('computes, compares, matches, and sets the status', async () => {
    const { container: c } = setup();
    const e = async (...a: string[]) => c.exec(['expr', ...a]);
    expect(await e('1', '+', '2', '*', '3')).toMatchObject({ status: 0, stdout: '7\n' });
    expect(await e('(', '1', '+', '2', ')', '*', '3')).toMatchObject({ stdout: '9\n' });
    expect(await e('7', '/', '2')).toMatchObject({ stdout: '3\n' });
    expect(await e('7', '%', '2')).toMatchObject({ stdout: '1\n' });
    expect(await e('0', '+', '0')).toMatchObject({ status: 1, stdout: '0\n' });
    expect(await e('abc', '<', 'abd')).toMatchObject({ stdout: '1\n' });
    expect(await e('10', '>', '9')).toMatchObject({ stdout: '1\n' });
    expect(await e('hello.txt', ':', '\\(.*\\)\\.txt')).toMatchObject({ stdout: 'hello\n' });
    expect(await e('hello', ':', 'hel')).toMatchObject({ stdout: '3\n' });
    expect(await e('length', 'hello')).toMatchObject({ stdout: '5\n' });
    expect(await e('substr', 'hello', '2', '3')).toMatchObject({ stdout: 'ell\n' });
    expect(await e('index', 'hello', 'l')).toMatchObject({ stdout: '3\n' });
    expect(await e('', '|', 'x')).toMatchObject({ stdout: 'x\n' });
    expect(await e('a', '&', '')).toMatchObject({ status: 1, stdout: '0\n' });
    expect(await e('1', '/', '0')).toMatchObject({ status: 2, stderr: 'expr: division by zero\n' });
    expect(await e('a', '+', '1')).toMatchObject({ status: 2, stderr: 'expr: non-numeric argument\n' });
    expect(await e('1', '2')).toMatchObject({ status: 2, stderr: 'expr: syntax error\n' });
    expect(await e()).toMatchObject({ status: 2, stderr: 'expr: too few arguments\n' });
    // strtoll keeps a number out of range at its bound; the sum wraps
    // (busybox 1.35 on glibc).
    expect(await e('99999999999999999999', '+', '1')).toMatchObject({ stdout: '-9223372036854775808\n' });
    expect(await e('-99999999999999999999', '-', '1')).toMatchObject({ stdout: '9223372036854775807\n' });
    expect(await e('99999999999999999999', '/', '1')).toMatchObject({ stdout: '9223372036854775807\n' });
  });
});

describe('base64, od, cmp', () => {
  it('base64 encodes with wrapping and decodes', async () => {
    const { container: c } = setup();
    expect((await c.exec(['base64'], { input: 'hello world' })).stdout).toBe('aGVsbG8gd29ybGQ=\n');
    expect((await c.exec(['base64', '-w', '4'], { input: 'hello' })).stdout).toBe('aGVs\nbG8=\n');
    expect((await c.exec(['base64', '-d'], { input: 'aGVsbG8g\nd29ybGQ=\n' })).stdout).toBe('hello world');
    // As busybox's read_base64: what is not base64 is skipped, '=' ends the
    // data, and a block cut short at the end is "truncated input".
    expect(await c.exec(['base64', '-d'], { input: '!!!\n' })).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(await c.exec(['base64', '-d'], { input: 'M!Q!==' })).toMatchObject({ status: 0, stdout: '1' });
    expect(await c.exec(['base64', '-d'], { input: 'aGVsbG8' })).toMatchObject({ status: 1, stdout: 'hel', stderr: 'base64: truncated input\n' });
    expect(await c.exec(['base64', '-d'], { input: 'aGVsbG8=xyz' })).toMatchObject({ status: 1, stdout: 'hello', stderr: 'base64: truncated input\n' });
    expect(await c.exec(['base64', '-d'], { input: 'aGVsbG8= eHl6' })).toMatchObject({ status: 0, stdout: 'helloxyz' });
  });

  it('od dumps in the usual formats', async () => {
    const { container: c } = setup();
    expect((await c.exec(['od'], { input: 'AB' })).stdout).toBe('0000000 041101\n0000002\n');
    expect((await c.exec(['od', '-c'], { input: 'a\n' })).stdout).toBe('0000000   a  \\n\n0000002\n');
    // No file opened: not even the end's offset (busybox 1.35).
    expect(await c.exec(['od', '/nope'])).toMatchObject({ status: 1, stdout: '', stderr: 'od: /nope: No such file or directory\n' });
    expect((await c.exec(['od', '-A', 'x', '-t', 'x1'], { input: 'abc' })).stdout).toBe('000000 61 62 63\n000003\n');
    expect((await c.exec(['od', '-An', '-tx1'], { input: Buffer.from([0, 255]) })).stdout).toBe(' 00 ff\n');
    const z = await c.exec(['od', '-A', 'd', '-t', 'x2'], { input: Buffer.alloc(64) });
    expect(z.stdout).toBe('0000000 0000 0000 0000 0000 0000 0000 0000 0000\n*\n0000064\n');
    // od_bloaty's skip(): what the input is too short for is an error.
    expect(await c.exec(['od', '-j', '10'], { input: 'abc\n' })).toMatchObject({ status: 1, stdout: '', stderr: "od: can't skip past end of combined input\n" });
    expect(await c.exec(['od', '-j', '2', '-c'], { input: 'abc\n' })).toMatchObject({ status: 0, stdout: '0000002   c  \\n\n0000004\n' });
  });

  it('cmp says where files differ', async () => {
    const { container: c } = setup();
    await c.exec(['tee', '/tmp/a'], { input: 'one\ntwo\n' });
    await c.exec(['tee', '/tmp/b'], { input: 'one\ntwX\n' });
    await c.exec(['tee', '/tmp/c'], { input: 'one\n' });
    expect((await c.exec(['cmp', '/tmp/a', '/tmp/a'])).status).toBe(0);
    expect(await c.exec(['cmp', '/tmp/a', '/tmp/b'])).toMatchObject({ status: 1, stdout: '/tmp/a /tmp/b differ: char 7, line 2\n' });
    expect(await c.exec(['cmp', '-s', '/tmp/a', '/tmp/b'])).toMatchObject({ status: 1, stdout: '' });
    expect(await c.exec(['cmp', '/tmp/a', '/tmp/c'])).toMatchObject({ status: 1, stderr: 'cmp: EOF on /tmp/c\n' });
    expect(await c.exec(['cmp', '/tmp/a', '/nope'])).toMatchObject({ status: 2, stderr: 'cmp: /nope: No such file or directory\n' });
  });
});

// As busybox 1.35's (Debian's busybox-static) for the same bytes.
describe('strings', () => {
  it('prints runs of printable bytes, with the name and offset asked for', async () => {
    const { container: c } = setup();
    const run = (argv: string[], input = '') => c.exec(argv, { input, cwd: '/tmp' });
    expect(await run(['strings'], 'ab\x01hello\x02world!\tx\x00abc\n1234')).toMatchObject({ status: 0, stdout: 'hello\nworld!\tx\n1234\n' });
    expect(await run(['strings', '-t', 'x', '-n', '6'], 'xx\x01hello there\x02abcdefgh')).toMatchObject({ stdout: '      3 hello there\n      f abcdefgh\n' });
    await run(['tee', 'f'], 'hello\x01');
    expect(await run(['strings', '-f', 'f', 'nofile'])).toMatchObject({ status: 1, stdout: 'f: hello\n', stderr: 'strings: nofile: No such file or directory\n' });
    expect(await run(['strings', '-o', 'f'])).toMatchObject({ stdout: '      0 hello\n' });
    expect(await run(['strings', '-f'], 'hello')).toMatchObject({ stdout: '{standard input}: hello\n' });
    expect(await run(['strings', '-n', '0', 'f'])).toMatchObject({ status: 1, stderr: 'strings: number 0 is not in 1..2147483647 range\n' });
    expect(await run(['strings', '-t', 'q', 'f'])).toMatchObject({ status: 1, stderr: expect.stringContaining('Usage: strings') });
  });
});

// As busybox 1.35's uuencode and uudecode, for the same input.
describe('uuencode, uudecode', () => {
  it('encode with a begin line, the mode and the name, and decode into that file', async () => {
    const { container: c, fs } = setup();
    const run = (argv: string[], input = '') => c.exec(argv, { input, cwd: '/tmp' });
    expect((await run(['uuencode', 'x'], 'hello world\n')).stdout).toBe('begin 644 x\n,:&5L;&\\@=V]R;&0*\n`\nend\n');
    expect((await run(['uuencode', '-m', 'x'], 'hello world\n')).stdout).toBe('begin-base64 644 x\naGVsbG8gd29ybGQK\n====\n');
    await run(['tee', 'g'], 'abc');
    fs.chmod('/tmp/g', 0o640);
    expect((await run(['uuencode', 'g', 'h'])).stdout).toBe('begin 640 h\n#86)C\n`\nend\n');
    expect(await run(['uudecode'], 'begin 600 z\n#86)C\n`\nend\n')).toMatchObject({ status: 0 });
    expect((await run(['cat', 'z'])).stdout).toBe('abc');
    expect(fs.stat('/tmp/z').mode & 0o777).toBe(0o600);
    expect(await run(['uudecode', '-o', '-'], 'begin-base64 644 b\naGVsbG8=\n====\n')).toMatchObject({ status: 0, stdout: 'hello' });
    expect(await run(['uudecode'], 'begin 644 /dev/stdout\r\n#86)C\r\n`\r\nend\r\n')).toMatchObject({ stdout: 'abc' });
    expect(await run(['uudecode'], 'junk\n')).toMatchObject({ status: 1, stderr: "uudecode: no 'begin' line\n" });
    expect(await run(['uudecode'], 'begin 644 x\nM86)C\n')).toMatchObject({ status: 1, stderr: 'uudecode: short file\n' });
    expect(await run(['uudecode'], 'begin-base64 644 b2\naGVsbG8\n')).toMatchObject({ status: 1, stderr: 'uudecode: truncated input\n' });
    expect(await run(['uudecode', 'nofile'])).toMatchObject({ status: 1, stderr: 'uudecode: nofile: No such file or directory\n' });
  });
});

describe('xxd', () => {
  // Dumps as busybox 1.35's (Debian's busybox-static) print them.
  it('dumps with -g, -c, -p, -i, -s, -l and -o', async () => {
    const { container: c } = setup();
    const run = (argv: string[], input = '') => c.exec(argv, { input, cwd: '/tmp' });
    expect(await run(['xxd'], 'hello world, this is xxd\n\x01\x02')).toMatchObject({
      status: 0,
      stdout: '00000000: 6865 6c6c 6f20 776f 726c 642c 2074 6869  hello world, thi\n00000010: 7320 6973 2078 7864 0a01 02              s is xxd...\n',
    });
    expect((await run(['xxd', '-p'], '1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n')).stdout).toBe('310a320a330a340a350a360a370a380a390a31300a31310a31320a\n');
    expect((await run(['xxd', '-g', '3', '-c', '10'], 'abcdefghij')).stdout).toBe('00000000: 616263 646566 676869 6a  abcdefghij\n');
    expect((await run(['xxd', '-i'], 'abc')).stdout).toBe('  0x61, 0x62, 0x63,\n');
    await run(['tee', '1f.x'], 'abcdefghijklmn');
    expect((await run(['xxd', '-i', '-c', '4', '1f.x'])).stdout).toBe(
      'unsigned char __1f_x[] = {\n  0x61, 0x62, 0x63, 0x64,\n  0x65, 0x66, 0x67, 0x68,\n  0x69, 0x6a, 0x6b, 0x6c,\n  0x6d, 0x6e,\n};\nunsigned int __1f_x_len = 14;\n',
    );
    await run(['tee', 'f'], 'abcdefghijklmnopqrstuvwxyz');
    expect((await run(['xxd', '-s', '5', '-l', '10', '-o', '100', 'f'])).stdout).toBe('00000069: 6667 6869 6a6b 6c6d 6e6f                 fghijklmno\n');
    expect(await run(['xxd', 'nofile'])).toMatchObject({ status: 1, stderr: 'xxd: nofile: No such file or directory\n' });
  });

  // -r as busybox 1.37's reverse() (1.35's was older): an offset moves the
  // output on (zeros, stdout being a pipe), a stray character is passed
  // over, two end the line.
  it('-r turns a dump back into bytes', async () => {
    const { container: c } = setup();
    const run = (argv: string[], input = '') => c.exec(argv, { input, cwd: '/tmp' });
    const dumped = (await run(['xxd'], 'hello\n')).stdout;
    expect((await run(['xxd', '-r'], dumped)).stdout).toBe('hello\n');
    expect((await run(['xxd', '-r', '-p'], '68 65 6c\n6c6f0\na\n')).stdout).toBe('hello\n');
    // The examples in reverse()'s comments.
    expect((await run(['xxd', '-r', '-p'], '31 !3 0a 0a\n')).out).toEqual(Buffer.from([0x31, 0x30, 0xa0]));
    expect((await run(['xxd', '-r', '-p'], '31 !!343434\n30 0a\n')).stdout).toBe('10\n');
    expect((await run(['xxd', '-r', '-p'], '31 3\n2 0a\n')).stdout).toBe('12\n');
    expect((await run(['xxd', '-r'], '00000004: 4142\n')).out).toEqual(Buffer.from([0, 0, 0, 0, 0x41, 0x42]));
    expect(await run(['xxd', '-r'], '00000004: 41\n00000000: 43\n')).toMatchObject({ status: 1, stderr: 'xxd: cannot seek: Illegal seek\n' });
    expect(await run(['xxd', '-r'], 'zz: 41\n')).toMatchObject({ status: 1, stderr: "xxd: invalid number 'zz: 41'\n" });
  });
});

describe('tar', () => {
  // strip_unsafe_prefix on names written and read; --strip-components only
  // on extraction (data_extract_all), not in a list.
  it('takes off what leads out of the directory, and strips components only when it extracts', async () => {
    const { container: c } = setup();
    await c.exec(['mkdir', '-p', '/w/d']);
    await c.exec(['tee', '/w/d/f'], { input: 'a\n' });
    expect(await c.exec(['tar', 'cf', '/w/t.tar', '/w/../w/d/f'])).toMatchObject({ status: 0, stderr: "tar: removing leading '/w/../' from member names\n" });
    expect((await c.exec(['tar', 'tf', '/w/t.tar'])).stdout).toBe('w/d/f\n');
    await c.exec(['tar', 'cf', '/w/t2.tar', '-C', '/w', 'd']);
    expect((await c.exec(['tar', 'tf', '/w/t2.tar', '--strip-components=1'])).stdout).toBe('d/\nd/f\n');
    await c.exec(['mkdir', '/w/y']);
    await c.exec(['tar', 'xf', '/w/t2.tar', '-C', '/w/y', '--strip-components=1']);
    expect((await c.exec(['cat', '/w/y/f'])).stdout).toBe('a\n');
  });

  // 1.37's defaults: FEATURE_TAR_AUTODETECT, and -z's gunzip as a child
  // whose messages come before what tar then finds (busybox 1.35's, which
  // has no autodetect, say the same for -z).
  it('reads a gzipped archive without -z from a file, and says what -z finds wrong before what tar does', async () => {
    const { container: c } = setup();
    const run = (argv: string[], input: string | Uint8Array = '') => c.exec(argv, { input, cwd: '/tmp' });
    await run(['tee', 'a'], 'hi\n');
    await run(['tar', 'czf', 't.tgz', 'a']);
    expect(await run(['tar', 'tf', 't.tgz'])).toMatchObject({ status: 0, stdout: 'a\n' });
    expect(await run(['tar', 'xOf', 't.tgz'])).toMatchObject({ status: 0, stdout: 'hi\n' });
    const tgz = (await run(['cat', 't.tgz'])).out;
    // A pipe cannot go back to its start.
    expect(await run(['tar', 'tf', '-'], tgz)).toMatchObject({ status: 1, stderr: 'tar: invalid tar magic\n' });
    await run(['tee', 'j.tar'], 'junk\n');
    expect(await run(['tar', 'xf', 'j.tar'])).toMatchObject({ status: 1, stderr: 'tar: invalid tar magic\n' });
    expect(await run(['tar', 'tzf', '-'], 'x\n')).toMatchObject({ status: 1, stderr: 'tar: invalid magic\ntar: short read\n' });
    expect(await run(['tar', 'tzf', '-'], tgz.subarray(0, 30))).toMatchObject({ status: 1, stderr: 'tar: unexpected end of file\ntar: short read\n' });
    // The archive read whole, then gunzip's crc error: tar's status is 1.
    const bad = Buffer.from(tgz);
    bad[bad.length - 6] ^= 1;
    expect(await run(['tar', 'tzf', '-'], bad)).toMatchObject({ status: 1, stdout: 'a\n', stderr: 'tar: crc error\n' });
    // -O writes past the names -v leaves in stdio's buffer.
    expect(await run(['tar', 'xzvOf', 't.tgz'])).toMatchObject({ status: 0, stdout: 'hi\na\n' });
  });

  it('round-trips a tree through a pipe, as kubectl cp does', async () => {
    const src = setup();
    const dst = setup();
    const s = src.container;
    await s.exec(['mkdir', '-p', '/data/sub/deeper']);
    await s.exec(['tee', '/data/a.txt'], { input: 'alpha\n' });
    await s.exec(['tee', '/data/sub/deeper/b.txt'], { input: 'beta\n' });
    await s.exec(['dd', 'if=/dev/urandom', 'of=/data/sub/rand', 'bs=1000', 'count=3', 'status=none']);
    await s.exec(['ln', '-s', 'a.txt', '/data/link']);
    await s.exec(['chmod', '640', '/data/a.txt']);
    const long = 'x'.repeat(120);
    await s.exec(['touch', `/data/${long}`]);
    const pipe = new Pipe();
    const packing = s.start(['tar', 'cf', '-', '-C', '/', 'data'], { stdout: pipe.writer }).finally(() => pipe.writer.close());
    const r = await dst.container.exec(['tar', '--no-same-permissions', '--no-same-owner', '-xmf', '-', '-C', '/tmp'], { stdin: pipe.reader });
    expect(await packing).toBe(0);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    const d = dst.container;
    expect((await d.exec(['cat', '/tmp/data/a.txt', '/tmp/data/sub/deeper/b.txt'])).stdout).toBe('alpha\nbeta\n');
    expect(dst.fs.readlink('/tmp/data/link')).toBe('a.txt');
    expect(dst.fs.stat(`/tmp/data/${long}`).type).toBe('file');
    const h1 = (await s.exec(['md5sum', '/data/sub/rand'])).stdout.split(' ')[0];
    const h2 = (await d.exec(['md5sum', '/tmp/data/sub/rand'])).stdout.split(' ')[0];
    expect(h2).toBe(h1);
  });

  it('lists, keeps modes and times, and extracts from a file with -z', async () => {
    const { container: c, fs } = setup();
    await c.exec(['mkdir', '/w']);
    await c.exec(['tee', '/w/f'], { input: 'data' });
    await c.exec(['chmod', '750', '/w/f']);
    await c.exec(['touch', '-d', '2020-05-06 07:08:09', '/w/f']);
    expect((await c.exec(['tar', '-czf', '/tmp/a.tgz', '-C', '/', 'w'])).status).toBe(0);
    expect((await c.exec(['tar', 'tzf', '/tmp/a.tgz'])).stdout).toBe('w/\nw/f\n');
    expect((await c.exec(['tar', '-tvzf', '/tmp/a.tgz'])).stdout).toContain('-rwxr-x--- root/root         4 2020-05-06 07:08:09 w/f\n');
    await c.exec(['mkdir', '/out']);
    expect((await c.exec(['tar', '-xzf', '/tmp/a.tgz', '-C', '/out'])).status).toBe(0);
    expect(fs.stat('/out/w/f')).toMatchObject({ mode: 0o750, mtimeMs: Date.UTC(2020, 4, 6, 7, 8, 9), size: 4 });
    expect((await c.exec(['tar', '-xOf', '/tmp/a.tgz', '-z', 'w/f'])).stdout).toBe('data');
    expect(await c.exec(['tar', '-xzf', '/tmp/a.tgz', 'nothere'])).toMatchObject({ status: 1, stderr: 'tar: nothere: not found in archive\n' });
    expect(await c.exec(['tar', '-xf', '/nope'])).toMatchObject({ status: 1, stderr: "tar: can't open '/nope': No such file or directory\n" });
    // Under 512 bytes: 1.37's autodetect finds no compressor's magic (1.35,
    // built without it, says "short read").
    expect(await c.exec(['tar', '-xf', '/etc/passwd'])).toMatchObject({ status: 1, stderr: 'tar: invalid tar magic\n' });
    await c.exec(['dd', 'if=/dev/urandom', 'of=/tmp/junk', 'bs=1k', 'count=2', 'status=none']);
    expect(await c.exec(['tar', '-xf', '/tmp/junk'])).toMatchObject({ status: 1, stderr: 'tar: invalid tar magic\n' });
  });

  // As busybox 1.35's tar: a file that cannot be added is an error at the
  // end too; -k opens with O_EXCL, so a file that is there stops it.
  it('says a create failed once done; -k stops at a file that is there', async () => {
    const { container: c, fs } = setup();
    await c.exec(['tee', '/tmp/f'], { input: 'x\n' });
    await c.exec(['tee', '/tmp/g'], { input: 'z\n' });
    const made = await c.exec(['tar', 'cf', '/tmp/t.tar', '-C', '/tmp', 'g', 'nosuch', 'f']);
    expect(made).toMatchObject({ status: 1, stderr: 'tar: nosuch: No such file or directory\ntar: error exit delayed from previous errors\n' });
    await c.exec(['rm', '/tmp/g']);
    await c.exec(['tee', '/tmp/f'], { input: 'y\n' });
    expect(await c.exec(['tar', 'xkf', '/tmp/t.tar', '-C', '/tmp'])).toMatchObject({ status: 1, stderr: "tar: can't open 'f': File exists\n" });
    expect((await c.exec(['cat', '/tmp/f', '/tmp/g'])).stdout).toBe('y\nz\n');
    expect(fs.stat('/tmp/g').size).toBe(2);
  });
});

describe('small ones', () => {
  // Each as busybox 1.35's hexdump prints it: a short last line is padded
  // to its formats' width, repeated lines are one '*', and -e takes
  // libbb's format units.
  it('hexdump: its formats, -e units, padding and repeats', async () => {
    const { container: c } = setup();
    const hd = async (args: string[], input: string) => c.exec(['hexdump', ...args], { input: Buffer.from(input, 'latin1') });
    expect((await hd(['-x'], 'abc')).stdout).toBe(`0000000    6261    0063${' '.repeat(48)}\n0000003\n`);
    expect((await hd(['-c'], 'abc')).stdout).toBe(`0000000   a   b   c${' '.repeat(52)}\n0000003\n`);
    expect((await hd([], 'abc')).stdout).toBe(`0000000 6261 0063${' '.repeat(30)}\n0000003\n`);
    expect((await hd(['-C'], `${'abcd'.repeat(12)}x`)).stdout).toBe(
      `00000000  61 62 63 64 61 62 63 64  61 62 63 64 61 62 63 64  |abcdabcdabcdabcd|\n*\n00000030  78${' '.repeat(46)}  |x|\n00000031\n`,
    );
    expect((await hd(['-C'], '')).stdout).toBe('');
    expect((await hd(['-e', '4/4 "%08X" 1 "\\n"'], 'abcdefghijklmnop')).stdout).toBe('64636261686766656C6B6A69706F6E6D\n');
    expect((await hd(['-e', '16/1 "%_c " "\\n"'], 'a\tb\n')).stdout).toBe(`a \\t b \\n${' '.repeat(12)}\n`);
    expect((await hd(['-e', '5 "%.2s" "\\n"'], 'hello world')).stdout).toBe('hello worl\nd\n');
    expect(await hd(['-e', '1/4 "%d %u"'], 'abcd')).toMatchObject({ status: 1, stderr: 'hexdump: byte count with multiple conversion characters\n' });
    expect(await hd(['-e', '2/3 "%x"'], 'abc')).toMatchObject({ status: 1, stderr: 'hexdump: bad byte count for conversion character x\n' });
    // do_skip: files the skip covers move the address on by their sizes.
    await c.exec(['tee', '/tmp/f'], { input: 'abc\n' });
    expect((await c.exec(['hexdump', '-C', '-s', '10', '/tmp/f', '/tmp/f'])).stdout).toBe('00000008\n');
    expect((await c.exec(['hexdump', '-C', '-s', '6', '/tmp/f', '/tmp/f'])).stdout).toBe(`00000006  63 0a${' '.repeat(45)}|c.|\n00000008\n`);
  });

  // As busybox's: the screen cleared, the command padded to 80 columns off
  // a terminal and the time over the last 20 (a 79-column header).
  it('watch clears the screen and heads each run as busybox does', async () => {
    const { container: c } = setup();
    let text = '';
    let seen!: () => void;
    const ran = new Promise<void>((r) => (seen = r));
    const stdout = {
      write: async (d: Uint8Array | string) => {
        text += typeof d === 'string' ? d : Buffer.from(d).toString();
        if (text.endsWith('hi\n')) seen();
      },
    };
    let pid = 0;
    const done = c.start(['watch', '-n', '60', 'echo', 'hi'], { stdout, env: { PATH: '/bin' }, onSpawn: (p) => (pid = p.pid) });
    await ran;
    // pid 1 here, which TERM does not end.
    c.procs.signal(pid, 'KILL');
    expect(await done).toBe(137);
    expect(text).toMatch(/^\x1b\[H\x1b\[JEvery 60\.0s: echo hi {40}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n\nhi\n$/);
  });

  it('rev, paste, hexdump, unlink, tty, groups, arch, time', async () => {
    const { container: c, fs } = setup();
    expect((await c.exec(['rev'], { input: 'abc\nxy\n' })).stdout).toBe('cba\nyx\n');
    await c.exec(['tee', '/tmp/a'], { input: '1\n2\n' });
    await c.exec(['tee', '/tmp/b'], { input: 'x\ny\nz\n' });
    // busybox's paste_files: a file at its end gives no column at all.
    expect((await c.exec(['paste', '/tmp/a', '/tmp/b'])).stdout).toBe('1\tx\n2\ty\nz\n');
    expect((await c.exec(['paste', '/tmp/b', '/tmp/a'])).stdout).toBe('x\t1\ny\t2\nz\t');
    expect((await c.exec(['paste', '-s', '-d', ',', '/tmp/b'])).stdout).toBe('x,y,z\n');
    expect((await c.exec(['hexdump', '-C'], { input: 'hello, world!\n' })).stdout).toBe(
      '00000000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a        |hello, world!.|\n0000000e\n',
    );
    await c.exec(['unlink', '/tmp/a']);
    expect(() => fs.stat('/tmp/a')).toThrow();
    expect(await c.exec(['unlink', '/tmp/a'])).toMatchObject({ status: 1, stderr: "unlink: can't delete '/tmp/a': No such file or directory\n" });
    expect(await c.exec(['tty'])).toMatchObject({ status: 1, stdout: 'not a tty\n' });
    expect((await c.exec(['groups'])).stdout).toBe('root\n');
    expect((await c.exec(['arch'])).stdout).toBe('x86_64\n');
    const tm = await c.exec(['time', 'false'], { env: { PATH: '/bin' } });
    expect(tm.status).toBe(1);
    expect(tm.stderr).toMatch(/^Command exited with non-zero status 1\nreal\t0m \d+\.\d\ds\nuser\t0m 0\.00s\nsys\t0m 0\.00s\n$/);
  });
});
