import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FsError, isFill } from '../rootfs/types';
import { applets } from './index';
import { memoryContainer } from './test-context';

// Expected outputs are busybox 1.35's, run by hand on the same files.
const setup = () => {
  const { container: c, fs } = memoryContainer(applets);
  const run = (argv: string[], input: string | Uint8Array = '') => c.exec(argv, { input, cwd: '/tmp' });
  const write = (name: string, data: string | Uint8Array, mode = 0o644) => {
    const fh = fs.open(`/tmp/${name}`, { write: true, create: true, truncate: true }, mode);
    fh.write(typeof data === 'string' ? Buffer.from(data) : data);
    fh.close();
  };
  const read = async (name: string) => (await run(['cat', name])).out;
  const ls = () => fs.readdir('/tmp').sort();
  return { c, fs, run, write, read, ls };
};

const seq = (n: number) => Array.from({ length: n }, (_, i) => `${i + 1}\n`).join('');

describe('gzip, gunzip, zcat', () => {
  it('replace a file by FILE.gz and back, with its mode; -c, -k and -t leave it', async () => {
    const { fs, run, write, read, ls } = setup();
    write('a', 'hello\n');
    write('b', 'world\n', 0o600);
    expect(await run(['gzip', '-v', 'a', 'b'])).toMatchObject({ status: 0, stderr: 'a: 100% - replaced with a.gz\nb: 100% - replaced with b.gz\n' });
    expect(ls()).toEqual(['a.gz', 'b.gz']);
    expect(fs.stat('/tmp/b.gz').mode & 0o777).toBe(0o600);
    // Node's gunzip reads what ours wrote; busybox's header has no name, no mtime.
    const gz = await read('a.gz');
    expect(gunzipSync(gz).toString()).toBe('hello\n');
    expect(gz.subarray(0, 10).toString('hex')).toBe('1f8b0800000000000003');
    expect(await run(['gzip', '-t', 'a.gz'])).toMatchObject({ status: 0, stdout: '' });
    expect(await run(['zcat', 'a.gz', 'b.gz'])).toMatchObject({ status: 0, stdout: 'hello\nworld\n' });
    expect(await run(['gzip', '-dc', 'b.gz'])).toMatchObject({ status: 0, stdout: 'world\n' });
    expect(ls()).toEqual(['a.gz', 'b.gz']);
    // gunzip's own unsigned sum for -v.
    expect(await run(['gunzip', '-v', 'a.gz'])).toMatchObject({ status: 0, stderr: 'a.gz: 4294966963% - replaced with a\n' });
    expect((await read('a')).toString()).toBe('hello\n');
    expect(await run(['gzip', '-k', 'a'])).toMatchObject({ status: 0 });
    expect(ls()).toEqual(['a', 'a.gz', 'b.gz']);
    expect(await run(['gzip', 'a'])).toMatchObject({ status: 1, stderr: "gzip: can't open 'a.gz': File exists\n" });
    expect(await run(['gzip', '-f', 'a'])).toMatchObject({ status: 0 });
    expect(ls()).toEqual(['a.gz', 'b.gz']);
    write('x.tgz', await read('a.gz'));
    expect(await run(['gunzip', 'x.tgz', 'b', 'nofile'])).toMatchObject({
      status: 1,
      stderr: 'gunzip: b: No such file or directory\ngunzip: nofile: No such file or directory\n',
    });
    write('b', 'x');
    expect(await run(['gunzip', 'b'])).toMatchObject({ status: 1, stderr: 'gunzip: b: unknown suffix - ignored\n' });
    expect(ls()).toEqual(['a.gz', 'b', 'b.gz', 'x.tar']);
  });

  it('stream stdin to stdout, gzip writing zlib level 6 as busybox does', async () => {
    const { run, write } = setup();
    expect((await run(['gzip'], 'xyz')).out.toString('hex')).toBe('1f8b0800000000000003aba8ac020067ba8eeb03000000');
    expect((await run(['gzip', '-'], '')).out.toString('hex')).toBe('1f8b080000000000000303000000000000000000');
    const big = seq(100000);
    expect((await run(['gunzip'], (await run(['gzip'], big)).out)).stdout).toBe(big);
    expect((await run(['zcat'], (await run(['gzip', '-c'], big)).out)).stdout).toBe(big);
    // A gzip file from elsewhere: a name, a comment, an extra field, a
    // header crc, an mtime (given to the file gunzip makes), two members.
    const one = gzipSync('hi\n');
    const member = (flags: number, fields: Buffer) => Buffer.concat([Buffer.from([0x1f, 0x8b, 8, flags, 1, 2, 3, 4, 0, 3]), fields, one.subarray(10)]);
    write('o.gz', Buffer.concat([member(0x18, Buffer.from('name\0comment\0')), member(0x06, Buffer.from([2, 0, 88, 89, 0, 0]))]));
    expect(await run(['gunzip', 'o.gz'])).toMatchObject({ status: 0, stderr: '' });
    expect(await run(['cat', 'o'])).toMatchObject({ stdout: 'hi\nhi\n' });
    expect(await run(['stat', '-c', '%Y', 'o'])).toMatchObject({ stdout: '67305985\n' });
  });

  it('fail as unpack_gz_stream says, leaving out what a window held and the file it was making', async () => {
    const { run, write, ls } = setup();
    const gz = (await run(['gzip'], seq(3000))).out;
    const gunzip = (input: Uint8Array) => run(['gunzip'], input);
    expect(await gunzip(Buffer.alloc(0))).toMatchObject({ status: 1, stderr: 'gunzip: invalid magic\n' });
    expect(await gunzip(Buffer.from('x'))).toMatchObject({ status: 1, stderr: 'gunzip: invalid magic\n' });
    expect(await gunzip(gz.subarray(0, 9))).toMatchObject({ status: 1, stderr: 'gunzip: corrupted data\n' });
    expect(await gunzip(gz.subarray(0, 10))).toMatchObject({ status: 1, stderr: 'gunzip: unexpected end of file\n' });
    // Less than a 32 KiB window out: nothing written.
    expect(await gunzip(gz.subarray(0, 100))).toMatchObject({ status: 1, stdout: '', stderr: 'gunzip: unexpected end of file\n' });
    // Trailing garbage is ignored; a second magic must start a member.
    expect(await gunzip(Buffer.concat([gz, Buffer.from('garbage\n')]))).toMatchObject({ status: 0, stdout: seq(3000), stderr: '' });
    expect(await gunzip(Buffer.concat([gz, Buffer.from([0x1f, 0x8b])]))).toMatchObject({ status: 1, stdout: seq(3000), stderr: 'gunzip: corrupted data\n' });
    expect(await gunzip(Buffer.concat([gz, gz]))).toMatchObject({ status: 0, stdout: seq(3000) + seq(3000) });
    // A crc error comes after the output; the half-made file goes.
    const bad = Buffer.from(gz);
    bad[bad.length - 6] ^= 1;
    expect(await gunzip(bad)).toMatchObject({ status: 1, stdout: seq(3000), stderr: 'gunzip: crc error\n' });
    write('c.gz', bad);
    expect(await run(['gunzip', 'c.gz'])).toMatchObject({ status: 1, stderr: 'gunzip: crc error\n' });
    expect(ls()).toEqual(['c.gz']);
    bad[bad.length - 6] ^= 1;
    bad[bad.length - 2] ^= 1;
    expect(await gunzip(bad)).toMatchObject({ status: 1, stdout: seq(3000), stderr: 'gunzip: incorrect length\n' });
    // zcat checks the magic first and dies of it; its transform's failure
    // (a child's) is said but leaves the status 0.
    write('s', seq(3000));
    expect(await run(['zcat', 's', 'c.gz'])).toMatchObject({ status: 1, stderr: 'zcat: no gzip/bzip2/xz magic\n' });
    expect(await run(['zcat'], '')).toMatchObject({ status: 1, stderr: 'zcat: short read\n' });
    expect(await run(['zcat'], gz.subarray(0, 20))).toMatchObject({ status: 0, stderr: 'zcat: unexpected end of file\n' });
    // Each FILE goes onto fd 0: a "-" after one reads its end.
    write('s.gz', gz);
    expect(await run(['zcat', 's.gz', '-'], gz)).toMatchObject({ status: 1, stdout: seq(3000), stderr: 'zcat: short read\n' });
    expect(await run(['zcat', 'nofile', 's.gz'])).toMatchObject({ status: 1, stdout: seq(3000), stderr: 'zcat: nofile: No such file or directory\n' });
    // A directory reads as nothing to gzip (file_read's -1), and cannot go.
    await run(['mkdir', 'd']);
    expect(await run(['gzip', 'd'])).toMatchObject({ status: 1, stderr: "gzip: can't remove file 'd': Is a directory\n" });
    expect((await run(['zcat', 'd.gz'])).out.length).toBe(0);
  });

  it('say a write that fails as each writes it: xwrite, transformer_write, bb_copyfd_eof', async () => {
    const { c, run } = setup();
    const full = { write: async () => Promise.reject(new FsError('ENOSPC', '/dev/full')) };
    const gz = (await run(['gzip'], 'hi\n')).out;
    expect(await c.exec(['gzip'], { input: 'hi\n', stdout: full })).toMatchObject({ status: 1, stderr: 'gzip: write error: No space left on device\n' });
    expect(await c.exec(['gunzip'], { input: gz, stdout: full })).toMatchObject({ status: 1, stderr: 'gunzip: write: No space left on device\n' });
    expect(await c.exec(['zcat'], { input: gz, stdout: full })).toMatchObject({ status: 1, stderr: 'zcat: write error: No space left on device\n' });
  });

  it('keep a gunzipped file of zeros as a Fill on the memory backend', async () => {
    const { fs, run } = setup();
    await run(['dd', 'if=/dev/zero', 'of=z', 'bs=1M', 'count=8']);
    expect(await run(['gzip', 'z'])).toMatchObject({ status: 0 });
    expect(fs.stat('/tmp/z.gz').size).toBeLessThan(16 * 1024);
    expect(await run(['gunzip', 'z.gz'])).toMatchObject({ status: 0 });
    expect(fs.stat('/tmp/z').size).toBe(8 * 2 ** 20);
    // A read inside one Fill answers the Fill, not bytes.
    const fh = fs.open('/tmp/z', { read: true });
    expect(isFill(fh.read(65536, 4 * 2 ** 20)!)).toBe(true);
    fh.close();
  });
});
